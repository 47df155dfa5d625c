"""One set of checks for every batch tfgenaug takes: shapes, dtypes, labels, values.

Trainers' `fit` and the augmentation layers describe what they take as a `BatchSpec`
and check each batch with the two functions here, once per batch in the input
pipeline:

- `check_static(spec, images, labels)`: shapes and dtypes, from static information, so
  it raises a `ValueError` when a step or a `Dataset.map` is traced, before any work;
- `checked(spec, images, labels)`: values (finite images, images in their value range,
  class ids in `[0, num_classes)`). Called eagerly (NumPy arrays given to `fit`) it
  raises a `ValueError` at once; in a graph (`Dataset.map`, a layer in a model) it
  returns the batch wired to assertions that fail, with the values seen, when the
  batch is consumed, so nothing trains on it. XLA drops assertions: check in the
  pipeline, where `fit` and `ds.map(layer)` do.

The value-range rule: images may stray beyond their range by up to half its span
(`RANGE_SLACK`), so `[-1, 1]` images at `1.02` after interpolation, resizing or
augmentation pass (anything in `[-2, 2]` does), while a different convention
(`[0, 255]` pixels for a `[-1, 1]` trainer, `[-1, 1]` for a layer told `(0, 1)`) fails.
Ranges nested in the expected one (`[0, 1]` images for `[-1, 1]`) cannot be told apart
from a batch. `BatchSpec(value_range=None)` turns the check off; entry points expose
that as `range_check=False`.

Every message starts with the entry point (`"WGANGP.fit"`, `"GANAugment"`), names the
argument (`images` or `labels`), the expected form and what was found.
"""

import dataclasses
from collections.abc import Sequence

import numpy as np
import tensorflow as tf

from tfgenaug.data.value_range import RANGE_SLACK
from tfgenaug.data.value_range import within_range

CLASS_IDS = "int class ids of shape (batch,) or (batch, 1)"
CLASS_IDS_OR_ONE_HOT = "class ids (batch,) or (batch, 1), or one-hot (batch, num_classes)"
TARGETS = "numbers of shape (batch,) or (batch, D)"

UNLABELLED = -1
"""The class id of an unlabelled image (scikit-learn's convention for semi-supervised data)."""

TO_MODEL_RANGE = (
    "convert them first, e.g. tfgenaug.data.to_model_range(images, (0, 255)) for 0..255 "
    "pixels (or keras.layers.Rescaling(1 / 127.5, offset=-1))"
)
"""How to fix images outside a trainer's `[-1, 1]`, for `BatchSpec.range_fix`."""

STRING_LABELS_FIX = (
    "map class names to ids first, e.g. keras.layers.StringLookup("
    "vocabulary=class_names, num_oov_indices=0), or pass class ids"
)


@dataclasses.dataclass(frozen=True)
class BatchSpec:
    """What one entry point takes, for `check_static` and `checked`.

    Args:
        owner: the entry point, first in every message, e.g. `"WGANGP.fit"`.
        image_shape: `(H, W, C)` the images must have, or `None` for any size of rank 4.
        image_shape_source: what imposes `image_shape`, completing "images must have
            shape ... to match {image_shape_source}", e.g. `"the generator's images"`.
        labels: the label form: `CLASS_IDS`, `CLASS_IDS_OR_ONE_HOT`, `TARGETS`, or
            `None` when the batch has no labels.
        num_classes: class ids must lie in `[0, num_classes)` (and one-hot rows have
            this width); `None` for no range check.
        value_range: `(low, high)` the images lie in, with `RANGE_SLACK`; `None` turns
            the range check off.
        range_name: how messages name the range, e.g. `"value_range=(0, 1)"`.
        range_fix: what to do about images outside it.
        range_off: how to turn the range check off, e.g. `"fit(..., range_check=False)"`,
            or `None` where it cannot be.
        unlabelled: whether class id `UNLABELLED` (-1) marks an unlabelled image
            (semi-supervised trainers).
    """

    owner: str
    image_shape: tuple[int, ...] | None = None
    image_shape_source: str = "the images it takes"
    labels: str | None = CLASS_IDS
    num_classes: int | None = None
    value_range: tuple[float, float] | None = (-1.0, 1.0)
    range_name: str | None = "[-1, 1]"
    range_fix: str = TO_MODEL_RANGE
    range_off: str | None = "range_check=False"
    unlabelled: bool = False


def images_and_labels(batch) -> tuple:
    """`(images, labels)` of a `(images, labels, ...)` tuple or an `{"images", "labels"}` dict."""
    if isinstance(batch, dict):
        return batch["images"], batch["labels"]
    if len(batch) < 2:
        raise ValueError(
            "batches must be (images, labels) or {'images': ..., 'labels': ...}; got "
            f"{len(batch)} item(s)"
        )
    return batch[0], batch[1]


