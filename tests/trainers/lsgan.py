"""A least-squares GAN (Mao et al. 2017) written only against the trainer kernel.

It exists to show (and test) what a new trainer costs: its loss maths, its
`train_step` and a registry entry (`register()`; a library trainer writes
`@trainers.register("lsgan")` above the class, a test registers it only while it runs so
that the library's own list of trainers stays as it is). Everything else (compile,
checks, averaging, trackers, XLA split, randomness, checkpoints, the train binary) comes
from the kernel.
"""

import keras
import tensorflow as tf

from tfgenaug import trainers
from tfgenaug.trainers.base import ConditionalGANTrainer
from tfgenaug.trainers.base import default_networks


def least_squares(values: tf.Tensor, target: float) -> tf.Tensor:
    """Per-example `0.5 * (values - target)^2`, summed over the non-batch axes."""
    values = tf.reshape(tf.cast(values, tf.float32), [tf.shape(values)[0], -1])
    return 0.5 * tf.reduce_sum(tf.square(values - target), axis=1)


@keras.saving.register_keras_serializable(package="tfgenaug_tests")
class LSGAN(ConditionalGANTrainer):
    """Class-conditional LSGAN: D regresses real to 1 and fake to 0; G pulls fake to 1."""

    metric_names = ("d_loss", "g_loss")

    def __init__(self, image_shape=None, num_classes=10, noise_dim=32, width=8,
                 critic_width=8, generator=None, discriminator=None, diffaugment=None,
                 seed=0, **kwargs):
        if diffaugment:
            raise ValueError(f"LSGAN takes no diffaugment; got {diffaugment!r}")
        generator, discriminator = default_networks(
            image_shape, num_classes, noise_dim, width, critic_width, generator, discriminator)
        super().__init__(generator, discriminator, num_classes, noise_dim, seed=seed, **kwargs)
        self.width, self.critic_width = width, critic_width

    def discriminator_maths(self, images, labels, noise):
        batch = tf.shape(images)[0]
        fake = self.generator([noise, labels], training=True)
        with tf.GradientTape() as tape:
            real_out = self.discriminator([images, labels], training=True)["logits"]
            fake_out = self.discriminator([fake, labels], training=True)["logits"]
            per_example = least_squares(real_out, 1.0) + least_squares(fake_out, 0.0)
            loss = self.average_loss(per_example, batch)
        return loss, self.gradients(tape, loss, self.discriminator, self.d_optimizer)

    def generator_maths(self, labels, noise):
        batch = tf.shape(labels)[0]
        with tf.GradientTape() as tape:
            fake = self.generator([noise, labels], training=True)
            fake_out = self.discriminator([fake, labels], training=True)["logits"]
            loss = self.average_loss(least_squares(fake_out, 1.0), batch)
        return loss, self.gradients(tape, loss, self.generator, self.g_optimizer)

    def train_step(self, data):
        images, labels = self.unpack_batch(data)
        batch = tf.shape(images)[0]
        d_loss, grads = self.xla_maths(self.discriminator_maths)(
            images, labels, self.replica_noise(batch, draw=0))
        self.apply_update(self.d_optimizer, grads, self.discriminator)
        g_loss, grads = self.xla_maths(self.generator_maths)(
            labels, self.replica_noise(batch, draw=1))
        self.apply_update(self.g_optimizer, grads, self.generator)
        return self.update_trackers({"d_loss": d_loss, "g_loss": g_loss})

    def get_config(self) -> dict:
        return {**super().get_config(), "width": self.width, "critic_width": self.critic_width}


def register() -> type:
    """The registry entry: makes `--trainer=lsgan` and `trainers.get("lsgan")` work."""
    return trainers.register("lsgan")(LSGAN)
