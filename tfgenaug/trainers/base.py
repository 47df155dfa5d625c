"""The class-conditional GAN trainers' base: generator, discriminator, noise, ADA, sampling.

`ConditionalGANTrainer` stands on the trainer kernel (`tfgenaug.trainers.core`), which
owns compile, the XLA split, batch checks, averaging, trackers, ordered updates and
the stateless per-replica randomness. This class adds what every image GAN of the
library shares: the generator and discriminator with their two optimizers, the
noise distribution, DiffAugment / ADA, the generator's EMA (`g_ema_decay`), `sample()`
and the config.

Mixed precision: under a `keras.mixed_precision` policy (`mixed_bfloat16`, or
`mixed_float16`, for which `compile` wraps both optimizers in a `LossScaleOptimizer`)
the networks compute in 16 bits while the batches, the gradient penalty, the losses
and the metrics stay float32, and `call` / `sample` return float32 images.
"""

import types

import keras
import tensorflow as tf

from tfgenaug.data.batch_checks import class_id_vector
from tfgenaug.networks import conditional_critic
from tfgenaug.networks import conditional_generator
from tfgenaug.networks.empty_batch import call_on_rows
from tfgenaug.trainers import ada
from tfgenaug.trainers import cross_replica
from tfgenaug.trainers import diffaugment
from tfgenaug.trainers import ema
from tfgenaug.trainers import generator_ema
from tfgenaug.trainers.core import Trainer
from tfgenaug.trainers.noise import NOISE_DISTRIBUTIONS
from tfgenaug.trainers.noise import check_truncation
from tfgenaug.trainers.noise import draw_noise
from tfgenaug.validation import check_choice

# DiffAugment's draws of a step are numbered from here, clear of the noise draws.
DIFFAUGMENT_DRAWS = 512