# ------------------------------------------------------------------- static
def check_static(spec: BatchSpec, images, labels=None) -> None:
    """Raises a `ValueError` naming `images` or `labels` when shapes or dtypes are wrong.

    Args:
        spec: what the entry point takes.
        images: the images (array, tensor or `KerasTensor`); only shape and dtype are read.
        labels: the labels, or `None` when `spec.labels` is `None`.

    Example:

    >>> check_static(BatchSpec("WGANGP.fit", (8, 8, 1)), np.zeros((4, 8, 8)), np.zeros(4))
    Traceback (most recent call last):
    ...
    ValueError: WGANGP.fit: images must be a batch of shape (batch, 8, 8, 1) (rank 4, NHWC); ...
    """
    owner = spec.owner
    images_shape = tuple(images.shape)
    if _kind(images.dtype) not in ("float", "int"):
        raise ValueError(
            f"{owner}: images must be numbers (float or int pixel values); got dtype "
            f"{_dtype_name(images.dtype)}"
        )
    want = _batch_of(spec.image_shape) if spec.image_shape else "(batch, H, W, C)"
    if len(images_shape) != 4:
        raise ValueError(
            f"{owner}: images must be a batch of shape {want} (rank 4, NHWC); got shape "
            f"{images_shape}. Batch the data first, e.g. ds.batch(batch_size)"
        )
    if spec.image_shape is not None:
        for got, size in zip(images_shape[1:], spec.image_shape, strict=True):
            if got is not None and got != size:
                raise ValueError(
                    f"{owner}: images must have shape {want} to match "
                    f"{spec.image_shape_source}; got shape {images_shape}"
                )
    if spec.labels is None or labels is None:
        return
    kind = _kind(labels.dtype)
    if kind == "string":
        raise ValueError(
            f"{owner}: labels must be {spec.labels}; got dtype string. "
            f"{_capitalised(STRING_LABELS_FIX)}"
        )
    if kind not in ("float", "int"):
        raise ValueError(
            f"{owner}: labels must be {spec.labels}; got dtype {_dtype_name(labels.dtype)}"
        )
    labels_shape = tuple(labels.shape)
    width = labels_shape[-1] if len(labels_shape) == 2 else None
    rank_ok = len(labels_shape) == 1 or (
        len(labels_shape) == 2 and (spec.labels != CLASS_IDS or width in (1, None))
    )
    if not rank_ok:
        raise ValueError(f"{owner}: labels must be {spec.labels}; got shape {labels_shape}")
    if (spec.labels == CLASS_IDS_OR_ONE_HOT and spec.num_classes is not None
            and width not in (None, 1, spec.num_classes)):
        raise ValueError(
            f"{owner}: one-hot labels must have width num_classes={spec.num_classes}; "
            f"got labels of shape {labels_shape}"
        )
    if None not in (images_shape[0], labels_shape[0]) and images_shape[0] != labels_shape[0]:
        raise ValueError(
            f"{owner}: images and labels must have the same batch size; got "
            f"{images_shape[0]} and {labels_shape[0]}"
        )


# ------------------------------------------------------------------- values
def checked(spec: BatchSpec, images, labels=None) -> tuple:
    """`(images, labels)` after checking their values; see the module docstring.

    Args:
        spec: what the entry point takes.
        images: images of a shape `check_static` accepted.
        labels: labels, or `None`.

    Returns:
        `(images, labels)` as tensors; in a graph they carry the assertions.

    Raises:
        ValueError: (eagerly) naming `images` or `labels`, the expected form and the
            values found.
        tf.errors.InvalidArgumentError: (in a graph, when the batch is consumed) the
            same message.
    """
    images = tf.convert_to_tensor(images)
    guards = []
    if _kind(images.dtype) == "float":
        bad = tf.size(images) - tf.math.count_nonzero(tf.math.is_finite(images), dtype=tf.int32)
        guards += _require(
            tf.equal(bad, 0),
            f"{spec.owner}: images must be finite (no NaN or Inf values); got {{}} "
            f"non-finite values",
            bad,
        )
    if spec.value_range is not None:
        guards += _range_guard(spec, images)
    if labels is not None:
        labels = tf.convert_to_tensor(labels)
        guards += _labels_guard(spec, labels)
    if not guards:
        return images, labels
    with tf.control_dependencies(guards):
        images = tf.identity(images)
        labels = None if labels is None else tf.identity(labels)
    return images, labels


def check_labels_in_range(labels, num_classes: int, owner: str | None = None) -> None:
    """Raises a `ValueError` naming `labels` unless every label is in `[0, num_classes)`.

    For labels given as Python or NumPy values (e.g. to `sample`).
    """
    labels = np.asarray(labels)
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        message = _class_ids_message(owner, num_classes)
        raise ValueError(message.format(labels.min(), labels.max()))


