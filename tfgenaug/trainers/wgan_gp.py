"""Conditional WGAN-GP (Gulrajani et al. 2017), optionally with an auxiliary classifier."""

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
from tfgenaug.validation import check_number
from tfgenaug.validation import check_positive_int


@register("wgan_gp")
@keras.saving.register_keras_serializable(package="tfgenaug")
class WGANGP(ConditionalGANTrainer):
    """Class-conditional Wasserstein GAN with gradient penalty.

    Each `train_step` takes `n_critic` critic steps on the batch (fresh noise and
    interpolation weights each time), then one generator step. The critic is a
    projection discriminator; with `aux_weight > 0` it also has a K-way class head
    trained on real images and used by the generator, as in AC-WGAN-GP.

    References:
        - Gulrajani et al., [Improved Training of Wasserstein GANs](https://arxiv.org/abs/1704.00028).
        - Miyato & Koyama, [cGANs with Projection Discriminator](https://arxiv.org/abs/1802.05637).

    Args:
        image_shape: `(size, size, channels)` of the images. Needed unless both
            networks are given.
        num_classes: int. Number of classes K.
        noise_dim: int. Size of the noise vector. Defaults to 128.
        n_critic: int. Critic steps per generator step. Defaults to 5.
        gp_weight: float. Gradient-penalty weight lambda. Defaults to 10.
        aux_weight: float. Weight of the auxiliary classification loss; 0 builds no
            class head. Defaults to 0.
        width: int. Width of the default generator (channels of its last hidden
            layer). Defaults to 16.
        critic_width: int. Width of the default critic (channels of its first
            convolution). A critic wider than the generator costs little (the
            generator's transposed convolutions dominate the step) and gives
            sharper class conditioning. Defaults to 64.
        generator: optional generator `keras.Model` (`[noise, labels] -> images`).
        discriminator: optional critic `keras.Model` (`[images, labels] ->
            {"logits", "class_logits"?}`).
        diffaugment: optional DiffAugment policy, e.g. `"color,translation,cutout"`
            (see `tfgenaug.trainers.diffaugment`): the real and generated images the
            critic sees are augmented in the critic and the generator steps, and the
            gradient penalty interpolates the augmented images. Defaults to `None`.
        spectral_norm: bool. Build the default critic with spectral normalization of
            every layer instead of layer normalization (`networks.conditional_critic`),
            the usual critic of 128x128 GANs. Defaults to `False`.
        seed: int. Seed of the training randomness. Defaults to 0.
        **kwargs: passed to `ConditionalGANTrainer`.

    Example:
    ```python
    train, _, info = tfgenaug.data.load("digits", image_size=16)
    trainer = WGANGP(image_shape=info.image_shape, num_classes=info.num_classes)
    trainer.compile(jit_compile=True)
    trainer.fit(train.shuffle(2048).repeat().batch(64, drop_remainder=True),
                steps_per_epoch=100, epochs=3)
    images = trainer.sample([0, 1, 2], seed=0)
    ```
    """

    metric_names = ("d_loss", "g_loss", "gradient_penalty", "wasserstein")

    def __init__(
        self,
        image_shape: Sequence[int] | None = None,
        num_classes: int = 10,
        noise_dim: int = 128,
        n_critic: int = 5,
        gp_weight: float = 10.0,
        aux_weight: float = 0.0,
        width: int = 16,
        critic_width: int = 64,
        generator: keras.Model | None = None,
        discriminator: keras.Model | None = None,
        diffaugment: str | None = None,
        spectral_norm: bool = False,
        seed: int = 0,
        **kwargs,
    ):
        check_positive_int(n_critic, "n_critic")
        policy = diffaug.parse_policy(diffaugment)
        if kwargs.get("ada_target") is not None and not policy:
            policy = ada.DEFAULT_POLICY
        check_number(gp_weight, "gp_weight", minimum=0)
        check_number(aux_weight, "aux_weight", minimum=0)
        generator, discriminator = default_networks(
            image_shape, num_classes, noise_dim, width, critic_width, generator, discriminator,
            aux_classifier=aux_weight > 0,
            spectral_norm=bool(spectral_norm),
        )
        super().__init__(generator, discriminator, num_classes, noise_dim, seed=seed, **kwargs)
        self.n_critic = n_critic
        self.gp_weight = float(gp_weight)
        self.aux_weight = float(aux_weight)
        self.width = width
        self.critic_width = critic_width
        self.diffaugment = policy
        self.spectral_norm = bool(spectral_norm)

    def critic_maths(self, images, labels, noise, alpha, real_augment=None, fake_augment=None):
        """Critic loss terms and gradients for one critic step on one replica.

        `real_augment` / `fake_augment`: the DiffAugment uniforms of the real and the
        generated images, `None` without DiffAugment.
        """
        batch = tf.shape(images)[0]
        fake = self.generator([noise, labels], training=True)
        if real_augment is not None:
            images = self.augment(images, real_augment)
            fake = self.augment(fake, fake_augment)
        with tf.GradientTape() as tape:
            real_out = self.discriminator([images, labels], training=True)
            fake_out = self.discriminator([fake, labels], training=True)
            distance = losses.wasserstein_discriminator_loss(
                tf.cast(real_out["logits"], tf.float32), tf.cast(fake_out["logits"], tf.float32)
            )
            penalty = losses.gradient_penalty(
                lambda x: self.discriminator([x, labels], training=True)["logits"],
                images, fake, alpha,
            )
            per_example = distance + self.gp_weight * penalty
            if self.aux_weight:
                per_example += self.aux_weight * losses.auxiliary_classifier_loss(
                    labels, real_out["class_logits"]
                )
            loss = self.average_loss(per_example, batch)
        grads = self.gradients(tape, loss, self.discriminator, self.d_optimizer)
        terms = {
            "d_loss": loss,
            "gradient_penalty": self.average_loss(penalty, batch),
            "wasserstein": -self.average_loss(distance, batch),
        }
        if self.ada_target is not None:
            signal = ada.critic_signal(real_out["logits"], fake_out["logits"])
            terms["ada_signal"] = self.average_loss(signal, batch)
        return terms, grads

    def generator_maths(self, labels, noise, fake_augment=None):
        """Generator loss and gradients for one generator step on one replica."""
        batch = tf.shape(labels)[0]
        with tf.GradientTape() as tape:
            fake = self.generator([noise, labels], training=True)
            if fake_augment is not None:
                fake = self.augment(fake, fake_augment)
            fake_out = self.discriminator([fake, labels], training=True)
            per_example = losses.wasserstein_generator_loss(
                tf.cast(fake_out["logits"], tf.float32)
            )
            if self.aux_weight:
                per_example += self.aux_weight * losses.auxiliary_classifier_loss(
                    labels, fake_out["class_logits"]
                )
            loss = self.average_loss(per_example, batch)
        return loss, self.gradients(tape, loss, self.generator, self.g_optimizer)

    def train_step(self, data):
        images, labels = self.unpack_batch(data)
        batch = tf.shape(images)[0]
        critic_maths = self.xla_maths(self.critic_maths)
        for i in range(self.n_critic):
            noise = self.replica_noise(batch, draw=2 * i)
            alpha = self.replica_uniform(batch, draw=2 * i + 1)
            augment = self.diffaugment_draws(batch, first_draw=DIFFAUGMENT_DRAWS + 2 * i, count=2)
            terms, grads = critic_maths(images, labels, noise, alpha, *augment)
            self.apply_update(self.d_optimizer, grads, self.discriminator)
            if self.ada_target is not None:
                terms.update(self.update_ada(terms.pop("ada_signal"), batch))
        noise = self.replica_noise(batch, draw=2 * self.n_critic)
        augment = self.diffaugment_draws(
            batch, first_draw=DIFFAUGMENT_DRAWS + 2 * self.n_critic, count=1
        )
        g_loss, g_grads = self.xla_maths(self.generator_maths)(labels, noise, *augment)
        self.apply_update(self.g_optimizer, g_grads, self.generator)
        return self.update_trackers({**terms, "g_loss": g_loss})

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "n_critic": self.n_critic,
            "gp_weight": self.gp_weight,
            "aux_weight": self.aux_weight,
            "width": self.width,
            "critic_width": self.critic_width,
            "diffaugment": ",".join(self.diffaugment) or None,
            "spectral_norm": self.spectral_norm,
        }
