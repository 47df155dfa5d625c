"""DADA's two heads on a 2K-logit discriminator, and its losses, as pure functions.

The discriminator gives 2K logits per image, read as `(2, K)`: `logits[:, :K]` are
the "real" logits `l_r,k` and `logits[:, K:]` the "fake" logits `l_f,k` (the
reference reshapes the 2K outputs to `(batch, 2, K)`). For an image of class `y` the
*source head* is a 2-way softmax over `[l_r,y, l_f,y]`; the *class head* is a
K-way softmax over `l_r,k + l_f,k`, whose argmax is the classifier's prediction.

Every loss returns a per-example vector `(N,)` for `ConditionalGANTrainer.average_loss`.
"""

import keras
import tensorflow as tf

REAL = 0
FAKE = 1


def split_logits(logits: tf.Tensor, num_classes: int) -> tf.Tensor:
    """Reshapes `(N, 2K)` logits to `(N, 2, K)`: `[:, 0]` real, `[:, 1]` fake.

    Raises:
        ValueError: the last axis is not `2 * num_classes`.
    """
    logits = tf.convert_to_tensor(logits)
    if logits.shape[-1] is not None and logits.shape[-1] != 2 * num_classes:
        raise ValueError(
            f"logits must have 2 * num_classes = {2 * num_classes} columns; got shape "
            f"{tuple(logits.shape)}"
        )
    return tf.reshape(logits, [-1, 2, num_classes])


def source_logits(logits: tf.Tensor, labels: tf.Tensor, num_classes: int) -> tf.Tensor:
    """The source head's 2 logits `[l_r,y, l_f,y]` of each image's class `y`.

    Args:
        logits: `(N, 2K)` discriminator logits.
        labels: `(N,)` int class ids.
        num_classes: int. K.

    Returns:
        `(N, 2)` logits; column 0 is "real", column 1 "fake".

    Example:
    ```python
    source_logits([[1., 2., 3., 4.]], [1], num_classes=2)  # [[2., 4.]]
    ```
    """
    pairs = split_logits(logits, num_classes)
    # A one-hot contraction, not a gather: its gradient is dense and XLA-friendly.
    one_hot = tf.one_hot(tf.cast(labels, tf.int32), num_classes, dtype=pairs.dtype)
    return tf.einsum("nsk,nk->ns", pairs, one_hot)


def class_logits(logits: tf.Tensor, num_classes: int) -> tf.Tensor:
    """The class head's K logits `l_r,k + l_f,k`.

    Args:
        logits: `(N, 2K)` discriminator logits.
        num_classes: int. K.

    Returns:
        `(N, K)` logits.

    Example:
    ```python
    class_logits([[1., 2., 3., 4.]], num_classes=2)  # [[4., 6.]]
    ```
    """
    return tf.reduce_sum(split_logits(logits, num_classes), axis=1)


def source_loss(logits: tf.Tensor, labels: tf.Tensor, num_classes: int, real: bool) -> tf.Tensor:
    """Per-example cross-entropy of the source head toward "real" or "fake".

    Args:
        logits: `(N, 2K)` discriminator logits.
        labels: `(N,)` int class ids (the class each image is of, or was made for).
        num_classes: int. K.
        real: bool. Target "real" (`True`) or "fake" (`False`).

    Returns:
        `(N,)` float32 tensor.
    """
    pair = tf.cast(source_logits(logits, labels, num_classes), tf.float32)
    target = tf.fill(tf.shape(pair)[:1], REAL if real else FAKE)
    return tf.nn.sparse_softmax_cross_entropy_with_logits(labels=target, logits=pair)


