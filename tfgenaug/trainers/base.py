"""What every conditional GAN trainer shares: optimizers, XLA, randomness, metrics, sampling.

A trainer is a `keras.Model` whose `train_step` updates a generator and a
discriminator; users call `compile()` and `fit()` as with any Keras model.

XLA and `tf.distribute`: on one device `compile(jit_compile=True)` lets Keras compile
the whole train step. Under a multi-replica strategy Keras cannot compile the whole
step (XLA refuses the mirrored variables of the other replicas), so the trainer
compiles only the per-replica maths (losses and gradients) and applies gradients
outside the compiled function. Subclasses write their maths once and wrap it with
`self.xla_maths(...)`; both paths run the same code.

Randomness inside `train_step` is stateless and keyed by `(seed, step, draw)`; draws
are made for the *global* batch and each replica takes its slice, so a
`MirroredStrategy` run sees the same noise as a one-device run with the same global
batch, and a resumed run continues the same random stream.

Mixed precision: under a `keras.mixed_precision` policy (`mixed_bfloat16`, or
`mixed_float16`, for which `compile` wraps both optimizers in a `LossScaleOptimizer`)
the networks compute in 16 bits while the batches, the gradient penalty, the losses
and the metrics stay float32, and `call` / `sample` return float32 images.
"""

from collections.abc import Callable

import keras
import numpy as np
import tensorflow as tf
from absl import logging

from tfgenaug.networks import conditional_critic
from tfgenaug.networks import conditional_generator
from tfgenaug.trainers import ada
from tfgenaug.trainers import diffaugment
from tfgenaug.trainers import portable_random
from tfgenaug.trainers import precision

NOISE_DISTRIBUTIONS = ("normal", "uniform")
# DiffAugment's draws of a step are numbered from here, clear of the noise draws.
DIFFAUGMENT_DRAWS = 512


