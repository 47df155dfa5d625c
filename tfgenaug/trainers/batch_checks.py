"""Checks of training batches: shapes when a step is traced, values in the pipeline.

Every message names `images` or `labels` and the expected form. `checked_batch` is
mapped over a `tf.data.Dataset` by `Trainer.fit`, so a bad batch fails in the input
pipeline, before any weight, optimizer step or checkpoint moves.
"""

import numpy as np
import tensorflow as tf


def images_and_labels(batch) -> tuple:
    """`(images, labels)` of a `(images, labels, ...)` tuple or an `{"images", "labels"}` dict."""
    if isinstance(batch, dict):
        return batch["images"], batch["labels"]
    return batch[0], batch[1]


def check_batch_shapes(images_shape, labels_shape, image_shape: tuple[int, ...]) -> None:
    """Raises a ValueError naming `images` or `labels` when a batch cannot be used.

    Args:
        images_shape: shape of the images batch; unknown dimensions may be `None`.
        labels_shape: shape of the labels batch.
        image_shape: `(H, W, C)` the trainer takes.
    """
    images_shape = tuple(images_shape)
    if len(images_shape) != 4:
        raise ValueError(
            f"images must be a batch of shape (batch, {', '.join(map(str, image_shape))}) "
            f"(rank 4, NHWC); got shape {images_shape}"
        )
    for got, want in zip(images_shape[1:], image_shape, strict=True):
        if got is not None and got != want:
            raise ValueError(
                f"images must have shape (batch, {', '.join(map(str, image_shape))}) to match "
                f"the generator; got {images_shape}"
            )
    labels_shape = tuple(labels_shape)
    if not (len(labels_shape) == 1 or (len(labels_shape) == 2 and labels_shape[1] == 1)):
        raise ValueError(
            f"labels must be a vector of int class ids of shape (batch,); got shape {labels_shape}"
        )


def check_labels_in_range(labels: np.ndarray, num_classes: int) -> None:
    """Raises a ValueError naming `labels` unless every label is in [0, num_classes)."""
    labels = np.asarray(labels)
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(
            f"labels must be class ids in [0, {num_classes}) (num_classes={num_classes}); "
            f"got values from {labels.min()} to {labels.max()}"
        )


def check_images_finite(images: np.ndarray) -> None:
    """Raises a ValueError naming `images` unless every value is finite."""
    images = np.asarray(images)
    if np.issubdtype(images.dtype, np.floating) and not np.isfinite(images).all():
        bad = int(np.size(images) - np.count_nonzero(np.isfinite(images)))
        raise ValueError(
            f"images must be finite (no NaN or Inf values); got {bad} non-finite values"
        )


def checked_batch(batch, image_shape: tuple[int, ...], num_classes: int):
    """`batch` with in-graph assertions: finite images, labels in `[0, num_classes)`.

    Args:
        batch: a `(images, labels, ...)` tuple or a dict with `"images"`, `"labels"`.
        image_shape: `(H, W, C)` the trainer takes (checked statically).
        num_classes: int. K.

    Returns:
        The batch, same structure, whose tensors fail when consumed if a check fails.
    """
    images, labels = images_and_labels(batch)
    check_batch_shapes(images.shape, labels.shape, image_shape)
    labels_int = tf.cast(labels, tf.int64)
    message = f"labels must be class ids in [0, {num_classes}) (num_classes)"
    images = tf.debugging.assert_all_finite(
        images, "images must be finite (no NaN or Inf values)"
    )
    with tf.control_dependencies([
        tf.debugging.assert_non_negative(labels_int, message=message),
        tf.debugging.assert_less(labels_int, tf.constant(num_classes, tf.int64),
                                 message=message),
    ]):
        labels = tf.identity(labels)
    if isinstance(batch, dict):
        return {**batch, "images": images, "labels": labels}
    return (images, labels, *batch[2:])
