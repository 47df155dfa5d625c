"""GAN losses as pure functions of logits.

Every function returns a *per-example* loss vector of shape `(N,)`; trainers average
them with `tf.nn.compute_average_loss`, which divides by the global batch size so that
`tf.distribute` strategies give the same result as one device.
"""

from collections.abc import Callable

import tensorflow as tf


def wasserstein_discriminator_loss(real_logits: tf.Tensor, fake_logits: tf.Tensor) -> tf.Tensor:
    """Per-example WGAN critic loss `D(G(z)) - D(x)` (Arjovsky et al. 2017).

    Args:
        real_logits: `(N,)` critic outputs on real images.
        fake_logits: `(N,)` critic outputs on generated images.

    Returns:
        `(N,)` float tensor; its mean is the negative Wasserstein estimate.
    """
    return fake_logits - real_logits


def wasserstein_generator_loss(fake_logits: tf.Tensor) -> tf.Tensor:
    """Per-example WGAN generator loss `-D(G(z))`.

    Args:
        fake_logits: `(N,)` critic outputs on generated images.

    Returns:
        `(N,)` float tensor.
    """
    return -fake_logits


def minimax_discriminator_loss(
    real_logits: tf.Tensor, fake_logits: tf.Tensor, real_target: float = 1.0
) -> tf.Tensor:
    """Per-example GAN discriminator loss `-log D(x) - log(1 - D(G(z)))` from logits.

    Args:
        real_logits: `(N,)` discriminator logits on real images.
        fake_logits: `(N,)` discriminator logits on generated images.
        real_target: float. Target of real images; below 1 for one-sided label
            smoothing (Salimans et al. 2016). Defaults to 1.

    Returns:
        `(N,)` float tensor.
    """
    real = tf.nn.sigmoid_cross_entropy_with_logits(
        tf.fill(tf.shape(real_logits), tf.cast(real_target, real_logits.dtype)), real_logits
    )
    fake = tf.nn.sigmoid_cross_entropy_with_logits(tf.zeros_like(fake_logits), fake_logits)
    return real + fake


def modified_generator_loss(fake_logits: tf.Tensor) -> tf.Tensor:
    """Per-example non-saturating generator loss `-log D(G(z))` (Goodfellow et al. 2014).

    Args:
        fake_logits: `(N,)` discriminator logits on generated images.

    Returns:
        `(N,)` float tensor.
    """
    return tf.nn.sigmoid_cross_entropy_with_logits(tf.ones_like(fake_logits), fake_logits)


def gradient_penalty(
    critic_fn: Callable[[tf.Tensor], tf.Tensor],
    real: tf.Tensor,
    fake: tf.Tensor,
    alpha: tf.Tensor,
    epsilon: float = 1e-10,
) -> tf.Tensor:
    """Per-example WGAN-GP penalty `(||grad_x D(x_hat)||_2 - 1)^2` (Gulrajani et al. 2017).

    `x_hat = real + alpha * (fake - real)` with one alpha per example, formed in
    float32 whatever the compute dtype (a mixed-precision critic casts it to its own
    compute dtype and the gradient back to float32). The norm is taken over every
    non-batch axis, in float32, with `epsilon` inside the square root so the gradient
    is finite at zero.

    Args:
        critic_fn: maps a batch of inputs to `(N,)` critic outputs.
        real: real inputs `(N, ...)`.
        fake: generated inputs, same shape.
        alpha: `(N,)` interpolation weights in [0, 1].
        epsilon: float. Added before the square root. Defaults to 1e-10.

    Returns:
        `(N,)` float32 tensor of penalties.
    """
    real = tf.cast(real, tf.float32)
    alpha = tf.reshape(tf.cast(alpha, tf.float32), [-1] + [1] * (real.shape.rank - 1))
    interpolated = real + alpha * (tf.cast(fake, tf.float32) - real)
    with tf.GradientTape() as tape:
        tape.watch(interpolated)
        outputs = tf.cast(critic_fn(interpolated), tf.float32)
    grads = tf.cast(tape.gradient(outputs, interpolated), tf.float32)
    axes = list(range(1, grads.shape.rank))
    norms = tf.sqrt(tf.reduce_sum(tf.square(grads), axis=axes) + epsilon)
    return tf.square(norms - 1.0)


def auxiliary_classifier_loss(labels: tf.Tensor, class_logits: tf.Tensor) -> tf.Tensor:
    """Per-example cross-entropy of an auxiliary class head (AC-GAN, Odena et al. 2017).

    Args:
        labels: `(N,)` int class ids.
        class_logits: `(N, K)` logits.

    Returns:
        `(N,)` float tensor.
    """
    return tf.nn.sparse_softmax_cross_entropy_with_logits(
        labels=tf.cast(labels, tf.int32), logits=tf.cast(class_logits, tf.float32)
    )


def semi_supervised_labelled_loss(labels: tf.Tensor, class_logits: tf.Tensor) -> tf.Tensor:
    """Per-example loss of a K-logit discriminator on labelled real images.

    The discriminator of Salimans et al. (2016) has K class logits `l` and an implicit
    fake class whose logit is fixed at 0, so `p(y | x) = softmax(l)_y` among the real
    classes: the loss is the cross-entropy `logsumexp(l) - l_y`.

    Args:
        labels: `(N,)` int class ids in `[0, K)`.
        class_logits: `(N, K)` logits of the real classes.

    Returns:
        `(N,)` float tensor.
    """
    return tf.nn.sparse_softmax_cross_entropy_with_logits(
        labels=tf.cast(labels, tf.int32), logits=class_logits
    )


def semi_supervised_unlabelled_loss(
    real_class_logits: tf.Tensor, fake_class_logits: tf.Tensor
) -> tf.Tensor:
    """Per-example real-vs-fake loss of a K-logit discriminator, from `logsumexp`.

    With the fake class's logit at 0, `D(x) = p(real | x) = Z / (Z + 1)` where
    `Z = sum_k exp(l_k)`, so `-log D(x) = softplus(-logsumexp(l))` on an unlabelled real
    image and `-log(1 - D(G(z))) = softplus(logsumexp(l))` on a generated one (the
    unlabelled term of Improved-GAN, equation 5, written stably). The two halves are
    summed pairwise, so both batches must have the same size N.

    Args:
        real_class_logits: `(N, K)` logits of unlabelled real images.
        fake_class_logits: `(N, K)` logits of generated images.

    Returns:
        `(N,)` float tensor.
    """
    real = tf.nn.softplus(-tf.reduce_logsumexp(real_class_logits, axis=-1))
    fake = tf.nn.softplus(tf.reduce_logsumexp(fake_class_logits, axis=-1))
    return real + fake


def squared_feature_matching_loss(
    real_feature_mean: tf.Tensor, fake_feature_mean: tf.Tensor
) -> tf.Tensor:
    """Feature matching: the squared distance between mean features (Salimans et al. 2016).

    (DADA's reference matches with the L1 distance instead: `dada_heads.feature_matching_loss`.)

    The generator makes the mean of an intermediate discriminator layer over its
    samples match that over real images, `||E f(x) - E f(G(z))||^2 / F`. It is a loss of
    the batch, not of each example: under `tf.distribute` pass means over the global
    batch (each replica's sum divided by the global batch, all-reduced).

    Args:
        real_feature_mean: `(F,)` mean features of real images.
        fake_feature_mean: `(F,)` mean features of generated images.

    Returns:
        A scalar.
    """
    return tf.reduce_mean(tf.square(real_feature_mean - fake_feature_mean))