class ConditionalGANTrainer(Trainer):
    """Base class of the class-conditional GAN trainers.

    Subclasses set `metric_names` and implement `train_step` with the kernel's
    `unpack_batch`, `replica_noise`, `replica_uniform`, `average_loss`, `xla_maths`,
    `apply_update` and `update_trackers`.

    Args:
        generator: a `keras.Model` mapping `[noise (N, Z), labels int32 (N,)]` to images
            `(N, H, W, C)` in [-1, 1].
        discriminator: a `keras.Model` taking `[images, labels]`.
        num_classes: int. Number of classes K.
        noise_dim: int. Size Z of the noise vector.
        noise_distribution: `"normal"` (N(0, 1)) or `"uniform"` (U[0, 1)). Defaults to
            `"normal"`.
        seed: int. Seed of all randomness in training and of `sample()`. Defaults to 0.
        ada_target: adaptive discriminator augmentation (`tfgenaug.trainers.ada`): the
            overfitting signal to hold, in (0, 1) (ADA's 0.6), or None (default) for
            none. The subclass's DiffAugment policy (all three transformations if it
            names none) is then applied to each image with the adapted probability.
        ada_speed: int. Images that move ADA's probability from 0 to 1. Defaults to
            10000 (the paper's 500k images suit datasets of tens of thousands).
        g_ema_decay: the largest decay, in (0, 1), of an exponential moving average of
            the generator's weights (`tfgenaug.trainers.generator_ema`; 0.999 is
            usual), or None (default) for none. When set, `sample`, the sample grids,
            label agreement, `GANAugment` and the exports run the averaged generator
            (`sampling_generator`); the averages are in the checkpoints.
        **kwargs: passed to `keras.Model`.
    """

    step_optimizer = "g_optimizer"

    def __init__(
        self,
        generator: keras.Model,
        discriminator: keras.Model,
        num_classes: int,
        noise_dim: int,
        noise_distribution: str = "normal",
        seed: int = 0,
        ada_target: float | None = None,
        ada_speed: int = 10_000,
        g_ema_decay: float | None = None,
        **kwargs,
    ):
        super().__init__(seed=seed, **kwargs)
        self.g_ema_decay = generator_ema.check_g_ema_decay(g_ema_decay)
        self.ada_target, self.ada_speed = ada.check_options(ada_target, ada_speed)
        check_choice(noise_distribution, "noise_distribution", NOISE_DISTRIBUTIONS)
        self.generator = generator
        self.discriminator = discriminator
        self.num_classes = int(num_classes)
        self.noise_dim = int(noise_dim)
        self.noise_distribution = noise_distribution
        self.image_shape = tuple(int(d) for d in generator.output_shape[1:])
        self.seed_generator = keras.random.SeedGenerator(self.seed)
        self.init_trackers(self.metric_names + (("ada_p", "ada_signal") if self.ada_target
                                                else ()))
        if self.ada_target is not None:
            # Every replica computes the same new value from the all-reduced signal.
            self.ada_p = self.add_weight(
                shape=(), initializer="zeros", trainable=False, name="ada_p",
                aggregation="only_first_replica",
            )
        # The averages (a tf.Module, so checkpoints hold them) and the latest copy holding
        # them (a plain namespace: not tracked, not checkpointed).
        self.g_ema = (None if self.g_ema_decay is None
                      else ema.averages_of(generator.trainable_variables, name="g_ema"))
        self._ema_copy = types.SimpleNamespace(step=None, generator=None)
        # The networks are built functional models; nothing is left to infer from data.
        self.built = True

    # ----------------------------------------------------------------- compile
    def networks(self) -> tuple[keras.Model, ...]:
        return (self.generator, self.discriminator)

    def default_optimizers(self) -> dict[str, keras.optimizers.Optimizer]:
        """`{"d_optimizer", "g_optimizer"}` used when `compile()` gets none."""
        return {
            "d_optimizer": keras.optimizers.Adam(2e-4, beta_1=0.5, beta_2=0.9),
            "g_optimizer": keras.optimizers.Adam(2e-4, beta_1=0.5, beta_2=0.9),
        }

    def optimizer_variables(self) -> dict[str, list]:
        return {
            "d_optimizer": self.discriminator.trainable_variables,
            "g_optimizer": self.generator.trainable_variables,
        }

    def compile(
        self,
        *,
        d_optimizer: keras.optimizers.Optimizer | None = None,
        g_optimizer: keras.optimizers.Optimizer | None = None,
        jit_compile: bool | str = "auto",
        **kwargs,
    ) -> None:
        """Configures the trainer for `fit()`.

        Args:
            d_optimizer: optimizer of the discriminator. Defaults to the trainer's
                `default_optimizers()`. Under a `mixed_float16` policy it is wrapped
                in a `keras.optimizers.LossScaleOptimizer`.
            g_optimizer: optimizer of the generator. Defaults likewise.
            jit_compile: `True`, `False` or `"auto"`: XLA on an accelerator, and on a CPU the faster
                path, timed on the first `fit`'s data (see `tfgenaug.trainers.compile_path`). `True`
                compiles the whole step on one device and the per-replica losses and gradients under
                a multi-replica strategy. Defaults to `"auto"`.
            **kwargs: passed to `keras.Model.compile` (e.g. `steps_per_execution`).
        """
        self.compile_trainer({"d_optimizer": d_optimizer, "g_optimizer": g_optimizer},
                             jit_compile=jit_compile, **kwargs)

    def apply_update(self, optimizer: keras.optimizers.Optimizer, grads: list,
                     target) -> None:
        """`Trainer.apply_update`; an update of the generator then moves its EMA.

        The EMA's decay warms up with the generator's updates `t`:
        `min(g_ema_decay, (1 + t) / (10 + t))`.
        """
        super().apply_update(optimizer, grads, target)
        if self.g_ema is not None and target is self.generator:
            decay = ema.warmup_decay(self.g_ema_decay, optimizer.iterations)
            ema.update(self.g_ema.averages, self.generator.trainable_variables, decay)

    # ----------------------------------------------------------------- randomness
    def replica_noise(self, local_batch: tf.Tensor, draw: int) -> tf.Tensor:
        """Noise `(local_batch, Z)`: this replica's slice of the global batch's noise."""
        if self.noise_distribution == "uniform":
            return self.replica_uniforms(local_batch, self.noise_dim, draw)
        return self.replica_normals(local_batch, self.noise_dim, draw)

    def replica_random_labels(self, local_batch: tf.Tensor, draw: int,
                              step: tf.Tensor | None = None) -> tf.Tensor:
        """Uniform random class ids `(local_batch,)`: this replica's slice of the global draw."""
        u = self.replica_uniforms(local_batch, 1, draw, step)[:, 0]
        labels = tf.cast(tf.floor(u * self.num_classes), tf.int32)
        return tf.minimum(labels, self.num_classes - 1)

    def diffaugment_draws(self, local_batch: tf.Tensor, first_draw: int, count: int) -> list:
        """`count` DiffAugment uniform matrices, or `[]` without a DiffAugment policy.

        Uses the subclass's `diffaugment` policy (a tuple of names; empty for none).
        """
        policy = getattr(self, "diffaugment", ())
        if not policy:
            return []
        width = diffaugment.num_uniforms(policy) + (1 if self.ada_target is not None else 0)
        return [self.replica_uniforms(local_batch, width, first_draw + i) for i in range(count)]

    def augment(self, images: tf.Tensor, uniforms: tf.Tensor) -> tf.Tensor:
        """DiffAugment with `uniforms` from `diffaugment_draws`; with ADA, per image
        with probability `ada_p` (the first uniform column decides)."""
        if self.ada_target is None:
            return diffaugment.diff_augment(images, uniforms, self.diffaugment)
        augmented = diffaugment.diff_augment(images, uniforms[:, 1:], self.diffaugment)
        return ada.gate(images, augmented, uniforms[:, 0], self.ada_p)

    def update_ada(self, signal_share: tf.Tensor, local_batch: tf.Tensor) -> dict:
        """Moves ADA's probability by the global batch's overfitting signal.

        Args:
            signal_share: this replica's share of the global batch's mean signal (as
                `average_loss` gives it).
            local_batch: this replica's batch size.

        Returns:
            The `ada_p` and `ada_signal` shares for `update_trackers`.
        """
        num_replicas = self.distribute_strategy.num_replicas_in_sync
        signal = cross_replica.global_sum(signal_share)
        global_batch = tf.cast(local_batch, tf.float32) * num_replicas
        new_p = ada.next_probability(self.ada_p, signal, self.ada_target, global_batch,
                                     self.ada_speed)
        self.ada_p.assign(new_p)
        return {"ada_p": new_p / num_replicas, "ada_signal": signal_share}

    # ----------------------------------------------------------------- sampling
    # Whether the generator maps `[images, noise]` (not `[noise, labels]`) to images.
    image_conditioned = False

    @property
    def sampling_generator(self) -> keras.Model:
        """The generator that sampling runs: its EMA copy with `g_ema_decay`, else itself.

        The EMA copy (`generator_ema.averaged_copy`) is a snapshot of the averages at
        the trainer's current step, with batch-norm statistics re-estimated on
        `standing_statistics_inputs()`; it is made again once training has moved on.
        """
        if self.g_ema is None:
            return self.generator
        step = self.train_steps
        if self._ema_copy.generator is None or self._ema_copy.step != step:
            self._ema_copy.generator = generator_ema.averaged_copy(
                self.generator, self.g_ema.averages, self.standing_statistics_inputs())
            self._ema_copy.step = step
        return self._ema_copy.generator

    def standing_statistics_inputs(self) -> list | None:
        """The generator inputs whose batch statistics an EMA copy's batch norms take.

        `STANDING_STATISTICS_BATCH` rows of seeded noise, the classes in turn.
        """
        count = generator_ema.STANDING_STATISTICS_BATCH
        noise = draw_noise((count, self.noise_dim), self.noise_distribution, self.seed)
        return [noise, tf.range(count, dtype=tf.int32) % self.num_classes]

    @property
    def label_generator(self) -> keras.Model:
        """The `[noise, labels] -> images` model that `sample` and exports run.

        `sampling_generator` here; an image-conditioned trainer (DAGAN) returns it
        joined to a bank of source images (`networks.label_conditioned`).
        """
        return self.sampling_generator

    def call(self, inputs, training=False):
        """Runs the generator on `[noise, labels]`; float32 images whatever the policy."""
        return tf.cast(self.generator(inputs, training=training), tf.float32)

    def sample(self, labels, seed: int | None = None, noise=None,
               truncation: float | None = None) -> tf.Tensor:
        """Generates one image per label.

        Args:
            labels: int class ids, shape `(N,)`, in [0, num_classes).
            seed: int for reproducible noise; `None` draws from the trainer's seed
                generator. Ignored when `noise` is given.
            noise: optional `(N, noise_dim)` noise.
            truncation: optional float > 0: normal noise redrawn where `|z| >
                truncation` (fewer, more typical variations). Needs normal noise; not
                with `noise`.

        Returns:
            float32 images `(N, H, W, C)` in [-1, 1].

        Raises:
            ValueError: labels outside [0, num_classes), noise of the wrong shape, or a
                truncation that is not a number > 0 or meets uniform noise or `noise`.

        Example:
        ```python
        images = trainer.sample(np.arange(10), seed=0)
        typical = trainer.sample(np.arange(10), seed=0, truncation=0.5)
        ```
        """
        labels = class_id_vector(labels, self.num_classes)
        batch = int(labels.shape[0])
        check_truncation(truncation, self.noise_distribution)
        if noise is None:
            noise = draw_noise((batch, self.noise_dim), self.noise_distribution,
                               self.seed_generator if seed is None else int(seed), truncation)
        elif truncation is not None:
            raise ValueError("truncation draws the noise; pass truncation or noise, not both")
        elif tuple(noise.shape) != (batch, self.noise_dim):
            raise ValueError(
                f"noise must have shape (len(labels), noise_dim) = {(batch, self.noise_dim)}; "
                f"got {tuple(noise.shape)}"
            )
        else:  # numpy noise beside tensor labels would be a mixed Keras input
            noise = tf.convert_to_tensor(noise, tf.float32)
        images = call_on_rows(self.label_generator, [noise, labels])  # labels may be []
        return tf.cast(images, tf.float32)

    # ----------------------------------------------------------------- config
    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "generator": keras.saving.serialize_keras_object(self.generator),
            "discriminator": keras.saving.serialize_keras_object(self.discriminator),
            "num_classes": self.num_classes,
            "noise_dim": self.noise_dim,
            "noise_distribution": self.noise_distribution,
            "seed": self.seed,
            "ada_target": self.ada_target,
            "ada_speed": self.ada_speed,
            "g_ema_decay": self.g_ema_decay,
        }

    @classmethod
    def from_config(cls, config: dict):
        config = dict(config)
        for key in ("generator", "discriminator"):
            if isinstance(config.get(key), dict):
                config[key] = keras.saving.deserialize_keras_object(config[key])
        return cls(**config)


def default_networks(
    image_shape,
    num_classes: int,
    noise_dim: int,
    width: int,
    critic_width: int,
    generator: keras.Model | None = None,
    discriminator: keras.Model | None = None,
    aux_classifier: bool = False,
    critic_name: str = "critic",
    spectral_norm: bool = False,
) -> tuple[keras.Model, keras.Model]:
    """Returns `(generator, discriminator)`, building the default for any not given.

    The defaults are `networks.conditional_generator` (batch norm) and
    `networks.conditional_critic` with layer normalization, which keeps a gradient
    penalty per example; with `spectral_norm`, spectral normalization of every critic
    layer instead (Miyato et al. 2018, for large images).

    Raises:
        ValueError: `image_shape` is missing while a network must be built.
    """
    if (generator is None or discriminator is None) and image_shape is None:
        raise ValueError(
            "image_shape is required unless both generator and discriminator are given"
        )
    if generator is None:
        generator = conditional_generator(image_shape, num_classes, noise_dim, width)
    if discriminator is None:
        discriminator = conditional_critic(
            image_shape, num_classes, critic_width,
            normalization="none" if spectral_norm else "layer",
            aux_classifier=aux_classifier, spectral_norm=spectral_norm, name=critic_name,
        )
    return generator, discriminator
