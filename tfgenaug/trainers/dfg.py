"""DFG (Suh et al. 2020): a feature GAN on a pretrained extractor, for imbalanced data.

Four networks: the feature extractor E and the classifier C (a pretrained network
split in two, see `tfgenaug.networks.dfg_networks`), the class-conditional feature
generator G and the feature critic D. One train step (the reference's "generator
step") on a batch `(x, y)`:

1. `n_critic` critic updates: `D(G(z, y')) - D(E(x)) + gp_weight * GP` on feature maps,
   with fresh noise `z ~ U(-1, 1)`, random classes `y'` and interpolation weights each.
2. One generator update: `-D(G(z, y')) + CE(C([G(z, y'); E(x)]), [y'; y])`.
3. One update of E and C together: `CE(C(E(x)), y) + delta_weight * Omega`, Omega the
   DELTA regularizer toward the frozen source copies of E (see `dfg_losses`).
4. Every `classifier_every` steps (not the first), an update of C alone on thirds:
   real features (with Omega), generated features of minority classes, and both mixed.

G's output is multiplied by the class attention `A[y]`; `update_attention` (or the
`AttentionUpdate` callback, every `attention_every` steps) recomputes A from the
current E and C and DELTA's channel weights from the source E and C.

How it compiles: steps with and without the C update are two train stages (the
kernel's `train_stages`), switched on the step counter (G's updates); with
`jit_compile=True` each compiles whole on one device. Under a multi-replica strategy
the critic, E+C and C maths compile per replica; G's update runs without XLA (its
batch norm is synchronized so that `MirroredStrategy` equals one device).

Randomness, averaging, trackers and checks come from the kernel (`trainers.core`).

Deviations from the reference (opensuh/DFG), and why:
- Each step's critic updates reuse the step's batch (with fresh noise) instead of a
  queue of `n_critic` batches: `fit` feeds one batch per step.
- The generator's two updates (adversarial, then classification) are one update of
  their sum, as the method is written.
- The reference updates E and C with `2 CE + 0.01 Omega_E + 0.01 Omega_C + 0.01 ||W||^2`
  through two optimizers; we use `CE + delta_weight * Omega` with one optimizer for E
  and C (it also makes the C-only update), see `dfg_losses.delta_regularizer`.
- The attention is recomputed every `attention_every` steps without the reference's
  extra condition `e_loss < 0.05`; the reference's slope-1 LeakyReLU is 0.2 here.
"""

from collections.abc import Sequence

import keras
import numpy as np
import tensorflow as tf

from tfgenaug.data.batch_checks import check_labels_in_range
from tfgenaug.networks.dfg_networks import ClassAttention
from tfgenaug.networks.dfg_networks import feature_critic
from tfgenaug.networks.dfg_networks import feature_generator
from tfgenaug.trainers import dfg_losses
from tfgenaug.trainers import portable_random
from tfgenaug.trainers.source_regularized import SourceRegularizedTrainer
from tfgenaug.trainers.source_regularized import cross_entropy
from tfgenaug.trainers.source_regularized import default_adam
from tfgenaug.validation import check_number
from tfgenaug.validation import check_positive_int


