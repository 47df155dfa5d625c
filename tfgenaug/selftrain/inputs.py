"""Checks of `self_train`'s arrays: each raises a ValueError naming the argument."""

import numpy as np
import tensorflow as tf

from tfgenaug.data.value_range import RANGE_SLACK


def as_class_ids(values, name: str) -> np.ndarray:
    """`values` as int32 class ids `(N,)` (`(N, 1)` and integral floats accepted)."""
    values = np.asarray(values)
    if values.ndim == 2 and values.shape[1] == 1:
        values = values[:, 0]
    integral = np.issubdtype(values.dtype, np.integer) or (
        np.issubdtype(values.dtype, np.floating) and np.all(np.mod(values, 1) == 0)
    )
    if values.ndim != 1 or not integral:
        raise ValueError(
            f"{name} must be int class ids of shape (N,); got shape {values.shape} and dtype "
            f"{values.dtype}"
        )
    return values.astype(np.int32)


def as_array(value, name: str) -> np.ndarray:
    """`value` as a NumPy array; a `tf.data.Dataset` is refused with how to materialise it."""
    if isinstance(value, tf.data.Dataset):
        raise ValueError(
            f"{name} must be NumPy arrays, not a tf.data.Dataset: materialise it first, e.g. "
            "images, labels = tfgenaug.data.as_numpy(ds) (unbatched (image, label) pairs)")
    return np.asarray(value)


def check_pair(pair, name: str) -> tuple[np.ndarray, np.ndarray]:
    """`(images, labels)` of a labelled set `pair`, of one length, images `(N, ...)`."""
    if isinstance(pair, tf.data.Dataset):
        as_array(pair, name)
    if not isinstance(pair, tuple | list) or len(pair) != 2:
        raise ValueError(f"{name} must be a pair (images, labels) of arrays; got {type(pair)}")
    images, labels = as_array(pair[0], name), as_class_ids(pair[1], f"{name} labels")
    if images.ndim < 2:
        raise ValueError(f"{name} images must have shape (N, ...); got {images.shape}")
    if len(images) != len(labels):
        raise ValueError(
            f"{name} images and labels must have the same length; got {len(images)} images "
            f"and {len(labels)} labels"
        )
    return images, labels


def check_image_shape(images: np.ndarray, reference: np.ndarray, name: str) -> None:
    """Refuses `images` whose per-image shape is not the labelled images' (`reference`)."""
    if images.shape[1:] != reference.shape[1:]:
        raise ValueError(
            f"{name} images must have the shape of the labelled images {reference.shape[1:]}; "
            f"got {images.shape[1:]}"
        )


def check_finite(images: np.ndarray, name: str) -> None:
    """NaN or Inf images trained NaN weights, which then selected nothing, without a word."""
    if not np.issubdtype(images.dtype, np.number):
        raise ValueError(f"{name} images must be numbers; got dtype {images.dtype}")
    if np.issubdtype(images.dtype, np.floating):
        bad = int(images.size - np.count_nonzero(np.isfinite(images)))
        if bad:
            raise ValueError(f"{name} images must be finite (no NaN or Inf values); got {bad} "
                             "non-finite values")


def check_same_scale(images: np.ndarray, reference: np.ndarray, name: str) -> None:
    """Refuses images beyond the labelled images' value range by more than half its span
    (`RANGE_SLACK`, the batch checks' rule): 0..255 pixels in a pool beside 0..1
    labelled images were pseudo-labelled by a model that never saw that scale."""
    low, high = float(reference.min()), float(reference.max())
    slack = (high - low) * RANGE_SLACK
    smallest, largest = float(images.min()), float(images.max())
    if high > low and (smallest < low - slack or largest > high + slack):
        raise ValueError(
            f"{name} images must be on the labelled images' scale: those lie in "
            f"[{low:g}, {high:g}], these from {smallest:g} to {largest:g} (e.g. 0..255 pixels "
            "beside 0..1 ones). Convert them as the labelled images were")


def check_in_range(labels, num_classes: int, name: str) -> None:
    """Refuses class ids outside `[0, num_classes)` (the model's output width)."""
    if labels is None or len(labels) == 0:
        return
    if labels.min() < 0 or labels.max() >= num_classes:
        raise ValueError(
            f"{name} labels must be in [0, {num_classes}) (the model's output width); got "
            f"values in [{labels.min()}, {labels.max()}]"
        )


def check_no_overlap(validation: np.ndarray, other: np.ndarray, name: str) -> None:
    """Refuses a validation set sharing an image, byte for byte, with `other`."""
    seen = {np.ascontiguousarray(row).tobytes() for row in np.asarray(other, validation.dtype)}
    shared = sum(np.ascontiguousarray(row).tobytes() in seen for row in validation)
    if shared:
        raise ValueError(
            f"validation shares {shared} image(s) with the {name} data: validation accuracy "
            "would not be held out. Pass disjoint data (or check_overlap=False if the "
            "duplicates are genuine)"
        )
