"""The batch contract shared by tfgenaug's augmentation layers.

`GANAugment`, `SameClassMix` and `StyleTransferAugment` follow the contract of Keras's
`MixUp` layer: they take a batch of images with its labels, as a dict
`{"images": images, "labels": labels}`, a 2-tuple / list `(images, labels)` or two
arguments `layer(images, labels)` (what `ds.map(layer)` does with tuple elements), and
give the batch back in the same structure. This module holds their base class,
`BatchAugmentationLayer`, and the helpers that unpack and repack that structure, check
the shapes of the batch and convert between the label forms the layers accept (int
class ids `(B,)` / `(B, 1)` or one-hot rows `(B, K)`).

Every error names the layer class it is raised for and the argument at fault.
"""

from collections.abc import Callable
from collections.abc import Sequence
from typing import Any

import keras
from keras import ops

CLASS_LABELS = "class ids (batch,) or (batch, 1), or one-hot (batch, num_classes)"
"""How the errors of `check_batch_shapes` describe int-or-one-hot labels."""

Pack = Callable[[Any, Any], Any]
"""Puts `(images, labels)` back into the structure `unpack_batch` took them from."""


class BatchAugmentationLayer(keras.layers.Layer):
    """Base class of layers that augment a batch of images together with its labels.

    It gives a layer the `MixUp` call contract: `layer(data)` with `data` a dict
    `{"images": images, "labels": labels}` or a tuple / list `(images, labels)`, or
    `layer(images, labels)` (what `ds.map(layer)` does with tuple elements); the output
    has the structure of the input.

    `call` unpacks the batch with `_unpack`, checks it with `_check_shapes`, and runs
    `get_random_transformation`, `transform_images` and `transform_labels`, as Keras's
    image preprocessing layers do. A subclass implements those five methods (`_unpack`
    is usually `unpack_batch(data, "<its class name>")`), or overrides `call`.

    Args:
        **kwargs: base layer keyword arguments, such as `name` and `dtype`.
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        # The batch comes as a dict, tuple or list, not as a tensor.
        self._allow_non_tensor_positional_args = True

    def __call__(self, data, labels=None, **kwargs):
        # `ds.map(layer)` calls `layer(images, labels)` on `(images, labels)` elements.
        if labels is not None:
            data = (data, labels)
        return super().__call__(data, **kwargs)

    def call(self, data, training=True):
        images, labels, pack = self._unpack(data)
        images = ops.convert_to_tensor(images)
        labels = ops.convert_to_tensor(labels)
        self._check_shapes(images.shape, labels.shape)
        transformation = self.get_random_transformation(
            {"images": images, "labels": labels}, training=training
        )
        images = self.transform_images(images, transformation, training=training)
        labels = self.transform_labels(labels, transformation, training=training)
        return pack(images, labels)

    def _unpack(self, data) -> tuple[Any, Any, Pack]:
        """`(images, labels, pack)` of a batch; see `unpack_batch`."""
        raise NotImplementedError

    def _check_shapes(self, images_shape, labels_shape) -> None:
        """Raises `ValueError` for a batch the layer cannot take; see `check_batch_shapes`."""
        raise NotImplementedError


def unpack_batch(data, layer_class: str) -> tuple[Any, Any, Pack]:
    """Splits a batch into images and labels, with a function that packs them back.

    Args:
        data: a dict with exactly the keys `"images"` and `"labels"`, or a tuple or
            list of length 2, `(images, labels)`.
        layer_class: name of the layer class the batch is for, e.g. `"GANAugment"`;
            errors name it.

    Returns:
        `(images, labels, pack)`: `pack(new_images, new_labels)` returns them in the
        structure of `data` (a dict with the same keys, or a tuple / list).

    Raises:
        ValueError: when `data` is a dict with other keys, or not a dict, tuple or list
            of two items.

    Example:

    >>> images, labels, pack = unpack_batch({"images": 1, "labels": 2}, "GANAugment")
    >>> pack(images + 10, labels)
    {'images': 11, 'labels': 2}
    """
    if isinstance(data, dict):
        if set(data) != {"images", "labels"}:
            raise ValueError(
                f"{layer_class} takes a dict with exactly the keys 'images' and 'labels'; "
                f"got keys {sorted(data)}"
            )
        return data["images"], data["labels"], lambda i, lab: {"images": i, "labels": lab}
    if isinstance(data, tuple | list) and len(data) == 2:
        kind = type(data)
        return data[0], data[1], lambda i, lab: kind((i, lab))
    raise ValueError(
        f"{layer_class} needs images and labels: pass {{'images': ..., 'labels': ...}} or "
        f"(images, labels); got {type(data).__name__}"
        + (f" of length {len(data)}" if isinstance(data, tuple | list) else "")
    )


def check_batch_shapes(
    layer_class: str,
    images_shape: Sequence[int | None],
    labels_shape: Sequence[int | None],
    *,
    image_shape: Sequence[int] | None = None,
    image_shape_source: str = "the layer takes",
    num_classes: int | None = None,
    labels_form: str = CLASS_LABELS,
) -> None:
    """Checks the shapes of a batch of images `(B, H, W, C)` and labels `(B,)` / `(B, D)`.

    `None` (an unknown size) passes every check of that size.

    Args:
        layer_class: name of the layer class the batch is for; errors name it.
        images_shape: shape of the images.
        labels_shape: shape of the labels.
        image_shape: `(H, W, C)` the images must have, or `None` for any. Defaults to
            `None`.
        image_shape_source: what imposes `image_shape`, completing "... but
            {image_shape_source} {image_shape}" in the error, e.g. `"the encoder takes"`.
            Defaults to `"the layer takes"`.
        num_classes: int. When given, rank-2 labels must be one-hot rows of this width
            or class ids `(B, 1)`. Defaults to `None` (any width).
        labels_form: what the labels may be, for the error about their rank. Defaults
            to `CLASS_LABELS` (class ids or one-hot rows).

    Raises:
        ValueError: naming `images` or `labels`, when the images are not a batch of
            rank 4 or not of `image_shape`, the labels not of rank 1 or 2 (or not of
            width 1 or `num_classes`), or the two of different batch sizes.
    """
    images_shape = tuple(images_shape)
    if len(images_shape) != 4:
        raise ValueError(
            f"{layer_class} works on batches: images must have rank 4 (batch, H, W, C); "
            f"got shape {images_shape}. Batch the dataset before mapping the layer."
        )
    if image_shape is not None:
        for got, want in zip(images_shape[1:], image_shape, strict=True):
            if got is not None and got != want:
                raise ValueError(
                    f"images have shape (H, W, C) = {images_shape[1:]} but "
                    f"{image_shape_source} {image_shape}"
                )
    labels_shape = tuple(labels_shape)
    if len(labels_shape) not in (1, 2):
        raise ValueError(f"labels must be {labels_form}; got shape {labels_shape}")
    width = labels_shape[-1]
    if num_classes is not None and len(labels_shape) == 2 and width not in (1, num_classes):
        raise ValueError(
            f"one-hot labels must have width num_classes={num_classes}; "
            f"got labels of shape {labels_shape}"
        )
    if None not in (images_shape[0], labels_shape[0]) and images_shape[0] != labels_shape[0]:
        raise ValueError(
            f"images and labels must have the same batch size; got {images_shape[0]} "
            f"and {labels_shape[0]}"
        )


def class_ids(labels):
    """Int32 class ids `(B,)` from class ids `(B,)` / `(B, 1)` or one-hot rows `(B, K)`.

    Args:
        labels: int or float class ids `(B,)` or `(B, 1)`, or one-hot (or probability)
            rows `(B, K)`, `K > 1`, whose class is the argmax.

    Returns:
        int32 tensor `(B,)`.

    Example:

    >>> class_ids(np.array([[0.0, 1.0], [1.0, 0.0]]))
    <tf.Tensor: shape=(2,), dtype=int32, numpy=array([1, 0], dtype=int32)>
    """
    labels = ops.convert_to_tensor(labels)
    if len(labels.shape) == 2 and labels.shape[-1] != 1:
        return ops.cast(ops.argmax(labels, axis=-1), "int32")
    return ops.cast(ops.reshape(labels, (-1,)), "int32")


def labels_like(classes, labels, num_classes: int | None = None):
    """Class ids `classes` `(n,)` in the form and dtype of `labels`.

    Args:
        classes: int class ids `(n,)`.
        labels: the labels to match: class ids `(B,)` or `(B, 1)`, or one-hot rows
            `(B, K)`, of known width.
        num_classes: int, the number of classes K, when known. With `num_classes=1`,
            labels `(B, 1)` are taken as one-hot rows (all ones) rather than class ids
            (all zeros). Defaults to `None` (`K` is the width of one-hot `labels`).

    Returns:
        A tensor of `labels.dtype`: `(n,)`, `(n, 1)` or one-hot `(n, K)`.

    Example:

    >>> labels_like(np.array([2, 0]), np.zeros((4, 3), "float32"))
    <tf.Tensor: shape=(2, 3), dtype=float32, numpy=
    array([[0., 0., 1.],
           [1., 0., 0.]], dtype=float32)>
    """
    if len(labels.shape) == 1:
        return ops.cast(classes, labels.dtype)
    if labels.shape[-1] == 1 and num_classes != 1:
        return ops.reshape(ops.cast(classes, labels.dtype), (-1, 1))
    depth = labels.shape[-1] if num_classes is None else num_classes
    return ops.one_hot(classes, depth, dtype=labels.dtype)