@keras.saving.register_keras_serializable(package="tfgenaug")
class DFG(SourceRegularizedTrainer):
    """Discriminative Feature Generation: a WGAN-GP on feature maps of a split classifier.

    See the module docstring for the train step. `fit()` takes `(images, labels)`
    batches, images in the range the extractor was pretrained on ([-1, 1] in this
    library). The classifier to evaluate or export is `classifier_model()` (E then C);
    calling the trainer on images gives the same logits.

    References:
        - Suh et al., [Discriminative Feature Generation for Classification of
          Imbalanced Data](https://arxiv.org/abs/2010.12888); reference code
          opensuh/DFG.

    Args:
        extractor: `keras.Model` E from images `(N, H, W, C)` to feature maps
            `(N, h, w, c)`, pretrained (see `pretrain_source`).
        classifier: `keras.Model` C from E's feature maps to logits `(N, K)`.
        num_classes: int. K.
        minority_classes: class ids whose generated features train C every
            `classifier_every` steps; `None` for all classes. Defaults to `None`.
        noise_dim: int. Size of G's noise, U(-1, 1). Defaults to 100.
        n_critic: int. Critic updates per step. Defaults to 5.
        gp_weight: float. Gradient-penalty weight. Defaults to 10.
        delta_weight: float. Weight of DELTA's Omega in E's and C's losses. Defaults
            to 0.01.
        classifier_every: int. Steps between the C-only updates on real and generated
            features (steps `classifier_every, 2 * classifier_every, ...`, counted
            from 0). Defaults to 5.
        attention_every: int. Steps between attention updates by `AttentionUpdate`.
            Defaults to 2000.
        attention_threshold: float. See `dfg_losses.class_attention`. Defaults to 0.9.
        generator_width: int. Hidden channels of the default G. Defaults to 128.
        critic_width: int. First-layer filters of the default D. Defaults to 32.
        generator: optional G, `[noise, labels] -> feature maps`, with a
            `ClassAttention` layer. Defaults to `feature_generator(...)`.
        discriminator: optional D, feature maps -> `(N, 1)`. Defaults to
            `feature_critic(...)`.
        seed: int. Seed of the training randomness. Defaults to 0.
        **kwargs: passed to `keras.Model`.

    Example:
    ```python
    extractor, classifier = lenet5_split((16, 16, 1), num_classes=10)
    pretrain_source(extractor, classifier, source_images, source_labels, steps=500)
    trainer = DFG(extractor, classifier, num_classes=10, minority_classes=[3, 8])
    trainer.compile()
    trainer.update_attention(images[:200], labels[:200])
    trainer.fit(train.repeat().batch(64), steps_per_epoch=500, epochs=8,
                callbacks=[AttentionUpdate(images, labels)])
    logits = trainer.classifier_model().predict(test_images)
    ```
    """

    metric_names = ("d_loss", "gradient_penalty", "g_loss", "ec_loss", "omega", "accuracy",
                    "c_loss")
    classifier_model_name = "dfg_classifier"

    def __init__(
        self,
        extractor: keras.Model,
        classifier: keras.Model,
        num_classes: int,
        minority_classes: Sequence[int] | None = None,
        noise_dim: int = 100,
        n_critic: int = 5,
        gp_weight: float = 10.0,
        delta_weight: float = 0.01,
        classifier_every: int = 5,
        attention_every: int = 2000,
        attention_threshold: float = 0.9,
        generator_width: int = 128,
        critic_width: int = 32,
        generator: keras.Model | None = None,
        discriminator: keras.Model | None = None,
        seed: int = 0,
        **kwargs,
    ):
        for value, name in ((noise_dim, "noise_dim"), (n_critic, "n_critic"),
                            (classifier_every, "classifier_every"),
                            (attention_every, "attention_every")):
            check_positive_int(value, name)
        check_number(gp_weight, "gp_weight", minimum=0)
        # E, C, their frozen source copies and DELTA's channel weights (uniform until
        # `update_attention` measures them).
        super().__init__(extractor, classifier, num_classes, delta_weight, seed=seed, **kwargs)
        feature_shape = self.feature_shape
        if minority_classes is None:
            minority_classes = list(range(num_classes))
        minority = [int(k) for k in minority_classes]
        if not minority or len(set(minority)) != len(minority) or not all(
            0 <= k < num_classes for k in minority
        ):
            raise ValueError(
                "minority_classes must be None or a non-empty sequence of unique class ids "
                f"in [0, {num_classes}); got {minority_classes!r}"
            )
        if generator is None:
            generator = feature_generator(feature_shape, num_classes, noise_dim, generator_width)
        if discriminator is None:
            discriminator = feature_critic(feature_shape, critic_width)
        if tuple(generator.output_shape[1:]) != feature_shape:
            raise ValueError(
                f"generator must output the extractor's feature maps {feature_shape}; got "
                f"output shape {generator.output_shape}"
            )
        attention_layers = [
            layer for layer in generator._flatten_layers(include_self=False)
            if isinstance(layer, ClassAttention)
        ]
        if len(attention_layers) != 1:
            raise ValueError(
                "generator must contain one ClassAttention layer (see "
                "tfgenaug.networks.dfg_networks.feature_generator)"
            )

        self.generator = generator
        self.discriminator = discriminator
        self.attention_layer = attention_layers[0]
        self.minority_classes = sorted(minority)
        self.noise_dim = int(noise_dim)
        self.n_critic = n_critic
        self.gp_weight = float(gp_weight)
        self.classifier_every = classifier_every
        self.attention_every = attention_every
        self.attention_threshold = float(attention_threshold)
        self.generator_width = generator_width
        self.critic_width = critic_width
        self.init_trackers(self.metric_names)
        self._attention_fn = None
        self.built = True

    # ----------------------------------------------------------------- compile
    step_optimizer = "g_optimizer"  # one generator update per step

    def networks(self) -> tuple[keras.Model, ...]:
        return (self.extractor, self.classifier, self.generator, self.discriminator)

    def xla_networks(self) -> tuple[keras.Model, ...]:
        # G runs outside the per-replica XLA maths (its batch norm is synchronized).
        return (self.extractor, self.classifier, self.discriminator)

    def default_optimizers(self) -> dict[str, keras.optimizers.Optimizer]:
        return {name: default_adam() for name in ("g_optimizer", "d_optimizer", "ec_optimizer")}

    def optimizer_variables(self) -> dict[str, list]:
        return {
            "d_optimizer": self.discriminator.trainable_variables,
            "g_optimizer": self.generator.trainable_variables,
            "ec_optimizer": self._ec_variables(),
        }

    def compile(
        self,
        *,
        g_optimizer: keras.optimizers.Optimizer | None = None,
        d_optimizer: keras.optimizers.Optimizer | None = None,
        ec_optimizer: keras.optimizers.Optimizer | None = None,
        jit_compile: bool | str = "auto",
        **kwargs,
    ) -> None:
        """Configures the trainer for `fit()`.

        Args:
            g_optimizer: optimizer of G. Defaults to `Adam(1e-4, 0.5, 0.9)`.
            d_optimizer: optimizer of D. Defaults likewise.
            ec_optimizer: optimizer of E and C (also used for the C-only updates).
                Defaults likewise.
            jit_compile: `True` (XLA: see the module docstring), `False` or `"auto"` (the
                default: `tfgenaug.trainers.compile_path` times both paths on a CPU).
            **kwargs: passed to `keras.Model.compile`.
        """
        self.compile_trainer(
            {"g_optimizer": g_optimizer, "d_optimizer": d_optimizer,
             "ec_optimizer": ec_optimizer},
            jit_compile=jit_compile, **kwargs,
        )

    # ----------------------------------------------------------------- properties
    @property
    def feature_generator(self) -> keras.Model:
        """G: `[noise (N, noise_dim), labels (N,)]` to feature maps, attention included."""
        return self.generator

    @property
    def attention(self) -> np.ndarray:
        """The current class attention `A`, `(K, channels)`."""
        return np.asarray(self.attention_layer.attention)

    def is_classifier_step(self, step: int) -> bool:
        """Whether step `step` (counted from 0) includes the C-only update."""
        return step > 0 and step % self.classifier_every == 0

    # ----------------------------------------------------------------- randomness
    def _noise(self, step, local_batch, draw: int) -> tf.Tensor:
        return 2.0 * self.replica_uniforms(local_batch, self.noise_dim, draw, step) - 1.0

    def _labels(self, step, local_batch, draw: int, classes: Sequence[int]) -> tf.Tensor:
        u = self.replica_uniforms(local_batch, 1, draw, step)[:, 0]
        index = tf.minimum(tf.cast(tf.floor(u * len(classes)), tf.int32), len(classes) - 1)
        return tf.gather(tf.constant(classes, tf.int32), index)

    # ----------------------------------------------------------------- losses
    def critic_maths(self, real, fake, alpha):
        """Critic loss terms and gradients for one critic update on one replica."""
        batch = tf.shape(real)[0]

        def critic(x):
            return tf.cast(self.discriminator(x, training=True)[:, 0], tf.float32)

        with tf.GradientTape() as tape:
            distance = critic(fake) - critic(real)
            penalty = dfg_losses.feature_gradient_penalty(critic, real, fake, alpha)
            loss = self.average_loss(distance + self.gp_weight * penalty, batch)
        grads = self.gradients(tape, loss, self.discriminator, self.d_optimizer)
        return {"d_loss": loss, "gradient_penalty": self.average_loss(penalty, batch)}, grads

    def generator_maths(self, real, labels, noise, fake_labels):
        """G's loss `-D(G) + CE(C([G; E(x)]), [y'; y])` and its gradients."""
        batch = tf.shape(labels)[0]
        real_ce = cross_entropy(labels, self.classifier(real, training=False))
        with tf.GradientTape() as tape:
            fake = self.generator([noise, fake_labels], training=True)
            adversarial = -tf.cast(self.discriminator(fake, training=True)[:, 0], tf.float32)
            fake_ce = cross_entropy(fake_labels, self.classifier(fake, training=False))
            # The cross-entropy of the merged batch of 2N features is the mean of halves.
            loss = self.average_loss(adversarial + 0.5 * (fake_ce + real_ce), batch)
        return loss, self.gradients(tape, loss, self.generator, self.g_optimizer)

    def classifier_maths(self, images, labels, fake, fake_labels):
        """C's loss on thirds: real (+ Omega), generated minority, both merged."""
        batch = tf.shape(labels)[0]
        features = self.extractor(images, training=False)
        with tf.GradientTape() as tape:
            real_ce = cross_entropy(labels, self.classifier(features, training=True))
            # E is fixed here: of Omega only the kernel term of C's last layer moves.
            real_term = real_ce + self.delta_weight * self._omega(features, images)
            fake_ce = cross_entropy(fake_labels, self.classifier(fake, training=True))
            merged = tf.concat([fake, tf.cast(features, fake.dtype)], axis=0)
            merged_ce = cross_entropy(
                tf.concat([fake_labels, labels], axis=0),
                self.classifier(merged, training=True),
            )
            merged_term = 0.5 * (merged_ce[:batch] + merged_ce[batch:])
            loss = self.average_loss((real_term + fake_ce + merged_term) / 3.0, batch)
        return loss, self.gradients(tape, loss, self.classifier, self.ec_optimizer)

    # ----------------------------------------------------------------- steps
    def _step(self, data, classifier_update: bool):
        images, labels = self.unpack_batch(data)
        batch = tf.shape(images)[0]
        step = self.step_counter()
        all_classes = list(range(self.num_classes))
        real = self.extractor(images, training=False)
        critic_maths = self.xla_maths(self.critic_maths)
        for i in range(self.n_critic):
            fake_labels = self._labels(step, batch, 3 * i, all_classes)
            fake = self.generator(
                [self._noise(step, batch, 3 * i + 1), fake_labels], training=True
            )
            alpha = self.replica_uniforms(batch, 1, 3 * i + 2, step)[:, 0]
            terms, grads = critic_maths(real, fake, alpha)
            self.apply_update(self.d_optimizer, grads, self.discriminator)
        draw = 3 * self.n_critic
        fake_labels = self._labels(step, batch, draw, all_classes)
        g_loss, grads = self.generator_maths(
            real, labels, self._noise(step, batch, draw + 1), fake_labels
        )
        self.apply_update(self.g_optimizer, grads, self.generator)
        ec_terms, grads = self.xla_maths(self.extractor_classifier_maths)(images, labels)
        self.apply_update(self.ec_optimizer, grads, self._ec_variables())
        values = {**terms, "g_loss": g_loss, **ec_terms}
        if classifier_update:
            minority_labels = self._labels(step, batch, draw + 2, self.minority_classes)
            fake = self.generator(
                [self._noise(step, batch, draw + 3), minority_labels], training=True
            )
            c_loss, grads = self.xla_maths(self.classifier_maths)(
                images, labels, fake, minority_labels
            )
            self.apply_update(self.ec_optimizer, grads, self.classifier)
            values["c_loss"] = c_loss
        return self.update_trackers(values)

    def gan_train_step(self, data):
        """A step without the C-only update."""
        return self._step(data, classifier_update=False)

    def classifier_train_step(self, data):
        """A step with the C-only update (every `classifier_every` steps)."""
        return self._step(data, classifier_update=True)

    def train_stages(self) -> dict:
        """Steps with and without the C update, each its own train function.

        The step counter is read before each execution (as DADA reads its stage), so
        with `steps_per_execution > 1` every step of an execution that starts on a
        C-update step makes the C update, and the others make none; with the default
        `steps_per_execution=1` the schedule is exact.
        """
        return {"gan": self.gan_train_step, "classifier": self.classifier_train_step}

    def current_stage(self) -> str:
        return "classifier" if self.is_classifier_step(self.train_steps) else "gan"

    # ----------------------------------------------------------------- attention
    def _attention_maths(self, images, labels):
        features = self.extractor(images, training=False)
        increases = dfg_losses.channel_ablation_losses(
            features, lambda f: self.classifier(f, training=False), labels
        )
        attention = dfg_losses.class_attention(
            increases, labels, self.num_classes, self.attention_threshold
        )
        return attention, self._source_channel_weights(images, labels)

    def update_attention(self, images, labels) -> np.ndarray:
        """Recomputes G's class attention (current E, C) and DELTA's weights (source E, C).

        The reference uses 10 images per class (`attention_sample`). Runs as a plain
        `tf.function` outside the train step.

        Args:
            images: float `(N, *image_shape)`.
            labels: int `(N,)` class ids.

        Returns:
            The new attention `(K, channels)` as a NumPy array.

        Raises:
            ValueError: images or labels of the wrong shape.

        Example:
        ```python
        trainer.update_attention(*attention_sample(images, labels, 10))
        ```
        """
        images, labels = self._checked_arrays(images, labels)
        if self._attention_fn is None:
            self._attention_fn = tf.function(self._attention_maths)
        attention, weights = self._attention_fn(images, labels)
        self.attention_layer.attention.assign(attention)
        self.delta_weights.assign(weights)
        return np.asarray(attention)

    # ----------------------------------------------------------------- samples
    def sample_features(self, labels, seed: int = 0) -> tf.Tensor:
        """Generated feature maps `(N, h, w, c)` for `labels`, noise U(-1, 1) from `seed`.

        Raises:
            ValueError: labels outside [0, num_classes).
        """
        labels = np.asarray(labels, dtype=np.int32).reshape(-1)
        check_labels_in_range(labels, self.num_classes)
        noise = 2.0 * portable_random.uniform(
            [len(labels), self.noise_dim], tf.constant([seed, 0], tf.int64)
        ) - 1.0
        features = self.generator([noise, tf.constant(labels)], training=False)
        return tf.cast(features, tf.float32)

    # ----------------------------------------------------------------- config
    def get_config(self) -> dict:
        """The constructor's arguments. The source copies, the attention and DELTA's
        weights are state, not config: restore them from a checkpoint."""
        return {
            **super().get_config(),
            **{
                key: keras.saving.serialize_keras_object(getattr(self, key))
                for key in ("extractor", "classifier", "generator", "discriminator")
            },
            "num_classes": self.num_classes,
            "minority_classes": list(self.minority_classes),
            "noise_dim": self.noise_dim,
            "n_critic": self.n_critic,
            "gp_weight": self.gp_weight,
            "delta_weight": self.delta_weight,
            "classifier_every": self.classifier_every,
            "attention_every": self.attention_every,
            "attention_threshold": self.attention_threshold,
            "generator_width": self.generator_width,
            "critic_width": self.critic_width,
            "seed": self.seed,
        }

    @classmethod
    def from_config(cls, config: dict):
        config = dict(config)
        for key in ("extractor", "classifier", "generator", "discriminator"):
            if isinstance(config.get(key), dict):
                config[key] = keras.saving.deserialize_keras_object(config[key])
        return cls(**config)
