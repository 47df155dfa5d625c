"""DAGAN (Antoniou et al. 2017): an image-conditioned generator learns how a class varies.

The generator takes a real image and noise and returns another image meant to be of
the same class; the critic judges pairs, `(image, another image of its class)` against
`(image, G(image, z))`, with the WGAN-GP loss. Nothing in the losses names a class, so
the variation learned on the common classes applies to the rare ones: that is the
imbalance and few-shot lever (issue 21).

Batches are `{"images", "partners", "labels"}` dicts of same-class pairs
(`tfgenaug.data.same_class_pairs` makes them for the global batch, so a strategy's
replicas see one device's pairs); `fit` checks the partners as it checks the images.
"""

import dataclasses
import types
from collections.abc import Sequence

import keras
import tensorflow as tf

from tfgenaug.data import batch_checks
from tfgenaug.networks.dagan_networks import dagan_critic
from tfgenaug.networks.dagan_networks import dagan_generator
from tfgenaug.networks.empty_batch import call_on_rows
from tfgenaug.networks.source_bank import SourceBank
from tfgenaug.networks.source_bank import label_conditioned
from tfgenaug.trainers import losses
from tfgenaug.trainers.base import ConditionalGANTrainer
from tfgenaug.trainers.noise import check_truncation
from tfgenaug.trainers.noise import draw_noise
from tfgenaug.trainers.registry import register
from tfgenaug.validation import check_number
from tfgenaug.validation import check_positive_int

PAIR_KEYS = ("images", "partners", "labels")


