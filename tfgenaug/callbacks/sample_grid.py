"""Grids of class-conditional samples: tiling, PNG writing and a Keras callback."""

import math
import posixpath
from collections.abc import Sequence

import keras
import numpy as np
import tensorflow as tf

MIN_CELL_PIXELS = 32
PAD_VALUE = 255


def image_grid(
    images,
    rows: int,
    cols: int,
    value_range: Sequence[float] = (-1, 1),
    padding: int = 1,
) -> np.ndarray:
    """Tiles `rows * cols` images row-major into one uint8 picture.

    Pixel values are mapped linearly from `value_range` to [0, 255], clipped and
    rounded. Cells are separated, and surrounded, by `padding` white (255) pixels.

    Args:
        images: float array or tensor of shape `(rows * cols, H, W, C)`.
        rows: int. Number of rows of the grid.
        cols: int. Number of columns of the grid.
        value_range: `(low, high)` pair mapped to 0 and 255. Defaults to `(-1, 1)`.
        padding: int. Width in pixels of the border around each cell. Defaults to 1.

    Returns:
        A uint8 `np.ndarray` of shape
        `(rows * (H + padding) + padding, cols * (W + padding) + padding, C)`.

    Example:
    ```python
    images = np.zeros((6, 16, 16, 1), "float32")
    image_grid(images, rows=2, cols=3).shape  # (35, 52, 1)
    ```
    """
    images = np.asarray(images, dtype=np.float32)
    if images.ndim != 4:
        raise ValueError(f"`images` must have rank 4 (N, H, W, C), got shape {images.shape}.")
    if rows < 1 or cols < 1:
        raise ValueError(f"`rows` and `cols` must be >= 1, got rows={rows}, cols={cols}.")
    if images.shape[0] != rows * cols:
        raise ValueError(
            f"`images` must hold rows * cols = {rows * cols} images, got {images.shape[0]}."
        )
    if padding < 0:
        raise ValueError(f"`padding` must be >= 0, got {padding}.")
    low, high = value_range
    if not high > low:
        raise ValueError(f"`value_range` must be (low, high) with low < high, got {value_range}.")

    scaled = (images - low) / (high - low) * 255.0
    pixels = np.rint(np.clip(scaled, 0.0, 255.0)).astype(np.uint8)
    _, height, width, channels = pixels.shape
    step_y, step_x = height + padding, width + padding
    grid = np.full(
        (rows * step_y + padding, cols * step_x + padding, channels), PAD_VALUE, np.uint8
    )
    for index, image in enumerate(pixels):
        top = padding + (index // cols) * step_y
        left = padding + (index % cols) * step_x
        grid[top : top + height, left : left + width] = image
    return grid


def save_png(path: str, grid: np.ndarray, upscale: int = 1) -> str:
    """Writes a uint8 `(H, W, C)` array as a PNG file, atomically.

    Uses `tf.io` only, so any `tf.io.gfile` path works (local, `gs://`, ...). Parent
    directories are created. The file is written to `path + ".tmp"` and renamed, so
    readers never see a half-written picture.

    Args:
        path: str. Destination file.
        grid: uint8 array of shape `(H, W, C)`, C in 1..4.
        upscale: int. Nearest-neighbour magnification factor. Defaults to 1.

    Returns:
        `path`.

    Example:
    ```python
    save_png("/tmp/samples.png", image_grid(images, rows=2, cols=3), upscale=2)
    ```
    """
    grid = np.asarray(grid)
    if grid.dtype != np.uint8 or grid.ndim != 3 or not 1 <= grid.shape[-1] <= 4:
        raise ValueError(
            f"`grid` must be a uint8 array (H, W, C) with C in 1..4, "
            f"got dtype {grid.dtype} and shape {grid.shape}."
        )
    if upscale < 1:
        raise ValueError(f"`upscale` must be >= 1, got {upscale}.")
    if upscale > 1:
        grid = np.repeat(np.repeat(grid, upscale, axis=0), upscale, axis=1)
    parent = posixpath.dirname(path)
    if parent:
        tf.io.gfile.makedirs(parent)
    tmp_path = path + ".tmp"
    tf.io.write_file(tmp_path, tf.io.encode_png(grid))
    tf.io.gfile.rename(tmp_path, path, overwrite=True)
    return path


def _sample_images(model, per_class: int = 8, seed: int = 0) -> np.ndarray:
    """Returns `per_class` samples of each class, class-major, as a float array.

    Args:
        model: object with `num_classes` and `sample(labels, seed=None)`.
        per_class: int. Samples per class. Defaults to 8.
        seed: int. Seed passed to `model.sample`. Defaults to 0.

    Returns:
        A float `np.ndarray` of shape `(num_classes * per_class, H, W, C)`; image `i`
        has label `i // per_class`.
    """
    if per_class < 1:
        raise ValueError(f"`per_class` must be >= 1, got {per_class}.")
    labels = np.repeat(np.arange(model.num_classes, dtype=np.int32), per_class)
    images = np.asarray(model.sample(tf.constant(labels), seed=seed))
    if images.ndim != 4 or images.shape[0] != labels.shape[0]:
        raise ValueError(
            f"`model.sample` must return {labels.shape[0]} images (N, H, W, C), "
            f"got shape {images.shape}."
        )
    return images


def sample_grid(model, per_class: int = 8, seed: int = 0) -> np.ndarray:
    """Samples a grid with one row per class from a conditional generative model.

    Args:
        model: object with `num_classes` and `sample(labels, seed=None)` returning
            images in [-1, 1] (for example a tfgenaug trainer).
        per_class: int. Number of columns: samples per class. Defaults to 8.
        seed: int. Seed passed to `model.sample`, so grids are reproducible.
            Defaults to 0.

    Returns:
        A uint8 `np.ndarray` made by `image_grid` with `num_classes` rows and
        `per_class` columns; row `r` shows class `r`.

    Example:
    ```python
    save_png("samples.png", sample_grid(trainer, per_class=8), upscale=2)
    ```
    """
    images = _sample_images(model, per_class=per_class, seed=seed)
    return image_grid(images, rows=model.num_classes, cols=per_class)


def _write_image_summary(tag: str, grid: np.ndarray, step: int) -> None:
    """Writes `grid` to the default summary writer as a TensorBoard image summary.

    Same record as `tf.summary.image(tag, grid[None], step)` (a string tensor
    `[width, height, png]` with "images" plugin metadata), without importing
    `tensorboard`, which `tf.summary.image` needs but tfgenaug does not depend on.
    """
    metadata = tf.compat.v1.SummaryMetadata()
    metadata.plugin_data.plugin_name = "images"
    height, width = grid.shape[:2]
    png = tf.io.encode_png(grid)
    tensor = tf.stack([tf.as_string(width), tf.as_string(height), png])
    tf.summary.write(tag=tag, tensor=tensor, step=step, metadata=metadata)


def _auto_upscale(height: int, width: int, min_pixels: int = MIN_CELL_PIXELS) -> int:
    """Returns the smallest integer factor making `min(height, width) >= min_pixels`."""
    return max(1, math.ceil(min_pixels / min(height, width)))


class SampleGrid(keras.callbacks.Callback):
    """Writes a grid of class-conditional samples during training.

    At the end of every `every_n_epochs`-th epoch, and at the end of training if the
    last epoch was not written yet, it samples `per_class` images of every class with
    a fixed `seed` (so successive grids are comparable), one row per class, and
    writes `out_dir/samples.png` (latest) and, if `keep_all`,
    `out_dir/samples_epoch_{epoch:04d}.png` (1-based epoch). With `log_dir` the grid
    is also logged as the TensorBoard image summary `"samples"` at step `epoch`.

    The model must have `num_classes` and `sample(labels, seed=None)`.

    Args:
        out_dir: str. Directory of the PNG files (any `tf.io.gfile` path).
        per_class: int. Samples per class (grid columns). Defaults to 8.
        seed: int. Seed passed to `model.sample`. Defaults to 0.
        every_n_epochs: int. Write every this many epochs. Defaults to 1.
        log_dir: str or None. TensorBoard log directory; `None` writes no summary.
            Defaults to `None`.
        keep_all: bool. Also keep one PNG per written epoch. Defaults to `True`.
        upscale: int or None. Nearest-neighbour magnification of the PNG files;
            `None` picks the smallest factor making each cell at least 32 pixels on
            its shorter side. Defaults to `None`.

    Example:
    ```python
    trainer.fit(dataset, epochs=20, callbacks=[SampleGrid("out/samples", log_dir="out/tb")])
    ```
    """

    def __init__(
        self,
        out_dir: str,
        per_class: int = 8,
        seed: int = 0,
        every_n_epochs: int = 1,
        log_dir: str | None = None,
        keep_all: bool = True,
        upscale: int | None = None,
    ):
        super().__init__()
        if per_class < 1:
            raise ValueError(f"`per_class` must be >= 1, got {per_class}.")
        if every_n_epochs < 1:
            raise ValueError(f"`every_n_epochs` must be >= 1, got {every_n_epochs}.")
        if upscale is not None and upscale < 1:
            raise ValueError(f"`upscale` must be None or >= 1, got {upscale}.")
        self.out_dir = out_dir
        self.per_class = per_class
        self.seed = seed
        self.every_n_epochs = every_n_epochs
        self.log_dir = log_dir
        self.keep_all = keep_all
        self.upscale = upscale
        self._writer = None
        self._last_epoch = 0  # 1-based number of the last finished epoch.
        self._last_written = None

    def on_train_begin(self, logs=None):
        # Before the first epoch, not after it: a model that cannot sample fails at once.
        missing = [name for name in ("num_classes", "sample") if not hasattr(self.model, name)]
        if missing:
            raise ValueError(
                f"SampleGrid needs a class-conditional model with `num_classes` and "
                f"`sample(labels, seed=None)` (a tfgenaug trainer); "
                f"{type(self.model).__name__} has no {' and no '.join(missing)}")

    def on_epoch_end(self, epoch, logs=None):
        self._last_epoch = epoch + 1
        if self._last_epoch % self.every_n_epochs == 0:
            self.write(self._last_epoch)

    def on_train_end(self, logs=None):
        if self._last_written != self._last_epoch:
            self.write(self._last_epoch)
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    def write(self, epoch: int) -> np.ndarray:
        """Samples and writes the grid for the 1-based `epoch`; returns the raw grid."""
        images = _sample_images(self.model, per_class=self.per_class, seed=self.seed)
        grid = image_grid(images, rows=self.model.num_classes, cols=self.per_class)
        upscale = self.upscale or _auto_upscale(images.shape[1], images.shape[2])
        if self.keep_all:
            name = f"samples_epoch_{epoch:04d}.png"
            save_png(posixpath.join(self.out_dir, name), grid, upscale=upscale)
        save_png(posixpath.join(self.out_dir, "samples.png"), grid, upscale=upscale)
        if self.log_dir is not None:
            if self._writer is None:
                self._writer = tf.summary.create_file_writer(self.log_dir)
            with self._writer.as_default():
                _write_image_summary("samples", grid, step=epoch)
            self._writer.flush()
        self._last_written = epoch
        return grid
