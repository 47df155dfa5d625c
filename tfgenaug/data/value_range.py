"""Conversions between a user's pixel value range and the trainers' range `[-1, 1]`."""

import numbers
from collections.abc import Sequence

import keras
import numpy as np
import tensorflow as tf


def check_value_range(value_range: Sequence[float]) -> tuple[float, float]:
    """Validates a `(low, high)` pixel value range.

    Args:
        value_range: A pair of finite numbers `(low, high)` with `low < high`, e.g. `(0, 255)`
            for uint8-style pixels or `(0, 1)`.

    Returns:
        The range as a tuple of two Python floats.

    Raises:
        ValueError: If `value_range` is not a pair of finite numbers with `low < high`.

    Example:

    >>> check_value_range((0, 255))
    (0.0, 255.0)
    """
    message = f"value_range must be (low, high) with low < high; got {value_range!r}"
    if isinstance(value_range, str | bytes) or not isinstance(value_range, Sequence):
        raise ValueError(message)
    if len(value_range) != 2:
        raise ValueError(message)
    low, high = value_range
    for value in (low, high):
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise ValueError(message)
        if not np.isfinite(value):
            raise ValueError(message)
    if not low < high:
        raise ValueError(message)
    return float(low), float(high)


def _as_float32(images):
    """Casts `images` to float32, keeping its kind (NumPy array, tf.Tensor or KerasTensor)."""
    if tf.is_tensor(images):
        return tf.cast(images, tf.float32)
    if isinstance(images, keras.KerasTensor):
        return keras.ops.cast(images, "float32")
    return np.asarray(images, dtype=np.float32)


def _finish(result):
    """Keeps NumPy results float32 NumPy arrays (NumPy scalars come back as 0-d arrays)."""
    if isinstance(result, np.ndarray | np.generic):
        return np.asarray(result, dtype=np.float32)
    return result


def to_model_range(images, value_range: Sequence[float]):
    """Maps pixel values from `value_range` to the trainers' range `[-1, 1]`.

    `low` maps to `-1` and `high` to `1` exactly; values outside the range are not clipped.
    Works on NumPy arrays (returns a NumPy array), TensorFlow tensors (also in graph mode, e.g.
    inside `tf.data.Dataset.map`) and Keras symbolic tensors.

    Args:
        images: Pixel values of any shape and numeric dtype.
        value_range: `(low, high)`, the range `images` are in.

    Returns:
        float32 values in `[-1, 1]`, of the same shape and array type as `images`.

    Raises:
        ValueError: If `value_range` is not `(low, high)` with `low < high`.

    Example:

    >>> to_model_range(np.array([0, 255], np.uint8), (0, 255))
    array([-1.,  1.], dtype=float32)
    """
    low, high = check_value_range(value_range)
    half = (high - low) / 2.0
    # Dividing by the half-width keeps both endpoints exact in float32.
    return _finish((_as_float32(images) - low) / half - 1.0)


def from_model_range(images, value_range: Sequence[float]):
    """Maps values from the trainers' range `[-1, 1]` back to `value_range`.

    The inverse of `to_model_range`: `-1` maps to `low` and `1` to `high`; no clipping.

    Args:
        images: Values in `[-1, 1]`, NumPy array or (graph-mode) TensorFlow / Keras tensor.
        value_range: `(low, high)`, the range to map into.

    Returns:
        float32 values in `value_range`, of the same shape and array type as `images`.

    Raises:
        ValueError: If `value_range` is not `(low, high)` with `low < high`.

    Example:

    >>> from_model_range(np.array([-1.0, 1.0]), (0, 255))
    array([  0., 255.], dtype=float32)
    """
    low, high = check_value_range(value_range)
    half = (high - low) / 2.0
    return _finish((_as_float32(images) + 1.0) * half + low)


RANGE_SLACK = 0.5
"""How far images may lie beyond their value range, as a share of its span, by default."""


def range_text(value_range: Sequence[float]) -> str:
    """`"(low, high)"` of a value range for messages, e.g. `"(0, 255)"`."""
    low, high = value_range
    return f"({low:g}, {high:g})"


def within_range(images, value_range: Sequence[float], slack: float = RANGE_SLACK) -> tuple:
    """Whether `images` lie in `value_range` widened by `slack` times its span.

    The rule of every range check in tfgenaug: values may stray beyond the range by
    `slack * (high - low)` (interpolation or augmentation overshoot, rounding), while a
    different convention (`[0, 255]` pixels for `[-1, 1]`) lies further out.

    Args:
        images: a tensor or array of any shape (empty passes).
        value_range: `(low, high)`.
        slack: how far beyond the range values may go, as a share of its span.

    Returns:
        `(ok, smallest, largest)`: a bool tensor and the float32 extremes found (the
        range's ends for an empty input).

    Example:

    >>> ok, smallest, largest = within_range(np.array([0.0, 1.02]), (-1, 1))
    >>> bool(ok), float(largest)
    (True, 1.0199999809265137)
    """
    low, high = check_value_range(value_range)
    margin = slack * (high - low)
    values = tf.cast(tf.convert_to_tensor(images), tf.float32)
    empty = tf.equal(tf.size(values), 0)
    smallest = tf.where(empty, low, tf.reduce_min(values))
    largest = tf.where(empty, high, tf.reduce_max(values))
    ok = tf.logical_and(smallest >= low - margin, largest <= high + margin)
    return ok, smallest, largest


def assert_in_value_range(images, value_range: Sequence[float], slack: float = RANGE_SLACK):
    """Returns `images` after checking, in graph mode too, that they lie in `value_range`.

    A layer told `value_range=(0, 1)` and given `[0, 255]` pixels would silently mix
    generated images in the wrong range into the batch. Values may stray from
    `value_range` by `slack` times its span (see `within_range`) before the check fails.
    Under XLA the assertion is compiled away, so check in the input pipeline where it
    matters. (tfgenaug's own entry points check with `tfgenaug.data.batch_checks`.)

    Args:
        images: A float tensor or array.
        value_range: The `(low, high)` the caller declared.
        slack: How far beyond the range, as a share of `high - low`, values may go.

    Returns:
        `images` as a tensor, to be used in place of the input so the check runs first.

    Raises:
        tf.errors.InvalidArgumentError: when (or, in a graph, once) a value lies
            outside the range plus the slack; the message names `value_range`.

    Example:

    >>> assert_in_value_range(np.full((1, 2, 2, 1), 200.0), (0, 1))
    Traceback (most recent call last):
    ...
    tensorflow.python.framework.errors_impl.InvalidArgumentError: ...
    """
    images = tf.convert_to_tensor(images)
    ok, smallest, largest = within_range(images, value_range, slack)
    message = (
        f"images must lie in value_range={range_text(check_value_range(value_range))} "
        f"(the layer's argument); "
        f"found values beyond it by more than {slack:g} x its span: pass the range your "
        f"images use, e.g. value_range=(0, 255) for uint8-style pixels"
    )
    with tf.control_dependencies([
        tf.debugging.Assert(ok, [message, "got values from", smallest, "to", largest]),
    ]):
        return tf.identity(images)
