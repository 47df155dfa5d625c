"""The EMA of a discriminator's weights as a classifier: DADA's and SemiSupervisedGAN's.

Both train a discriminator whose logits also classify, and both evaluate an
exponential moving average of its weights (see `tfgenaug.trainers.ema`) rather than the
raw weights. `EMAClassifierMixin` holds that part once: the averages' updates, the
copy of the discriminator holding them, and class predictions.
"""

from collections.abc import Sequence

import keras
import numpy as np
import tensorflow as tf

from tfgenaug.networks.dada_networks import dada_discriminator
from tfgenaug.networks.dada_networks import dada_generator
from tfgenaug.networks.weight_norm import data_dependent_init
from tfgenaug.trainers import dada_heads
from tfgenaug.trainers import ema


def check_ema_decay(ema_decay: float) -> float:
    """`ema_decay` as a float; a ValueError naming it unless it is in [0, 1)."""
    if not 0.0 <= ema_decay < 1.0:
        raise ValueError(f"ema_decay must be in [0, 1); got {ema_decay}")
    return float(ema_decay)


def weight_norm_networks(
    image_shape: Sequence[int] | None,
    num_classes: int,
    noise_dim: int,
    width_multiplier: float,
    gaussian_noise: float,
    dropout: float,
    generator: keras.Model | None,
    discriminator: keras.Model | None,
    logits_per_class: int,
) -> tuple[keras.Model, keras.Model]:
    """The given networks, or DADA's weight-normalized defaults; D's outputs checked.

    `logits_per_class` is 2 for DADA's 2K-logit discriminator, 1 for Improved-GAN's
    K-logit one (`networks.semi_supervised_discriminator`).

    Raises:
        ValueError: `image_shape` missing while a network must be built, or a
            discriminator without `logits_per_class * K` logits and features.
    """
    if (generator is None or discriminator is None) and image_shape is None:
        raise ValueError(
            "image_shape is required unless both generator and discriminator are given")
    if generator is None:
        generator = dada_generator(image_shape, num_classes, noise_dim, width_multiplier)
    if discriminator is None:
        discriminator = dada_discriminator(image_shape, num_classes, width_multiplier,
                                           gaussian_noise, dropout,
                                           logits_per_class=logits_per_class)
    dada_heads.check_discriminator(discriminator, num_classes,
                                   logits_per_class=logits_per_class)
    return generator, discriminator


class EMAClassifierMixin:
    """EMA-of-D classification for a trainer with `discriminator`, `d_optimizer`, `ema`.

    The trainer sets `self.ema = ema.averages_of(discriminator.trainable_variables)` and
    `self.ema_decay`, calls `update_ema()` after each discriminator update and
    implements `classifier()` (usually `ema_discriminator()` and a head).
    """

    @property
    def ema_weights(self) -> list:
        """The EMA of D's trainable weights, in `discriminator.trainable_variables` order."""
        return list(self.ema.averages)

    def current_ema_decay(self) -> tf.Tensor:
        """`min(ema_decay, (1 + t) / (10 + t))` with `t` the D updates done so far."""
        return ema.warmup_decay(self.ema_decay, self.d_optimizer.iterations)

    def update_ema(self) -> None:
        """`ema = d * ema + (1 - d) * weights` for D's trainable weights."""
        ema.update(self.ema_weights, self.discriminator.trainable_variables,
                   self.current_ema_decay())

    def reset_ema(self) -> None:
        """Sets the EMA to D's current weights."""
        ema.reset(self.ema_weights, self.discriminator.trainable_variables)

    def initialize(self, images) -> int:
        """Data-dependent weight-norm initialisation of D (as the references), then EMA.

        Args:
            images: a batch of real training images in [-1, 1] (the references use
                500).

        Returns:
            The number of weight-normalized layers initialised.
        """
        images = tf.cast(tf.convert_to_tensor(images), tf.float32)
        count = data_dependent_init(self.discriminator, images)
        self.reset_ema()
        return count

    def ema_discriminator(self) -> keras.Model:
        """A copy of the discriminator holding the EMA weights at the time of the call."""
        copy = keras.Model.from_config(self.discriminator.get_config())
        copy.set_weights(self.discriminator.get_weights())
        for target, average in zip(copy.trainable_variables, self.ema_weights, strict=True):
            target.assign(np.asarray(average))
        return copy

    def classifier(self) -> keras.Model:
        """A `keras.Model` mapping images in [-1, 1] to K class logits, with EMA weights."""
        raise NotImplementedError

    def classify(self, images, batch_size: int = 256) -> np.ndarray:
        """Class ids predicted by the EMA discriminator for images in [-1, 1].

        Args:
            images: float array `(N, *image_shape)` in [-1, 1].
            batch_size: int. Defaults to 256.

        Returns:
            int `np.ndarray` `(N,)`.

        Raises:
            ValueError: images of the wrong shape.
        """
        images = np.asarray(images, dtype=np.float32)
        if images.ndim != 4 or tuple(images.shape[1:]) != tuple(self.image_shape):
            raise ValueError(
                f"images must have shape (N, {', '.join(map(str, self.image_shape))}); got "
                f"{images.shape}"
            )
        logits = self.classifier().predict(images, batch_size=batch_size, verbose=0)
        return np.argmax(logits, axis=-1).astype(np.int32)