@register("dagan")
@keras.saving.register_keras_serializable(package="tfgenaug")
class DAGAN(ConditionalGANTrainer):
    """Data Augmentation GAN: `G(image, z)` is another plausible image of image's class.

    Each `train_step` takes `n_critic` critic steps, then one generator step. The
    critic minimises `D(x, G(x, z)) - D(x, x') + gp_weight * GP` over pairs of a batch
    image `x` and its same-class partner `x'`, the penalty on `x_hat` between `x'` and
    `G(x, z)` with `x` held as the condition; the generator minimises `-D(x, G(x, z))`.

    References:
        - Antoniou et al., [Data Augmentation Generative Adversarial
          Networks](https://arxiv.org/abs/1711.04340).

    Args:
        image_shape: `(height, width, channels)`. Needed unless both networks are given.
        num_classes: int. Number of classes K (the labels only pair images).
        noise_dim: int. Size of the noise vector. Defaults to 32.
        n_critic: int. Critic steps per generator step. Defaults to 5.
        gp_weight: float. Gradient-penalty weight. Defaults to 10.
        width: int. Width of the default generator. Defaults to 32.
        critic_width: int. Width of the default critic. Defaults to 32.
        generator: optional `keras.Model` `[images, noise] -> images`.
        discriminator: optional pair critic `[images, partners] -> {"logits": (N,)}`.
        source_count: int >= 0. Size of the bank of source images that `sample(labels)`
            transforms (see `set_sources`); 0 for none yet. Set by `set_sources`, and
            kept in the config so a rebuilt trainer restores the bank from a checkpoint.
            Defaults to 0.
        seed: int. Seed of the training randomness. Defaults to 0.
        **kwargs: passed to `ConditionalGANTrainer`.

    Example:
    ```python
    x, y = tfgenaug.data.as_numpy(train)
    trainer = DAGAN(x.shape[1:], num_classes=10)
    trainer.compile()
    trainer.fit(tfgenaug.data.same_class_pairs(x, y, 64), steps_per_epoch=100, epochs=10)
    variants = trainer.transform(x[:8], seed=0)
    trainer.set_sources(x, y)             # then it samples by label, like any trainer:
    rare = trainer.sample([7] * 16, seed=0)
    ```
    """

    metric_names = ("d_loss", "g_loss", "gradient_penalty", "wasserstein")
    image_conditioned = True

    def __init__(
        self,
        image_shape: Sequence[int] | None = None,
        num_classes: int = 10,
        noise_dim: int = 32,
        n_critic: int = 5,
        gp_weight: float = 10.0,
        width: int = 32,
        critic_width: int = 32,
        generator: keras.Model | None = None,
        discriminator: keras.Model | None = None,
        source_count: int = 0,
        seed: int = 0,
        **kwargs,
    ):
        check_positive_int(n_critic, "n_critic")
        check_number(gp_weight, "gp_weight", minimum=0)
        if (generator is None or discriminator is None) and image_shape is None:
            raise ValueError(
                "image_shape is required unless both generator and discriminator are given")
        if generator is None:
            generator = dagan_generator(image_shape, noise_dim, width)
        if discriminator is None:
            discriminator = dagan_critic(image_shape, critic_width)
        _check_image_conditioned(generator, noise_dim)
        super().__init__(generator, discriminator, num_classes, noise_dim, seed=seed, **kwargs)
        self.n_critic = n_critic
        self.gp_weight = float(gp_weight)
        self.width = width
        self.critic_width = critic_width
        self.source_bank, self._sampler = None, None
        # With g_ema_decay: the bank joined to the EMA copy it was made for.
        self._ema_sampler = types.SimpleNamespace(copy=None, bank=None, sampler=None)
        if source_count:
            self._make_bank(source_count)

    # ----------------------------------------------------------------- batches
    def batch_spec(self, range_check: bool = True) -> batch_checks.BatchSpec:
        """`fit`'s batches: images and partners of `image_shape`, class ids >= 0."""
        return dataclasses.replace(super().batch_spec(range_check), num_classes=None)

    def checked_batch(self, batch, spec: batch_checks.BatchSpec):
        """The pair dict checked: its images and partners as `fit` checks images."""
        if not isinstance(batch, dict) or set(PAIR_KEYS) - set(batch):
            raise ValueError(
                f"{spec.owner} takes batches {{'images', 'partners', 'labels'}} of same-class "
                f"pairs (tfgenaug.data.same_class_pairs); got "
                f"{sorted(batch) if isinstance(batch, dict) else type(batch).__name__}")
        checked = super().checked_batch({"images": batch["images"],
                                         "labels": batch["labels"]}, spec)
        partners = super().checked_batch({"images": batch["partners"],
                                          "labels": batch["labels"]}, spec)["images"]
        return {**checked, "partners": partners}

    def unpack_pairs(self, data) -> tuple[tf.Tensor, tf.Tensor]:
        """float32 images and partners of a pair batch."""
        images, _ = self.unpack_batch({"images": data["images"], "labels": data["labels"]})
        partners, _ = self.unpack_batch({"images": data["partners"], "labels": data["labels"]})
        return images, partners

    # ----------------------------------------------------------------- maths
    def critic_maths(self, images, partners, noise, alpha):
        """Critic loss terms and gradients for one critic step on one replica."""
        batch = tf.shape(images)[0]
        fake = self.generator([images, noise], training=True)
        with tf.GradientTape() as tape:
            real = tf.cast(self.discriminator([images, partners], training=True)["logits"],
                           tf.float32)
            made = tf.cast(self.discriminator([images, fake], training=True)["logits"],
                           tf.float32)
            distance = losses.wasserstein_discriminator_loss(real, made)
            penalty = losses.gradient_penalty(
                lambda x: self.discriminator([images, x], training=True)["logits"],
                partners, fake, alpha)
            loss = self.average_loss(distance + self.gp_weight * penalty, batch)
        grads = self.gradients(tape, loss, self.discriminator, self.d_optimizer)
        return {"d_loss": loss, "gradient_penalty": self.average_loss(penalty, batch),
                "wasserstein": -self.average_loss(distance, batch)}, grads

    def generator_maths(self, images, noise):
        """Generator loss `-D(x, G(x, z))` and its gradients on one replica."""
        batch = tf.shape(images)[0]
        with tf.GradientTape() as tape:
            fake = self.generator([images, noise], training=True)
            logits = self.discriminator([images, fake], training=True)["logits"]
            loss = self.average_loss(
                losses.wasserstein_generator_loss(tf.cast(logits, tf.float32)), batch)
        return loss, self.gradients(tape, loss, self.generator, self.g_optimizer)

    def train_step(self, data):
        images, partners = self.unpack_pairs(data)
        batch = tf.shape(images)[0]
        critic_maths = self.xla_maths(self.critic_maths)
        for i in range(self.n_critic):
            terms, grads = critic_maths(images, partners, self.replica_noise(batch, 2 * i),
                                        self.replica_uniform(batch, 2 * i + 1))
            self.apply_update(self.d_optimizer, grads, self.discriminator)
        g_loss, g_grads = self.xla_maths(self.generator_maths)(
            images, self.replica_noise(batch, 2 * self.n_critic))
        self.apply_update(self.g_optimizer, g_grads, self.generator)
        return self.update_trackers({**terms, "g_loss": g_loss})

    # ----------------------------------------------------------------- generation
    def call(self, inputs, training=False):
        """Runs the generator on `[images, noise]`; float32 images."""
        return tf.cast(self.generator(inputs, training=training), tf.float32)

    def transform(self, images, seed: int | None = None, noise=None,
                  truncation: float | None = None) -> tf.Tensor:
        """One new image per source image, meant to be of the source's class.

        Args:
            images: float `(N, H, W, C)` in [-1, 1].
            seed: int for reproducible noise; `None` draws from the trainer's seed
                generator. Ignored when `noise` is given.
            noise: optional `(N, noise_dim)` noise.
            truncation: optional float > 0: noise redrawn where `|z| > truncation`
                (variants closer to the typical transform). Not with `noise`.

        Returns:
            float32 images `(N, H, W, C)` in [-1, 1].

        Raises:
            ValueError: images of another shape than the trainer's, noise of the
                wrong shape, or a bad truncation (or one given with `noise`).

        Example:
        ```python
        variants = trainer.transform(rare_class_images, seed=0)
        ```
        """
        images = tf.cast(tf.convert_to_tensor(images), tf.float32)
        if tuple(images.shape[1:]) != self.image_shape:
            raise ValueError(f"images must have shape (N, {', '.join(map(str, self.image_shape))})"
                             f" to match DAGAN's image_shape; got {tuple(images.shape)}")
        batch = int(images.shape[0])
        check_truncation(truncation)
        if noise is None:
            noise = draw_noise((batch, self.noise_dim), "normal",
                               self.seed_generator if seed is None else int(seed), truncation)
        elif truncation is not None:
            raise ValueError("truncation draws the noise; pass truncation or noise, not both")
        elif tuple(noise.shape) != (batch, self.noise_dim):
            raise ValueError(f"noise must have shape (len(images), noise_dim) = "
                             f"{(batch, self.noise_dim)}; got {tuple(noise.shape)}")
        else:  # numpy noise beside tensor labels would be a mixed Keras input
            noise = tf.convert_to_tensor(noise, tf.float32)
        return tf.cast(call_on_rows(self.sampling_generator, [images, noise]), tf.float32)

    def standing_statistics_inputs(self) -> list | None:
        """`[source images, noise]`: stored images of the classes in turn, seeded noise;
        None before `set_sources` (an EMA copy then keeps the live statistics)."""
        if self.source_bank is None:
            return None
        noise, labels = super().standing_statistics_inputs()
        return [self.source_bank([noise, labels]), noise]

    def _make_bank(self, count: int) -> None:
        self.source_bank = SourceBank(count, self.image_shape, self.num_classes,
                                      name="source_bank")
        self._sampler = label_conditioned(self.generator, self.source_bank,
                                          name="dagan_label_conditioned")

    def set_sources(self, images, labels) -> None:
        """Keeps real images by class, so that `sample(labels)` can transform them.

        Each sampled row transforms a stored image of its label, picked by its noise.
        Call it in the strategy scope the trainer was built in, before restoring a
        checkpoint (whose bank then replaces these images).

        Args:
            images: float `(N, H, W, C)` in [-1, 1], of the trainer's image shape.
            labels: int class ids `(N,)`; every class needs at least one image.

        Raises:
            ValueError: naming `images` or `labels` when they cannot serve.
        """
        images = tf.convert_to_tensor(images, tf.float32)
        if images.shape.rank != 4 or tuple(images.shape[1:]) != self.image_shape:
            raise ValueError(f"images must have shape (N, {', '.join(map(str, self.image_shape))})"
                             f" to match DAGAN's image_shape; got {tuple(images.shape)}")
        if self.source_bank is None or self.source_bank.count != int(images.shape[0]):
            self._make_bank(int(images.shape[0]))
        self.source_bank.set_sources(images.numpy(), labels)
        self._ema_copy.generator = None  # its batch-norm statistics came from other sources

    @property
    def label_generator(self) -> keras.Model:
        """`[noise, labels] -> images`: the generator run on a stored image of each label.

        Raises:
            ValueError: no source images yet (see `set_sources`).
        """
        if self._sampler is None:
            raise ValueError("DAGAN is image-conditioned: to sample by label it needs source "
                             "images; call trainer.set_sources(images, labels) first, or "
                             "trainer.transform(images)")
        if self.g_ema is None:
            return self._sampler
        copy = self.sampling_generator
        if self._ema_sampler.copy is not copy or self._ema_sampler.bank is not self.source_bank:
            self._ema_sampler.sampler = label_conditioned(copy, self.source_bank,
                                                          name="dagan_ema_label_conditioned")
            self._ema_sampler.copy, self._ema_sampler.bank = copy, self.source_bank
        return self._ema_sampler.sampler

    def get_config(self) -> dict:
        return {**super().get_config(), "n_critic": self.n_critic, "gp_weight": self.gp_weight,
                "width": self.width, "critic_width": self.critic_width,
                "source_count": self.source_bank.count if self.source_bank else 0}


def _check_image_conditioned(generator: keras.Model, noise_dim: int) -> None:
    """Raises a ValueError naming `generator` unless it maps `[images, noise]` to images."""
    inputs = generator.inputs if isinstance(generator, keras.Model) else None
    if not inputs or len(inputs) != 2 or len(inputs[0].shape) != 4 or (
            tuple(inputs[1].shape[1:]) != (noise_dim,)):
        shapes = [tuple(i.shape) for i in inputs] if inputs else None
        raise ValueError(f"generator must map [images (N, H, W, C), noise (N, {noise_dim})] to "
                         f"images (DAGAN is image-conditioned); got inputs {shapes}")
