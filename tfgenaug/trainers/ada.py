"""Adaptive discriminator augmentation (ADA, Karras et al. 2020) for the GAN trainers.

With few training images a discriminator memorises them and the generator's signal
collapses. ADA augments every image the discriminator sees, real and generated, with
probability `p`, and steers `p` by an overfitting signal: the share of real images the
discriminator is sure about. When that signal is above `target`, `p` grows; below, it
shrinks; `speed` images move it by 1. The transformations are the differentiable
DiffAugment ones (`tfgenaug.trainers.diffaugment`), so the generator's gradients pass
through them.

The signal is `E[sign(D(x_real))]` for a logistic discriminator (ADA's `r_t`). A WGAN
critic's outputs have no fixed zero, so for it the signal is
`E[sign(D(x_real) - D(G(z)))]` over the batch's pairs: 0 when the critic cannot order a
real and a generated image, 1 when it always can.
"""

import numbers

import tensorflow as tf

DEFAULT_POLICY = ("color", "translation", "cutout")


def check_options(target, speed) -> tuple[float | None, int]:
    """Validates ADA's options.

    Args:
        target: the overfitting signal to hold, in (0, 1), or None for no ADA.
        speed: positive int, images that move `p` from 0 to 1.

    Returns:
        `(target as float or None, speed as int)`.

    Raises:
        ValueError: naming `ada_target` or `ada_speed` and the expected form.
    """
    if target is not None:
        if isinstance(target, bool) or not isinstance(target, numbers.Real) or not 0 < target < 1:
            raise ValueError(f"ada_target must be a number in (0, 1) or None; got {target!r}")
        target = float(target)
    if isinstance(speed, bool) or not isinstance(speed, numbers.Integral) or speed < 1:
        raise ValueError(f"ada_speed must be a positive int (images); got {speed!r}")
    return target, int(speed)


def gate(images: tf.Tensor, augmented: tf.Tensor, u: tf.Tensor, p) -> tf.Tensor:
    """Per image, `augmented` where `u < p`, else `images` (differentiable in both).

    Args:
        images: `(N, H, W, C)`.
        augmented: the same images transformed, same shape.
        u: `(N,)` U[0, 1) values.
        p: scalar probability (a float, tensor or variable).

    Returns:
        `(N, H, W, C)`.
    """
    chosen = tf.reshape(u < tf.cast(p, u.dtype), [-1, 1, 1, 1])
    return tf.where(chosen, augmented, images)


def logistic_signal(real_logits: tf.Tensor) -> tf.Tensor:
    """Per-example ADA signal of a logistic discriminator: `sign(D(x_real))`, `(N,)`."""
    return tf.sign(tf.reshape(tf.cast(real_logits, tf.float32), [-1]))


def critic_signal(real_scores: tf.Tensor, fake_scores: tf.Tensor) -> tf.Tensor:
    """Per-example ADA signal of a WGAN critic: `sign(D(x_real) - D(G(z)))`, `(N,)`."""
    real = tf.reshape(tf.cast(real_scores, tf.float32), [-1])
    fake = tf.reshape(tf.cast(fake_scores, tf.float32), [-1])
    return tf.sign(real - fake)


def next_probability(p, signal, target: float, images: tf.Tensor, speed: int) -> tf.Tensor:
    """`clip(p + sign(signal - target) * images / speed, 0, 1)`.

    Args:
        p: the current probability.
        signal: the batch's overfitting signal (mean of the per-example signals).
        target: the signal to hold.
        images: how many real images the signal was measured on (the global batch).
        speed: images that move `p` by 1.

    Returns:
        The new probability, a float32 scalar.
    """
    step = tf.sign(tf.cast(signal, tf.float32) - target) * tf.cast(images, tf.float32) / speed
    return tf.clip_by_value(tf.cast(p, tf.float32) + step, 0.0, 1.0)
