"""The batch contract shared by tfgenaug's augmentation layers.

`GANAugment`, `SameClassMix` and `StyleTransferAugment` follow the contract of Keras's
`MixUp` layer: they take a batch of images with its labels, as a dict
`{"images": images, "labels": labels}`, a 2-tuple / list `(images, labels)` or two
arguments `layer(images, labels)` (what `ds.map(layer)` does with tuple elements), and
give the batch back in the same structure. This module holds their base class,
`BatchAugmentationLayer`, and the helpers that unpack and repack that structure, check
the batch with `tfgenaug.data.batch_checks` (the checks every entry point shares) and
convert between the label forms the layers accept (int class ids `(B,)` / `(B, 1)` or
one-hot rows `(B, K)`).

Every error names the layer class it is raised for and the argument at fault.
"""

from collections.abc import Callable
from collections.abc import Sequence
from typing import Any

import keras
from keras import ops

from tfgenaug.data import batch_checks
from tfgenaug.data.batch_checks import CLASS_IDS_OR_ONE_HOT
from tfgenaug.data.value_range import range_text
from tfgenaug.validation import check_choice

Pack = Callable[[Any, Any], Any]
"""Puts `(images, labels)` back into the structure `unpack_batch` took them from."""


class BatchAugmentationLayer(keras.layers.Layer):
    """Base class of layers that augment a batch of images together with its labels.

    It gives a layer the `MixUp` call contract: `layer(data)` with `data` a dict
    `{"images": images, "labels": labels}` or a tuple / list `(images, labels)`, or
    `layer(images, labels)` (what `ds.map(layer)` does with tuple elements); the output
    has the structure of the input.

    `call` unpacks the batch with `_unpack`, checks it against `batch_spec()` (shapes
    and dtypes always; when training, values: finite images in `value_range`, class ids
    in range) and runs `get_random_transformation`, `transform_images` and
    `transform_labels`, as Keras's image preprocessing layers do. A subclass implements
    those and `_unpack` (usually `unpack_batch(data, "<its class name>")`) and
    `batch_spec` (usually `self.spec(...)`), or overrides `call`.

    Args:
        range_check: bool. Whether images are checked against the layer's
            `value_range` (by up to half its span beyond it: overshoot passes, another
            convention such as `[0, 255]` for `(0, 1)` does not). Defaults to `True`.
        **kwargs: base layer keyword arguments, such as `name` and `dtype`.
    """

    def __init__(self, range_check: bool = True, **kwargs):
        super().__init__(**kwargs)
        self.range_check = check_choice(range_check, "range_check", (True, False))
        # The batch comes as a dict, tuple or list, not as a tensor.
        self._allow_non_tensor_positional_args = True

    def __call__(self, data, labels=None, **kwargs):
        # `ds.map(layer)` calls `layer(images, labels)` on `(images, labels)` elements.
        if labels is not None:
            data = (data, labels)
        return super().__call__(data, **kwargs)

    def call(self, data, training=True):
        images, labels, pack = self.checked_batch(data, training)
        transformation = self.get_random_transformation(
            {"images": images, "labels": labels}, training=training
        )
        images = self.transform_images(images, transformation, training=training)
        labels = self.transform_labels(labels, transformation, training=training)
        return pack(images, labels)

    def _unpack(self, data) -> tuple[Any, Any, Pack]:
        """`(images, labels, pack)` of a batch; see `unpack_batch`."""
        raise NotImplementedError

    def batch_spec(self) -> batch_checks.BatchSpec:
        """What the layer takes (see `tfgenaug.data.batch_checks`); usually `self.spec(...)`."""
        raise NotImplementedError

    def spec(
        self,
        *,
        image_shape: Sequence[int] | None = None,
        image_shape_source: str = "the images the layer takes",
        labels: str = CLASS_IDS_OR_ONE_HOT,
        num_classes: int | None = None,
    ) -> batch_checks.BatchSpec:
        """A `BatchSpec` owned by this layer class, for images in `self.value_range`."""
        name = type(self).__name__
        return batch_checks.BatchSpec(
            owner=name,
            image_shape=None if image_shape is None else tuple(image_shape),
            image_shape_source=image_shape_source,
            labels=labels,
            num_classes=num_classes,
            value_range=self.value_range if self.range_check else None,
            range_name=(f"value_range={range_text(self.value_range)} "
                        f"(the {name} argument)"),
            range_fix="pass the range your images use, e.g. value_range=(0, 255) for "
                      "uint8-style pixels",
            range_off=f"{name}(..., range_check=False)",
        )

    def checked_batch(self, data, training=True) -> tuple[Any, Any, Pack]:
        """`(images, labels, pack)` of a batch, checked against `batch_spec()`.

        Shapes and dtypes are checked always, values when `training` (eagerly a bad
        batch raises a `ValueError`, in a graph its tensors fail when consumed).
        """
        images, labels, pack = self._unpack(data)
        images = ops.convert_to_tensor(images)
        labels = ops.convert_to_tensor(labels)
        spec = self.batch_spec()
        batch_checks.check_static(spec, images, labels)
        if training:
            images, labels = batch_checks.checked(spec, images, labels)
        return images, labels, pack

    def check_batch(self, images, labels) -> None:
        """Raises `ValueError` for a batch whose shapes or dtypes the layer cannot take."""
        batch_checks.check_static(self.batch_spec(), images, labels)

    def get_config(self) -> dict:
        return {**super().get_config(), "range_check": self.range_check}


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