def unlabelled_source_loss(logits: tf.Tensor, num_classes: int) -> tf.Tensor:
    """Per-example cross-entropy toward "real" of a real image whose class is unknown.

    The source head marginalised over the classes: `P(real | x) = sum_k exp(l_r,k) /
    sum_k (exp(l_r,k) + exp(l_f,k))`, so the loss is
    `softplus(logsumexp(l_f) - logsumexp(l_r))`. An extension of DADA beyond the paper
    (Improved-GAN's unlabelled term, on the 2K-class discriminator).

    Args:
        logits: `(N, 2K)` discriminator logits.
        num_classes: int. K.

    Returns:
        `(N,)` float32 tensor.

    Example:
    ```python
    unlabelled_source_loss([[0., 0., 0., 0.]], num_classes=2)  # [log 2]
    ```
    """
    pairs = tf.cast(split_logits(logits, num_classes), tf.float32)
    real = tf.reduce_logsumexp(pairs[:, 0], axis=-1)
    fake = tf.reduce_logsumexp(pairs[:, 1], axis=-1)
    return tf.nn.softplus(fake - real)


def class_loss(logits: tf.Tensor, labels: tf.Tensor, num_classes: int) -> tf.Tensor:
    """Per-example cross-entropy of the class head.

    Args:
        logits: `(N, 2K)` discriminator logits.
        labels: `(N,)` int class ids.
        num_classes: int. K.

    Returns:
        `(N,)` float32 tensor.
    """
    return tf.nn.sparse_softmax_cross_entropy_with_logits(
        labels=tf.cast(labels, tf.int32),
        logits=tf.cast(class_logits(logits, num_classes), tf.float32),
    )


def class_correct(logits: tf.Tensor, labels: tf.Tensor, num_classes: int) -> tf.Tensor:
    """Per-example 1.0 where the class head's argmax equals the label, else 0.0."""
    predicted = tf.argmax(class_logits(logits, num_classes), axis=-1, output_type=tf.int32)
    return tf.cast(tf.equal(predicted, tf.cast(labels, tf.int32)), tf.float32)


def feature_matching_loss(real_mean: tf.Tensor, fake_mean: tf.Tensor) -> tf.Tensor:
    """L1 feature matching `mean_j |E[f_j(x)] - E[f_j(G(z))]|` of batch-mean features.

    Args:
        real_mean: `(F,)` batch mean of the discriminator's features on real images.
        fake_mean: `(F,)` the same on generated images.

    Returns:
        A float32 scalar.
    """
    diff = tf.cast(real_mean, tf.float32) - tf.cast(fake_mean, tf.float32)
    return tf.reduce_mean(tf.abs(diff))


@keras.saving.register_keras_serializable(package="tfgenaug")
class ClassHead(keras.layers.Layer):
    """DADA's class head as a layer: `(N, 2K)` logits to `(N, K)` logits `l_r + l_f`.

    Args:
        num_classes: int. K.
    """

    def __init__(self, num_classes: int, **kwargs):
        super().__init__(**kwargs)
        self.num_classes = num_classes

    def call(self, logits):
        return class_logits(logits, self.num_classes)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.num_classes)

    def get_config(self):
        return {**super().get_config(), "num_classes": self.num_classes}


def check_discriminator(discriminator: keras.Model, num_classes: int,
                        logits_per_class: int = 2) -> None:
    """Raises a ValueError naming `discriminator` unless it gives the logits and features.

    DADA's has 2K logits (`logits_per_class=2`); the semi-supervised GAN's K.
    """
    width = "2K" if logits_per_class == 2 else "K"
    try:
        outputs = discriminator.output
    except (AttributeError, ValueError):  # a model never called: nothing to read yet
        outputs = None
    if not isinstance(outputs, dict) or not {"logits", "features"} <= set(outputs):
        raise ValueError(
            f"discriminator must map images to a dict with 'logits' (N, {width}) and "
            f"'features' (N, F); got outputs {outputs!r}"
        )
    expected = logits_per_class * num_classes
    if outputs["logits"].shape[-1] != expected:
        raise ValueError(
            f"discriminator must output {logits_per_class} * num_classes = {expected} logits; "
            f"got {outputs['logits'].shape[-1]}"
        )