class ConditionalGANTrainer(keras.Model):
    """Base class of the class-conditional GAN trainers.

    Subclasses set `metric_names` and implement `train_step`, using `unpack_batch`,
    `replica_noise`, `replica_uniform`, `average_loss`, `xla_maths` and
    `update_trackers`.

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
        **kwargs: passed to `keras.Model`.
    """

    metric_names: tuple[str, ...] = ()

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
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.ada_target, self.ada_speed = ada.check_options(ada_target, ada_speed)
        if noise_distribution not in NOISE_DISTRIBUTIONS:
            raise ValueError(
                f"noise_distribution must be one of {NOISE_DISTRIBUTIONS}; "
                f"got {noise_distribution!r}"
            )
        if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
            raise ValueError(f"seed must be an int; got {seed!r}")
        self.generator = generator
        self.discriminator = discriminator
        self.num_classes = int(num_classes)
        self.noise_dim = int(noise_dim)
        self.noise_distribution = noise_distribution
        self.seed = int(seed)
        self.image_shape = tuple(int(d) for d in generator.output_shape[1:])
        self.seed_generator = keras.random.SeedGenerator(self.seed)
        names = self.metric_names + (("ada_p", "ada_signal") if self.ada_target else ())
        self.trackers = {name: keras.metrics.Mean(name=name) for name in names}
        if self.ada_target is not None:
            # Every replica computes the same new value from the all-reduced signal.
            self.ada_p = self.add_weight(
                shape=(), initializer="zeros", trainable=False, name="ada_p",
                aggregation="only_first_replica",
            )
        self.xla_per_replica = False
        # The networks are built functional models; nothing is left to infer from data.
        self.built = True

    # ----------------------------------------------------------------- compile
    def default_optimizers(self) -> tuple[keras.optimizers.Optimizer, keras.optimizers.Optimizer]:
        """Returns `(d_optimizer, g_optimizer)` used when `compile()` gets none."""
        return (
            keras.optimizers.Adam(2e-4, beta_1=0.5, beta_2=0.9),
            keras.optimizers.Adam(2e-4, beta_1=0.5, beta_2=0.9),
        )

    def compile(
        self,
        d_optimizer: keras.optimizers.Optimizer | None = None,
        g_optimizer: keras.optimizers.Optimizer | None = None,
        jit_compile: bool = True,
        **kwargs,
    ) -> None:
        """Configures the trainer for `fit()`.

        Args:
            d_optimizer: optimizer of the discriminator. Defaults to the trainer's
                `default_optimizers()`. Under a `mixed_float16` policy it is wrapped
                in a `keras.optimizers.LossScaleOptimizer` (see `loss_scaled`).
            g_optimizer: optimizer of the generator. Defaults likewise.
            jit_compile: bool. Compile the training maths with XLA. On one device the
                whole step is compiled; under a multi-replica strategy the per-replica
                losses and gradients are. Defaults to `True`.
            **kwargs: passed to `keras.Model.compile` (e.g. `steps_per_execution`).
        """
        default_d, default_g = self.default_optimizers()
        self.d_optimizer = self.loss_scaled(d_optimizer or default_d)
        self.g_optimizer = self.loss_scaled(g_optimizer or default_g)
        num_replicas = self.distribute_strategy.num_replicas_in_sync
        whole_step_jit = bool(jit_compile) and num_replicas == 1
        self.xla_per_replica = bool(jit_compile) and num_replicas > 1
        if self.xla_per_replica and self._has_synchronized_batch_norm():
            logging.warning(
                "Synchronized batch normalization needs cross-replica calls that XLA "
                "cannot compile per replica; running the maths without XLA."
            )
            self.xla_per_replica = False
        super().compile(jit_compile=whole_step_jit, **kwargs)
        # Keras averages the step's logs across workers with a reduction over axis 0,
        # which fails on scalars (keras-team/keras#20585): give it shape-(1,) logs.
        self._vector_logs = isinstance(
            self.distribute_strategy, tf.distribute.MultiWorkerMirroredStrategy
        )
        self._compiled_cache: dict[str, Callable] = {}
        # Optimizer slots are made now, not in the first traced step: variables created
        # inside a tf.function under a strategy break the step, and a checkpoint can
        # only restore into slots that exist.
        with self.distribute_strategy.scope():
            self.build_optimizers()

    def computes_in_float16(self) -> bool:
        """Whether any layer of the networks computes in float16 (`mixed_float16`)."""
        return precision.computes_in_float16((self.generator, self.discriminator))

    def loss_scaled(self, optimizer: keras.optimizers.Optimizer) -> keras.optimizers.Optimizer:
        """`optimizer` wrapped in a `LossScaleOptimizer` when the networks use float16.

        float16 gradients underflow without loss scaling; bfloat16 has float32's range
        and needs none. An optimizer that is already a `LossScaleOptimizer` is kept.
        """
        return precision.loss_scaled(optimizer, self.computes_in_float16())

    @staticmethod
    def gradients(
        tape: tf.GradientTape,
        loss: tf.Tensor,
        network: keras.Model,
        optimizer: keras.optimizers.Optimizer,
    ) -> list:
        """Gradients of a float32 `loss` for `network`, times `optimizer`'s loss scale
        (see `tfgenaug.trainers.precision.scaled_gradients`)."""
        return precision.scaled_gradients(tape, loss, network.trainable_variables, optimizer)

    def build_optimizers(self) -> None:
        """Creates the optimizers' slot variables for the networks they update."""
        self.d_optimizer.build(self.discriminator.trainable_variables)
        self.g_optimizer.build(self.generator.trainable_variables)

    def _has_synchronized_batch_norm(self) -> bool:
        for network in (self.generator, self.discriminator):
            for layer in network._flatten_layers(include_self=False):
                if isinstance(layer, keras.layers.BatchNormalization) and layer.synchronized:
                    return True
        return False

    def xla_maths(self, fn: Callable) -> Callable:
        """Returns `fn` compiled per replica with XLA when the step itself is not."""
        return compiled_per_replica(fn, self._compiled_cache, self.xla_per_replica)

    @staticmethod
    def apply_update(
        optimizer: keras.optimizers.Optimizer, grads: list, network: keras.Model
    ) -> None:
        """Applies `grads` to `network`'s trainable variables with `optimizer`.

        The update (the optimizer's step counter included) waits for the gradients,
        so when the input pipeline fails a batch's check nothing, not even the
        counter, moves: the counter has no data dependency of its own.
        """
        apply_after_gradients(optimizer, grads, network.trainable_variables)

    # ----------------------------------------------------------------- metrics
    @property
    def metrics(self) -> list[keras.metrics.Metric]:
        return list(self.trackers.values())

    def update_trackers(self, values: dict[str, tf.Tensor]) -> dict[str, tf.Tensor]:
        """Updates the trackers with losses averaged over the global batch.

        Under a strategy each replica holds its share of the global average; the
        trackers sum the replicas' updates with weight 1 each, so the share is
        multiplied back by the number of replicas to report the one-device value.
        """
        num_replicas = self.distribute_strategy.num_replicas_in_sync
        for name, value in values.items():
            self.trackers[name].update_state(tf.cast(value, tf.float32) * num_replicas)
        logs = {name: tracker.result() for name, tracker in self.trackers.items()}
        if getattr(self, "_vector_logs", False):
            logs = {name: tf.reshape(value, [1]) for name, value in logs.items()}
        return logs

    # ----------------------------------------------------------------- batches
    def unpack_batch(self, data) -> tuple[tf.Tensor, tf.Tensor]:
        """Returns `(images, labels)` from a `(images, labels)` tuple or a dict.

        Raises:
            ValueError: the images' shape differs from the generator's output, or the
                labels are not a vector of class ids.
        """
        if isinstance(data, dict):
            images, labels = data["images"], data["labels"]
        else:
            images, labels = data[0], data[1]
        check_batch_shapes(images.shape, labels.shape, self.image_shape)
        labels = tf.cast(tf.reshape(labels, [-1]), tf.int32)
        # float32 whatever the dtype policy: the networks cast their inputs, and the
        # gradient penalty interpolates real and fake images in float32.
        return tf.cast(images, tf.float32), labels

    def average_loss(self, per_example: tf.Tensor, batch_size: tf.Tensor) -> tf.Tensor:
        """Sums per-example losses and divides by the *global* batch size."""
        global_batch = batch_size * self.distribute_strategy.num_replicas_in_sync
        per_example = tf.cast(per_example, tf.float32)
        return tf.reduce_sum(per_example) / tf.cast(global_batch, tf.float32)

    # ----------------------------------------------------------------- randomness
    def step_seed(self, draw: int) -> tf.Tensor:
        """A stateless seed unique to (trainer seed, generator step, draw number)."""
        step = tf.cast(self.g_optimizer.iterations, tf.int64)
        return tf.stack([tf.constant(self.seed, tf.int64), step * 1024 + draw])

    def _for_replica(self, draw_global: Callable[[tf.Tensor], tf.Tensor], local_batch):
        context = tf.distribute.get_replica_context()
        num_replicas = context.num_replicas_in_sync if context is not None else 1
        if num_replicas == 1:
            return draw_global(local_batch)
        values = draw_global(local_batch * num_replicas)
        start = tf.cast(context.replica_id_in_sync_group, tf.int32) * local_batch
        return values[start : start + local_batch]

    def replica_noise(self, local_batch: tf.Tensor, draw: int) -> tf.Tensor:
        """Noise `(local_batch, Z)`: this replica's slice of the global batch's noise."""
        seed = self.step_seed(draw)

        def draw_global(n):
            shape = tf.stack([n, self.noise_dim])
            if self.noise_distribution == "uniform":
                return portable_random.uniform(shape, seed)
            return portable_random.normal(shape, seed)

        return self._for_replica(draw_global, local_batch)

    def replica_uniform(self, local_batch: tf.Tensor, draw: int) -> tf.Tensor:
        """U[0, 1) values `(local_batch,)`, sliced per replica like `replica_noise`."""
        seed = self.step_seed(draw)
        return self._for_replica(
            lambda n: portable_random.uniform(tf.reshape(n, [1]), seed), local_batch
        )

    def replica_uniforms(self, local_batch: tf.Tensor, width: int, draw: int) -> tf.Tensor:
        """U[0, 1) values `(local_batch, width)`, sliced per replica like `replica_noise`."""
        seed = self.step_seed(draw)
        return self._for_replica(
            lambda n: portable_random.uniform(tf.stack([n, width]), seed), local_batch
        )

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
        context = tf.distribute.get_replica_context()
        num_replicas = self.distribute_strategy.num_replicas_in_sync
        signal = signal_share if context is None else context.all_reduce("SUM", signal_share)
        global_batch = tf.cast(local_batch, tf.float32) * num_replicas
        new_p = ada.next_probability(self.ada_p, signal, self.ada_target, global_batch,
                                     self.ada_speed)
        self.ada_p.assign(new_p)
        return {"ada_p": new_p / num_replicas, "ada_signal": signal_share}

    # ----------------------------------------------------------------- sampling
    def call(self, inputs, training=False):
        """Runs the generator on `[noise, labels]`; float32 images whatever the policy."""
        return tf.cast(self.generator(inputs, training=training), tf.float32)

    def sample(self, labels, seed: int | None = None, noise=None) -> tf.Tensor:
        """Generates one image per label.

        Args:
            labels: int class ids, shape `(N,)`, in [0, num_classes).
            seed: int for reproducible noise; `None` draws from the trainer's seed
                generator. Ignored when `noise` is given.
            noise: optional `(N, noise_dim)` noise.

        Returns:
            float32 images `(N, H, W, C)` in [-1, 1].

        Raises:
            ValueError: labels outside [0, num_classes) or noise of the wrong shape.

        Example:
        ```python
        images = trainer.sample(np.arange(10), seed=0)
        ```
        """
        labels = tf.reshape(tf.convert_to_tensor(labels, tf.int32), [-1])
        check_labels_in_range(labels.numpy(), self.num_classes)
        batch = int(labels.shape[0])
        if noise is None:
            seed_arg = self.seed_generator if seed is None else int(seed)
            if self.noise_distribution == "uniform":
                noise = keras.random.uniform((batch, self.noise_dim), seed=seed_arg)
            else:
                noise = keras.random.normal((batch, self.noise_dim), seed=seed_arg)
        elif tuple(noise.shape) != (batch, self.noise_dim):
            raise ValueError(
                f"noise must have shape (len(labels), noise_dim) = {(batch, self.noise_dim)}; "
                f"got {tuple(noise.shape)}"
            )
        images = self.generator([noise, labels], training=False)
        return tf.cast(images, tf.float32)

    # ----------------------------------------------------------------- fit
    def fit(self, x=None, y=None, **kwargs):
        """`keras.Model.fit` with the input checked before any training work.

        A `tf.data.Dataset` must yield `(images, labels)` batches (or dicts) whose
        static shapes match the generator; label values are checked in the input
        pipeline. Arrays are checked at once.
        """
        if isinstance(x, tf.data.Dataset):
            x = x.map(self._check_batch_values)
            kwargs.setdefault("shuffle", False)  # a dataset shuffles itself
        elif x is not None and y is not None:
            check_batch_shapes(np.shape(x), np.shape(y), self.image_shape)
            check_labels_in_range(np.asarray(y), self.num_classes)
            check_images_finite(np.asarray(x))
        return super().fit(x, y, **kwargs)

    def _maybe_symbolic_build(self, iterator=None, data_batch=None):
        """Keras' pre-fit build, given a batch that every strategy can produce.

        Keras 3 reads one distributed batch and averages it across replicas with an
        eager `strategy.reduce` only to learn its shapes; `MultiWorkerMirroredStrategy`
        cannot reduce eagerly (keras-team/keras#20585: "Attempt to convert a value
        (PerReplica...)"). The first local replica's batch has the same shapes.
        """
        if iterator is not None and self._distribute_strategy is not None:
            for _, _, batches in iterator:
                data_batch = tf.nest.map_structure(_first_local_value, next(batches))
                break
        return super()._maybe_symbolic_build(data_batch=data_batch)

    def _check_batch_values(self, *data):
        batch = data[0] if len(data) == 1 else data
        images, labels = (
            (batch["images"], batch["labels"]) if isinstance(batch, dict) else batch[:2]
        )
        check_batch_shapes(images.shape, labels.shape, self.image_shape)
        labels_int = tf.cast(labels, tf.int64)
        message = f"labels must be class ids in [0, {self.num_classes}) (num_classes)"
        images = tf.debugging.assert_all_finite(
            images, "images must be finite (no NaN or Inf values)"
        )
        with tf.control_dependencies([
            tf.debugging.assert_non_negative(labels_int, message=message),
            tf.debugging.assert_less(labels_int, tf.constant(self.num_classes, tf.int64),
                                     message=message),
        ]):
            labels = tf.identity(labels)
        if isinstance(batch, dict):
            return {**batch, "labels": labels}
        return (images, labels, *batch[2:])

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
        }

    @classmethod
    def from_config(cls, config: dict):
        config = dict(config)
        for key in ("generator", "discriminator"):
            if isinstance(config.get(key), dict):
                config[key] = keras.saving.deserialize_keras_object(config[key])
        return cls(**config)


