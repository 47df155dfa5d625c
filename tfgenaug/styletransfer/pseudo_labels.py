"""Pseudo-labels: a teacher classifier labels synthetic images, keeping the confident ones."""

import keras
import numpy as np
import tensorflow as tf

from tfgenaug.styletransfer.encoder import run_network
from tfgenaug.validation import check_interval

# Rows that are non-negative and sum to 1 within this are probabilities, not logits.
_PROBABILITY_TOLERANCE = 1e-3


def check_threshold(threshold, name: str = "threshold") -> float:
    """Returns `threshold` as a float, or raises a ValueError naming it unless in (0, 1]."""
    return check_interval(threshold, name, 0, 1, include_low=False)


def outputs_are_probabilities(teacher) -> bool:
    """Whether a Keras teacher ends in a softmax (else its outputs are taken as logits)."""
    layers = getattr(teacher, "layers", None)
    if not layers:
        return False
    last = layers[-1]
    if isinstance(last, keras.layers.Softmax):
        return True
    activation = getattr(last, "activation", None)
    return getattr(activation, "__name__", "") == "softmax"


def teacher_probabilities(teacher, images, from_logits: bool | None = None) -> tf.Tensor:
    """Class probabilities `(N, K)` of `teacher(images)`, in graph mode too.

    `from_logits=None` applies a softmax unless the teacher's last layer is a softmax.
    """
    outputs = run_network(teacher, images)
    outputs = tf.cast(outputs, tf.float32)
    if from_logits is None:
        from_logits = not outputs_are_probabilities(teacher)
    return tf.nn.softmax(outputs, axis=-1) if from_logits else outputs


def pseudo_label(
    teacher,
    images,
    threshold: float,
    from_logits: bool | None = None,
    batch_size: int = 256,
) -> tuple[np.ndarray, np.ndarray, int]:
    """Labels images with a teacher's predicted class, dropping the unconfident ones.

    An image is kept when the teacher's top class probability is `>= threshold`; its
    label is that class. ST-DA trains on such pseudo-labelled synthetic images only:
    validation and test sets stay real and are never pseudo-labelled.

    Args:
        teacher: a `keras.Model` (or callable) mapping images `(N, ...)` to logits or
            probabilities `(N, K)`.
        images: array `(N, ...)` in the teacher's input range.
        threshold: float in (0, 1]. Minimum top-class probability to keep an image.
        from_logits: bool or `None`. Whether the teacher returns logits; `None` decides
            from its outputs (rows that are non-negative and sum to 1 are
            probabilities). Defaults to `None`.
        batch_size: int. Prediction batch size. Defaults to 256.

    Returns:
        `(kept_images, labels, dropped)`: the kept images (in their input order), their
        int32 pseudo-labels `(M,)`, and the number of images dropped, `N - M`.

    Raises:
        ValueError: naming `threshold` when it is outside (0, 1], or `images` when it is
            not a batch.

    Example:
    ```python
    kept, labels, dropped = pseudo_label(teacher, stylised, threshold=0.9)
    print(f"{dropped} of {len(stylised)} synthetic images dropped")
    ```
    """
    threshold = check_threshold(threshold)
    images = np.asarray(images)
    if images.ndim < 2:
        raise ValueError(f"images must be a batch (N, ...); got shape {images.shape}")
    if len(images) == 0:
        return images, np.zeros(0, np.int32), 0
    chunks = []
    for start in range(0, len(images), batch_size):
        batch = tf.constant(images[start : start + batch_size])
        outputs = run_network(teacher, batch)
        chunks.append(np.asarray(outputs, np.float64))
    outputs = np.concatenate(chunks)
    if outputs.ndim != 2:
        raise ValueError(f"teacher must output class scores (N, K); got shape {outputs.shape}")
    if from_logits is None:
        from_logits = not (
            np.all(outputs >= 0) and np.allclose(outputs.sum(-1), 1.0, atol=_PROBABILITY_TOLERANCE)
        )
    if from_logits:
        shifted = np.exp(outputs - outputs.max(-1, keepdims=True))
        outputs = shifted / shifted.sum(-1, keepdims=True)
    keep = outputs.max(-1) >= threshold
    labels = outputs.argmax(-1).astype(np.int32)
    return images[keep], labels[keep], int(np.sum(~keep))
