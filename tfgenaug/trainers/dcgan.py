"""Conditional DCGAN (Radford et al. 2016): the non-saturating GAN baseline."""

from collections.abc import Sequence

import keras
import tensorflow as tf

from tfgenaug.trainers import ada
from tfgenaug.trainers import diffaugment as diffaug
from tfgenaug.trainers import losses
from tfgenaug.trainers.base import DIFFAUGMENT_DRAWS
from tfgenaug.trainers.base import ConditionalGANTrainer
from tfgenaug.trainers.base import default_networks
from tfgenaug.trainers.registry import register


@register("dcgan")
@keras.saving.register_keras_serializable(package="tfgenaug")
class DCGAN(ConditionalGANTrainer):
    """Class-conditional DCGAN with a projection discriminator.

    One discriminator step (binary cross-entropy on real and generated images of the
    batch's labels) and one generator step (non-saturating loss) per `train_step`.

    References:
        - Radford et al., [Unsupervised Representation Learning with Deep
          Convolutional GANs](https://arxiv.org/abs/1511.06434).

    Args:
        image_shape: `(size, size, channels)`. Needed unless both networks are given.
        num_classes: int. Number of classes K.
        noise_dim: int. Size of the noise vector. Defaults to 128.
        label_smoothing: float. Real targets are `1 - label_smoothing` for D
            (one-sided smoothing). Defaults to 0.
        width: int. Width of the default generator (channels of its last hidden
            layer). Defaults to 16.
        critic_width: int. Width of the default critic (channels of its first
            convolution). A critic wider than the generator costs little (the
            generator's transposed convolutions dominate the step) and gives
            sharper class conditioning. Defaults to 64.
        generator: optional generator `keras.Model`.
        discriminator: optional discriminator `keras.Model` returning `{"logits"}`.
        diffaugment: optional DiffAugment policy, e.g. `"color,translation,cutout"`
            (see `tfgenaug.trainers.diffaugment`): the real and generated images the
            discriminator sees are augmented in both steps. Defaults to `None`.
        spectral_norm: bool. Build the default critic with spectral normalization of
            every layer instead of layer normalization (`networks.conditional_critic`),
            the usual critic of 128x128 GANs. Defaults to `False`.
        seed: int. Seed of the training randomness. Defaults to 0.
        **kwargs: passed to `ConditionalGANTrainer`.

    Example:
    ```python
    trainer = DCGAN(image_shape=(16, 16, 1), num_classes=10)
    trainer.compile()
    trainer.fit(dataset.batch(64), epochs=10)
    ```
    """

    metric_names = ("d_loss", "g_loss", "d_real_accuracy", "d_fake_accuracy")

    def __init__(
        self,
        image_shape: Sequence[int] | None = None,
        num_classes: int = 10,
        noise_dim: int = 128,
        label_smoothing: float = 0.0,
        width: int = 16,
        critic_width: int = 64,
        generator: keras.Model | None = None,
        discriminator: keras.Model | None = None,
        diffaugment: str | None = None,
        spectral_norm: bool = False,
        seed: int = 0,
        **kwargs,
    ):
        if not 0.0 <= label_smoothing < 0.5:
            raise ValueError(f"label_smoothing must be in [0, 0.5); got {label_smoothing}")
        policy = diffaug.parse_policy(diffaugment)
        if kwargs.get("ada_target") is not None and not policy:
            policy = ada.DEFAULT_POLICY
        generator, discriminator = default_networks(
            image_shape, num_classes, noise_dim, width, critic_width, generator, discriminator,
            critic_name="discriminator",
            spectral_norm=bool(spectral_norm),
        )
        super().__init__(generator, discriminator, num_classes, noise_dim, seed=seed, **kwargs)
        self.label_smoothing = float(label_smoothing)
        self.width = width
        self.critic_width = critic_width
        self.diffaugment = policy
        self.spectral_norm = bool(spectral_norm)

    def discriminator_maths(self, images, labels, noise, real_augment=None, fake_augment=None):
        """Discriminator loss, accuracies and gradients for one replica.

        `real_augment` / `fake_augment`: the DiffAugment uniforms of the real and the
        generated images, `None` without DiffAugment.
        """
        batch = tf.shape(images)[0]
        fake = self.generator([noise, labels], training=True)
        if real_augment is not None:
            images = self.augment(images, real_augment)
            fake = self.augment(fake, fake_augment)
        with tf.GradientTape() as tape:
            real_logits = tf.cast(
                self.discriminator([images, labels], training=True)["logits"], tf.float32
            )
            fake_logits = tf.cast(
                self.discriminator([fake, labels], training=True)["logits"], tf.float32
            )
            per_example = losses.minimax_discriminator_loss(
                real_logits, fake_logits, real_target=1.0 - self.label_smoothing
            )
            loss = self.average_loss(per_example, batch)
        grads = self.gradients(tape, loss, self.discriminator, self.d_optimizer)
        terms = {
            "d_loss": loss,
            "d_real_accuracy": self.average_loss(tf.cast(real_logits > 0, tf.float32), batch),
            "d_fake_accuracy": self.average_loss(tf.cast(fake_logits < 0, tf.float32), batch),
        }
        if self.ada_target is not None:
            terms["ada_signal"] = self.average_loss(ada.logistic_signal(real_logits), batch)
        return terms, grads

    def generator_maths(self, labels, noise, fake_augment=None):
        """Generator loss and gradients for one replica."""
        batch = tf.shape(labels)[0]
        with tf.GradientTape() as tape:
            fake = self.generator([noise, labels], training=True)
            if fake_augment is not None:
                fake = self.augment(fake, fake_augment)
            logits = self.discriminator([fake, labels], training=True)["logits"]
            loss = self.average_loss(
                losses.modified_generator_loss(tf.cast(logits, tf.float32)), batch
            )
        return loss, self.gradients(tape, loss, self.generator, self.g_optimizer)

    def train_step(self, data):
        images, labels = self.unpack_batch(data)
        batch = tf.shape(images)[0]
        noise = self.replica_noise(batch, draw=0)
        augment = self.diffaugment_draws(batch, first_draw=DIFFAUGMENT_DRAWS, count=2)
        terms, grads = self.xla_maths(self.discriminator_maths)(images, labels, noise, *augment)
        self.apply_update(self.d_optimizer, grads, self.discriminator)
        if self.ada_target is not None:
            terms.update(self.update_ada(terms.pop("ada_signal"), batch))
        noise = self.replica_noise(batch, draw=1)
        augment = self.diffaugment_draws(batch, first_draw=DIFFAUGMENT_DRAWS + 2, count=1)
        g_loss, g_grads = self.xla_maths(self.generator_maths)(labels, noise, *augment)
        self.apply_update(self.g_optimizer, g_grads, self.generator)
        return self.update_trackers({**terms, "g_loss": g_loss})

    def get_config(self) -> dict:
        return {**super().get_config(), "label_smoothing": self.label_smoothing,
                "width": self.width, "critic_width": self.critic_width,
                "diffaugment": ",".join(self.diffaugment) or None,
                "spectral_norm": self.spectral_norm}