def compiled_per_replica(fn: Callable, cache: dict, enabled: bool) -> Callable:
    """`fn` compiled with XLA (once per name, kept in `cache`) if `enabled`, else `fn`.

    Used where a multi-replica strategy keeps the whole step from being compiled: the
    per-replica maths compile, the all-reduce and the updates run outside.
    """
    if not enabled:
        return fn
    key = fn.__name__
    if key not in cache:
        cache[key] = tf.function(fn, jit_compile=True)
    return cache[key]


def apply_after_gradients(optimizer: keras.optimizers.Optimizer, grads: list,
                          variables: list) -> None:
    """`optimizer.apply_gradients`, ordered after the gradients are computed.

    The optimizer's step counter has no data dependency on the gradients; without the
    control dependency it could move on a batch whose checks fail.
    """
    with tf.control_dependencies([grad for grad in grads if grad is not None]):
        optimizer.apply_gradients(zip(grads, variables, strict=True))


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
) -> tuple[keras.Model, keras.Model]:
    """Returns `(generator, discriminator)`, building the default for any not given.

    The defaults are `networks.conditional_generator` (batch norm) and
    `networks.conditional_critic` with layer normalization, which keeps a gradient
    penalty per example.

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
            image_shape, num_classes, critic_width, normalization="layer",
            aux_classifier=aux_classifier, name=critic_name,
        )
    return generator, discriminator


def check_batch_shapes(images_shape, labels_shape, image_shape: tuple[int, ...]) -> None:
    """Raises a ValueError naming `images` or `labels` when a batch cannot be used.

    Args:
        images_shape: shape of the images batch; unknown dimensions may be `None`.
        labels_shape: shape of the labels batch.
        image_shape: `(H, W, C)` the generator produces.
    """
    images_shape = tuple(images_shape)
    if len(images_shape) != 4:
        raise ValueError(
            f"images must be a batch of shape (batch, {', '.join(map(str, image_shape))}) "
            f"(rank 4, NHWC); got shape {images_shape}"
        )
    for got, want in zip(images_shape[1:], image_shape, strict=True):
        if got is not None and got != want:
            raise ValueError(
                f"images must have shape (batch, {', '.join(map(str, image_shape))}) to match "
                f"the generator; got {images_shape}"
            )
    labels_shape = tuple(labels_shape)
    if not (len(labels_shape) == 1 or (len(labels_shape) == 2 and labels_shape[1] == 1)):
        raise ValueError(
            f"labels must be a vector of int class ids of shape (batch,); got shape {labels_shape}"
        )


def check_labels_in_range(labels: np.ndarray, num_classes: int) -> None:
    """Raises a ValueError naming `labels` unless every label is in [0, num_classes)."""
    labels = np.asarray(labels)
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(
            f"labels must be class ids in [0, {num_classes}) (num_classes={num_classes}); "
            f"got values from {labels.min()} to {labels.max()}"
        )


def _first_local_value(value):
    """The first local replica's component of a distributed value; other values as they are."""
    if isinstance(value, tf.distribute.DistributedValues):
        return value.values[0]
    return value


def check_images_finite(images: np.ndarray) -> None:
    """Raises a ValueError naming `images` unless every value is finite."""
    images = np.asarray(images)
    if np.issubdtype(images.dtype, np.floating) and not np.isfinite(images).all():
        bad = int(np.size(images) - np.count_nonzero(np.isfinite(images)))
        raise ValueError(
            f"images must be finite (no NaN or Inf values); got {bad} non-finite values"
        )
