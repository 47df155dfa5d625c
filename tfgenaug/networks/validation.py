"""Argument checks of the network builders: image shapes and normalization names.

General checks (counts, numbers, seeds) are in `tfgenaug.validation`.
"""

from collections.abc import Sequence

MIN_SIDE = 8
"""The smallest image side the default networks take."""


def check_image_shape(image_shape: Sequence[int]) -> tuple[int, int, int]:
    """Checks that `image_shape` is an `(height, width, channels)` the networks can make.

    Args:
        image_shape: `(height, width, channels)` with height and width >= 8 (any size,
            square or not; see `tfgenaug.networks.sizes`) and 1 or 3 channels.

    Returns:
        The shape as a tuple of ints.

    Raises:
        ValueError: naming `image_shape` and the expected form.
    """
    shape = tuple(int(d) for d in image_shape)
    if len(shape) != 3:
        raise ValueError(
            f"image_shape must be (height, width, channels); got {tuple(image_shape)}"
        )
    height, width, channels = shape
    if min(height, width) < MIN_SIDE:
        raise ValueError(
            f"image_shape must have height and width >= {MIN_SIDE}; got {shape} (upsample "
            f"smaller images first, e.g. data.load(..., image_size={MIN_SIDE}))"
        )
    if channels not in (1, 3):
        raise ValueError(f"image_shape must have 1 or 3 channels; got {shape}")
    return shape


NORMALIZATIONS = ("batch", "layer", "none")


def check_normalization(normalization: str, name: str = "normalization") -> str:
    """Checks a normalization name against `NORMALIZATIONS`."""
    if normalization not in NORMALIZATIONS:
        raise ValueError(f"{name} must be one of {NORMALIZATIONS}; got {normalization!r}")
    return normalization