def class_id_vector(labels, num_classes: int, owner: str | None = None) -> tf.Tensor:
    """int32 class ids `(N,)` from the labels a sampler is asked for, checked.

    The one check of `sample`-style entry points (trainers' `sample`, a loaded export's
    call): int class ids, `(N,)`, `(N, 1)` or a single id, within `[0, num_classes)`
    (the range only when eager; a graph checks it in its own signature).

    Args:
        labels: int class ids (list, NumPy array or tensor); `[]` for none.
        num_classes: int. Number of classes K.
        owner: optional name of the entry point, prefixed to the messages.

    Returns:
        int32 tensor `(N,)`.

    Raises:
        ValueError: naming `labels`: float labels, another shape, or ids out of range.

    Example:

    >>> class_id_vector([[2], [0]], num_classes=3)
    <tf.Tensor: shape=(2,), dtype=int32, numpy=array([2, 0], dtype=int32)>
    """
    prefix = f"{owner}: " if owner else ""
    if isinstance(labels, list | tuple) and not labels:
        labels = tf.zeros((0,), tf.int32)  # `[]` has no dtype to check
    labels = tf.convert_to_tensor(labels)
    if not labels.dtype.is_integer:
        raise ValueError(f"{prefix}labels must be int class ids; got dtype {labels.dtype.name}")
    if labels.shape.rank == 0 or (labels.shape.rank == 2 and labels.shape[1] == 1):
        labels = tf.reshape(labels, [-1])
    if labels.shape.rank != 1:
        raise ValueError(f"{prefix}labels must be a vector of class ids of shape (N,); got "
                         f"shape {tuple(labels.shape)}")
    if tf.executing_eagerly():
        check_labels_in_range(labels.numpy(), num_classes, owner)
    return tf.cast(labels, tf.int32)


def _range_guard(spec: BatchSpec, images: tf.Tensor) -> list:
    inside, smallest, largest = within_range(images, spec.value_range, RANGE_SLACK)
    turn_off = "" if spec.range_off is None else f", or turn the check off with {spec.range_off}"
    return _require(
        inside,
        f"{spec.owner}: images must lie in {spec.range_name} (values up to half its span "
        f"beyond it pass); got values from {{}} to {{}}. {_capitalised(spec.range_fix)}"
        f"{turn_off}",
        smallest,
        largest,
    )


def _labels_guard(spec: BatchSpec, labels: tf.Tensor) -> list:
    class_ids = spec.labels == CLASS_IDS or (
        spec.labels == CLASS_IDS_OR_ONE_HOT and (labels.shape.rank == 1 or labels.shape[-1] == 1)
    )
    if spec.num_classes is None or not class_ids:
        return []
    ids = tf.reshape(tf.cast(labels, tf.int64), [-1])
    empty = tf.equal(tf.size(ids), 0)
    smallest = tf.where(empty, tf.constant(0, tf.int64), tf.reduce_min(ids))
    largest = tf.where(empty, tf.constant(0, tf.int64), tf.reduce_max(ids))
    return _require(
        tf.logical_and(smallest >= (UNLABELLED if spec.unlabelled else 0),
                       largest < spec.num_classes),
        _class_ids_message(spec.owner, spec.num_classes, spec.unlabelled),
        smallest,
        largest,
    )


def _class_ids_message(owner: str | None, num_classes: int, unlabelled: bool = False) -> str:
    """The class-id range error, with a `{}` for the smallest and the largest label seen."""
    prefix = f"{owner}: " if owner else ""
    marker = f" or {UNLABELLED} (unlabelled)" if unlabelled else ""
    return (f"{prefix}labels must be class ids in [0, {num_classes}){marker} "
            f"(num_classes={num_classes}); got values from {{}} to {{}}")


def _require(ok: tf.Tensor, message: str, *values: tf.Tensor) -> list:
    """Raises at once when eager; returns the assertion to depend on in a graph.

    `message` has one `{}` for each of `values`.
    """
    if tf.executing_eagerly():
        if not bool(ok):
            raise ValueError(message.format(*(_number(v) for v in values)))
        return []
    pieces = message.split("{}")
    data = [pieces[0]]
    for value, piece in zip(values, pieces[1:], strict=True):
        data += [value, piece]
    return [tf.debugging.Assert(ok, data, summarize=1)]


# ------------------------------------------------------------------- helpers
def _kind(dtype) -> str:
    """`"float"`, `"int"`, `"string"`, `"bool"` or `"other"` for a TF, NumPy or Keras dtype."""
    if isinstance(dtype, np.dtype) and dtype.kind in "USO":
        return "string"
    try:
        dtype = tf.as_dtype(dtype)
    except TypeError:
        return "other"
    if dtype == tf.string:
        return "string"
    if dtype.is_bool:
        return "bool"
    if dtype.is_floating:
        return "float"
    if dtype.is_integer:
        return "int"
    return "other"


def _dtype_name(dtype) -> str:
    return getattr(dtype, "name", str(dtype))


def _number(value: tf.Tensor):
    number = value.numpy().item()
    return f"{number:g}" if isinstance(number, float) else number


def _batch_of(shape: Sequence[int]) -> str:
    return f"(batch, {', '.join(map(str, shape))})"


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]
