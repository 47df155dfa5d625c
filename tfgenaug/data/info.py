"""What a loaded dataset is (`DatasetInfo`), and how users' arrays become `load`'s datasets.

Shared by `tfgenaug.data.datasets` (digits, tfds), `tfgenaug.data.folders` and
`tfgenaug.data.arrays`, so all three return the same `(train, test, info)`.
"""

import dataclasses
import numbers
import re
from collections.abc import Sequence

import numpy as np
import tensorflow as tf

from tfgenaug.data.sampling import _stratified_test_mask
from tfgenaug.data.value_range import to_model_range

MIN_SIDE = 8
"""The smallest image side of users' data (`"folder:"`, `"npz:"`), in pixels."""

AUTO_SIZE = "auto"
"""`image_size` meaning each kind's default: `STANDARD_SIDE` for digits and tfds, native for
users' folders and arrays."""

STANDARD_SIDE = 16
"""The side digits and tfds datasets are resized to by default."""

_RESIZE_CHUNK = 512


@dataclasses.dataclass(frozen=True)
class DatasetInfo:
    """What `load` knows about a dataset.

    Attributes:
        name: The dataset name passed to `load`.
        num_classes: The number of classes K; labels are in `[0, K)`.
        image_shape: `(height, width, channels)` of the returned images (a dimension is None
            only for a tfds dataset of varying image sizes loaded with `image_size=None`).
        class_names: The K class names, e.g. `["0", ..., "9"]` for digits.
        train_counts: Images of each class in the returned train dataset.
        test_counts: Images of each class in the returned test dataset.
    """

    name: str
    num_classes: int
    image_shape: tuple[int | None, ...]
    class_names: list[str]
    train_counts: tuple[int, ...]
    test_counts: tuple[int, ...]


def class_counts_of(labels: np.ndarray, num_classes: int) -> tuple[int, ...]:
    """Images of each class among int class ids `labels`, zeros included."""
    return tuple(int(n) for n in np.bincount(labels, minlength=num_classes))


def file_safe(text: str) -> str:
    """`text` with every run of characters other than letters, digits, `.`, `-`, `_` as `_`."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text)


def parse_image_size(image_size) -> tuple[int, int] | None:
    """`image_size` as `(height, width)`, or None; raises a ValueError naming it."""
    message = (
        f"image_size must be None (keep the native size), an int >= {MIN_SIDE} (square images) "
        f"or (height, width) with both >= {MIN_SIDE}; got {image_size!r}"
    )
    if image_size is None:
        return None
    sides = [image_size] * 2 if isinstance(image_size, numbers.Integral) else image_size
    if isinstance(sides, str | bytes) or not isinstance(sides, Sequence) or len(sides) != 2:
        raise ValueError(message)
    for side in sides:
        bad = isinstance(side, bool | np.bool_) or not isinstance(side, numbers.Integral)
        if bad or side < MIN_SIDE:
            raise ValueError(message)
    return int(sides[0]), int(sides[1])


def parse_image_size_text(text: str) -> int | tuple[int, int] | str | None:
    """A flag's text as an `image_size`: `"auto"`, `"native"`/`"0"` (None), `"28"`, `"100x60"`.

    Raises:
        ValueError: naming `image_size` and the forms it takes.
    """
    cleaned = str(text).strip().lower()
    if cleaned == AUTO_SIZE:
        return AUTO_SIZE
    if cleaned in ("native", "0", "none"):
        return None
    match = re.fullmatch(r"(\d+)(?:x(\d+))?", cleaned)
    size = None if match is None else (
        int(match[1]) if match[2] is None else (int(match[1]), int(match[2])))
    if size is None or min([size] if isinstance(size, int) else size) < MIN_SIDE:
        raise ValueError(
            f"image_size must be 'auto' (16 for digits and tfds, native for folder: and npz:), "
            f"'native' (or 0), a side >= {MIN_SIDE} (e.g. 28) or HEIGHTxWIDTH (e.g. 100x60); "
            f"got {text!r}"
        )
    return size


def resolve_image_size(image_size, users_data: bool):
    """`image_size` with `"auto"` replaced by the kind's default (native for users' data)."""
    if isinstance(image_size, str) and image_size == AUTO_SIZE:
        return None if users_data else STANDARD_SIDE
    return image_size


def to_model_images(images: np.ndarray, value_range, size: tuple[int, int] | None) -> np.ndarray:
    """NHWC pixels in `value_range` → float32 in `[-1, 1]`, resized to `size` if given.

    Resizing is bilinear and antialiased; an image already of `size` is left untouched.
    """
    images = to_model_range(images, value_range)
    if size is not None and tuple(images.shape[1:3]) != size:
        chunks = [
            tf.image.resize(images[start : start + _RESIZE_CHUNK], size, "bilinear", antialias=True)
            for start in range(0, len(images), _RESIZE_CHUNK)
        ]
        images = np.concatenate([chunk.numpy() for chunk in chunks])
    return np.clip(images, -1.0, 1.0).astype(np.float32, copy=False)


def datasets_from_arrays(name, class_names, train, test, test_fraction, split_seed):
    """`(train, test, info)` from `(images, class ids)` arrays; `test=None` carves a split.

    The carved test split is `tfgenaug.data.load`'s: `round(test_fraction * n)` seeded-random
    images of each class's n.
    """
    images, labels = train
    if test is None:
        is_test = _stratified_test_mask(labels, test_fraction, split_seed)
        train, test = (images[~is_test], labels[~is_test]), (images[is_test], labels[is_test])
    num_classes = len(class_names)
    info = DatasetInfo(
        name=name,
        num_classes=num_classes,
        image_shape=tuple(int(side) for side in images.shape[1:]),
        class_names=list(class_names),
        train_counts=class_counts_of(train[1], num_classes),
        test_counts=class_counts_of(test[1], num_classes),
    )
    train_ds, test_ds = (
        tf.data.Dataset.from_tensor_slices((pair[0], pair[1].astype(np.int32)))
        for pair in (train, test)
    )
    return train_ds, test_ds, info
