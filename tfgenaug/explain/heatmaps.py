"""Relevance maps as PNG heatmaps, and how much relevance lies on the object."""

import os
from collections.abc import Sequence

import numpy as np

from tfgenaug.data.value_range import check_value_range

_MAX_COLUMNS = 8


def _pixel_relevance(relevance) -> np.ndarray:
    """`(N, H, W)` relevance summed over channels from `(N, H, W, C)` or `(N, H, W)`."""
    relevance = np.asarray(relevance, np.float64)
    if relevance.ndim == 4:
        return relevance.sum(axis=-1)
    if relevance.ndim == 3:
        return relevance
    raise ValueError(
        f"relevance must have shape (N, H, W, C) or (N, H, W); got {relevance.shape}"
    )


def heatmap_png(
    relevance,
    path: str | os.PathLike,
    images=None,
    value_range: Sequence[float] = (-1, 1),
    title: str = "Deep Taylor relevance",
) -> str:
    """Writes relevance maps as a grid of heatmaps, optionally under their images.

    Relevance is summed over channels and drawn with a diverging colour map centred on 0
    (red positive, blue negative), each map scaled by its own largest absolute value.
    Uses matplotlib's Agg canvas directly (no display, no change of pyplot's backend).

    Args:
        relevance: `(N, H, W, C)` or `(N, H, W)` maps, e.g. from `deep_taylor`.
        path: file path of the PNG; parent folders are created.
        images: optional `(N, H, W, C)` images in `value_range`, drawn in the row above
            each row of heatmaps (greyscale for C = 1, RGB for C = 3). Defaults to `None`.
        value_range: `(low, high)` of `images`. Defaults to `(-1, 1)`.
        title: str. Figure title. Defaults to `"Deep Taylor relevance"`.

    Returns:
        The path written, as a string.

    Raises:
        ImportError: the `matplotlib` package is not installed.
        ValueError: `relevance` or `images` has the wrong shape or they differ in N, H, W.

    Example:
    ```python
    heatmap_png(deep_taylor(classifier, x[:8]), "out/relevance.png", images=x[:8])
    ```
    """
    maps = _pixel_relevance(relevance)
    if len(maps) == 0:
        raise ValueError("relevance must hold at least one map")
    low, high = check_value_range(value_range)
    if images is not None:
        images = np.asarray(images, np.float64)
        if images.ndim == 3:
            images = images[..., None]
        if images.ndim != 4 or images.shape[:3] != maps.shape or images.shape[-1] not in (1, 3):
            raise ValueError(
                f"images must have shape (N, H, W, 1 or 3) matching relevance {maps.shape}; "
                f"got {images.shape}"
            )
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as error:
        raise ImportError(
            "heatmap_png needs the `matplotlib` package; install it with "
            "`pip install matplotlib` (or the tfgenaug[test] extra)"
        ) from error
    count = len(maps)
    columns = min(count, _MAX_COLUMNS)
    map_rows = -(-count // columns)
    rows_per_map = 2 if images is not None else 1
    figure = Figure(figsize=(1.5 * columns, 1.5 * map_rows * rows_per_map + 0.5))
    FigureCanvasAgg(figure)
    for n in range(count):
        row, column = divmod(n, columns)
        if images is not None:
            axes = figure.add_subplot(
                map_rows * rows_per_map, columns, (2 * row) * columns + column + 1
            )
            shown = np.clip((images[n] - low) / (high - low), 0.0, 1.0)
            if shown.shape[-1] == 1:
                axes.imshow(shown[..., 0], cmap="gray", vmin=0.0, vmax=1.0)
            else:
                axes.imshow(shown)
            axes.set_axis_off()
            row = 2 * row + 1
        axes = figure.add_subplot(map_rows * rows_per_map, columns, row * columns + column + 1)
        limit = float(np.max(np.abs(maps[n]))) or 1.0
        axes.imshow(maps[n], cmap="bwr", vmin=-limit, vmax=limit)
        axes.set_axis_off()
    figure.suptitle(title)
    path = os.fspath(path)
    parent = os.path.dirname(path)
    if parent:
        os.makedirs(parent, exist_ok=True)
    figure.savefig(path, format="png", dpi=100)
    return path


def ink_mask(images, value_range: Sequence[float] = (-1, 1), threshold: float = 0.25) -> np.ndarray:
    """Boolean mask of the pixels above the background of dark-background images (digits).

    A pixel is ink when any of its channels is above `low + threshold * (high - low)`.

    Args:
        images: `(N, H, W, C)` images in `value_range`.
        value_range: `(low, high)`; `low` is the background. Defaults to `(-1, 1)`.
        threshold: float in [0, 1). Share of the range above the background a pixel
            needs. Defaults to `0.25`.

    Returns:
        bool `(N, H, W)`.

    Raises:
        ValueError: `images` is not rank 4, or `threshold` is outside [0, 1).

    Example:

    >>> ink_mask(np.array([[[[-1.0], [0.9]]]])).tolist()
    [[[False, True]]]
    """
    low, high = check_value_range(value_range)
    if not 0.0 <= float(threshold) < 1.0:
        raise ValueError(f"threshold must be in [0, 1); got {threshold!r}")
    images = np.asarray(images)
    if images.ndim != 4:
        raise ValueError(f"images must have shape (N, H, W, C); got {images.shape}")
    return np.any(images > low + float(threshold) * (high - low), axis=-1)


def relevance_on_object_share(relevance, mask) -> np.ndarray:
    """Per image, the share of the positive relevance that lies on the object's pixels.

    `share[n] = sum(R+[n] * mask[n]) / sum(R+[n])` with `R+ = max(R, 0)` after summing
    the channels. An image with no positive relevance gets NaN (use `np.nanmean`). For
    a map that ignores the object, the expected share is the object's area share
    `mask[n].mean()`, the chance level to compare with.

    Args:
        relevance: `(N, H, W, C)` or `(N, H, W)` maps, e.g. from `deep_taylor`.
        mask: bool or 0/1 `(N, H, W)`, `(N, H, W, 1)` or `(H, W)` (one mask for all):
            the object's pixels, e.g. `ink_mask(images)`.

    Returns:
        float64 `(N,)` shares in [0, 1] (or NaN).

    Raises:
        ValueError: the shapes do not match.

    Example:

    >>> relevance_on_object_share(np.array([[[3.0, 1.0, -2.0]]]), np.array([[[1, 0, 1]]]))
    array([0.75])
    """
    maps = _pixel_relevance(relevance)
    mask = np.asarray(mask)
    if mask.ndim == 4 and mask.shape[-1] == 1:
        mask = mask[..., 0]
    if mask.ndim == 2 and mask.shape == maps.shape[1:]:
        mask = np.broadcast_to(mask, maps.shape)
    if mask.shape != maps.shape:
        raise ValueError(
            f"mask must have shape (N, H, W) = {maps.shape} or (H, W); got {mask.shape}"
        )
    positive = np.maximum(maps, 0.0)
    total = positive.sum(axis=(1, 2))
    on_object = (positive * mask.astype(np.float64)).sum(axis=(1, 2))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, on_object / np.where(total > 0, total, 1.0), np.nan)
