"""The EMA of a discriminator's weights as a classifier: DADA's and SemiSupervisedGAN's.

Both train a discriminator whose logits also classify, and both evaluate an
exponential moving average of its weights (see `tfgenaug.trainers.ema`) rather than the
raw weights. `EMAClassifierMixin` holds that part once: the averages' updates, the
copy of the discriminator holding them, and class predictions.
"""

import keras
import numpy as np
import tensorflow as tf

from tfgenaug.networks.weight_norm import data_dependent_init
from tfgenaug.trainers import ema


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
