"""Fine-tuning of a pretrained, split classifier: DFG's "Original" and "DELTA" baselines.

`FineTuner` trains the feature extractor E and the classifier C of a network pretrained
on source data (see `tfgenaug.trainers.dfg.pretrain_source`) on target data, with the
loss of DFG's E+C update and nothing else:

    CE(C(E(x)), y) + delta_weight * Omega

Omega is DELTA's regularizer toward frozen copies of the source E
(`tfgenaug.trainers.dfg_losses.delta_regularizer`), with the channel weights DFG uses
(channel ablation of the source E and C on target images, `update_delta_weights`).
`delta_weight=0` is the paper's *Original* row (plain fine-tuning), `delta_weight=0.01`
(DFG's default) its *DELTA* row. There is no generator and no critic, so the two rows
differ from `DFG` only by the feature generation: the same losses, optimizer (Adam
1e-4, 0.5, 0.9), step counter and metric names (`ec_loss`, `omega`, `accuracy`).

Why a separate trainer rather than `DFG` with generation off: `DFG`'s step always makes
its critic and generator updates (five critic passes with a gradient penalty per step),
which would make the baselines five to ten times slower for nothing, and turning them
off inside `DFG` would add a mode to every branch of its step.
"""

from collections.abc import Callable

import keras
import numpy as np
import tensorflow as tf

from tfgenaug.networks.validation import check_positive_int
from tfgenaug.trainers import dfg_losses
from tfgenaug.trainers.base import check_batch_shapes
from tfgenaug.trainers.dfg import _adam
from tfgenaug.trainers.dfg import _cross_entropy
from tfgenaug.trainers.dfg import _frozen_copy
from tfgenaug.trainers.dfg import _last_kernel


@keras.saving.register_keras_serializable(package="tfgenaug")
class FineTuner(keras.Model):
    """Fine-tunes E and C on target data with cross-entropy plus DELTA's Omega.

    See the module docstring. `fit()` takes `(images, labels)` batches in the range E
    was pretrained on ([-1, 1] in this library); `classifier_model()` is E then C.

    References:
        - Li et al., [DELTA: DEep Learning Transfer using Feature Map with
          Attention](https://arxiv.org/abs/1901.09229).
        - Suh et al., [Discriminative Feature Generation for Classification of
          Imbalanced Data](https://arxiv.org/abs/2010.12888) (its baselines).

    Args:
        extractor: `keras.Model` E from images to feature maps `(N, h, w, c)`,
            pretrained on the source.
        classifier: `keras.Model` C from E's feature maps to logits `(N, K)`.
        num_classes: int. K.
        delta_weight: float >= 0. Weight of Omega; 0 for plain fine-tuning. Defaults to
            0.01 (DELTA, as in `DFG`).
        **kwargs: passed to `keras.Model`.

    Example:
    ```python
    extractor, classifier = lenet5_split((16, 16, 1), num_classes=5)
    pretrain_source(extractor, classifier, source_images, source_labels, steps=500)
    tuner = FineTuner(extractor, classifier, num_classes=5, delta_weight=0.01)
    tuner.compile()
    tuner.update_delta_weights(*attention_sample(images, labels))
    tuner.fit(train.repeat().batch(64), steps_per_epoch=500, epochs=2)
    logits = tuner.classifier_model().predict(test_images)
    ```
    """

    metric_names = ("ec_loss", "omega", "accuracy")

    def __init__(
        self,
        extractor: keras.Model,
        classifier: keras.Model,
        num_classes: int,
        delta_weight: float = 0.01,
        **kwargs,
    ):
        super().__init__(**kwargs)
        check_positive_int(num_classes, "num_classes")
        if isinstance(delta_weight, bool) or not isinstance(delta_weight, int | float) or (
            delta_weight < 0
        ):
            raise ValueError(f"delta_weight must be a number >= 0; got {delta_weight!r}")
        feature_shape = tuple(extractor.output_shape[1:])
        if len(feature_shape) != 3 or None in feature_shape:
            raise ValueError(
                "extractor must map images to feature maps (N, h, w, channels) of a known "
                f"shape; got output shape {extractor.output_shape}"
            )
        if tuple(classifier.input_shape[1:]) != feature_shape:
            raise ValueError(
                f"classifier must take the extractor's feature maps {feature_shape}; got "
                f"input shape {classifier.input_shape}"
            )
        if tuple(classifier.output_shape[1:]) != (num_classes,):
            raise ValueError(
                f"classifier must output num_classes = {num_classes} logits; got output "
                f"shape {classifier.output_shape}"
            )
        self.extractor = extractor
        self.classifier = classifier
        self.source_extractor = _frozen_copy(extractor, "source_extractor")
        self.source_classifier = _frozen_copy(classifier, "source_classifier")
        self.num_classes = int(num_classes)
        self.delta_weight = float(delta_weight)
        self.image_shape = tuple(int(d) for d in extractor.input_shape[1:])
        self.feature_shape = feature_shape
        channels = feature_shape[-1]
        self.delta_weights = self.add_weight(
            shape=(channels,), initializer=keras.initializers.Constant(1.0 / channels),
            trainable=False, name="delta_channel_weights", aggregation="only_first_replica",
        )
        self.classifier_kernel = _last_kernel(classifier)
        self.trackers = {name: keras.metrics.Mean(name=name) for name in self.metric_names}
        self.xla_per_replica = False
        self._maths_fn: Callable | None = None
        self._delta_fn = None
        self.built = True

    def compile(
        self,
        ec_optimizer: keras.optimizers.Optimizer | None = None,
        jit_compile: bool = True,
        **kwargs,
    ) -> None:
        """Configures the trainer for `fit()`.

        Args:
            ec_optimizer: optimizer of E and C. Defaults to `Adam(1e-4, 0.5, 0.9)`
                (DFG's).
            jit_compile: bool. Compile the step with XLA (per replica under a
                multi-replica strategy, as `DFG` does). Defaults to `True`.
            **kwargs: passed to `keras.Model.compile`.
        """
        self.ec_optimizer = ec_optimizer or _adam()
        num_replicas = self.distribute_strategy.num_replicas_in_sync
        self.xla_per_replica = bool(jit_compile) and num_replicas > 1
        super().compile(jit_compile=bool(jit_compile) and num_replicas == 1, **kwargs)
        self._maths_fn = None
        with self.distribute_strategy.scope():
            self.ec_optimizer.build(self._ec_variables())

    def _ec_variables(self) -> list:
        return self.extractor.trainable_variables + self.classifier.trainable_variables

    @property
    def metrics(self) -> list[keras.metrics.Metric]:
        return list(self.trackers.values())

    def train_steps(self) -> int:
        """Train steps taken (E+C updates)."""
        if not hasattr(self, "ec_optimizer"):
            return 0
        return int(keras.ops.convert_to_numpy(self.ec_optimizer.iterations))

    def _average(self, per_example: tf.Tensor, batch: tf.Tensor) -> tf.Tensor:
        global_batch = batch * self.distribute_strategy.num_replicas_in_sync
        return tf.reduce_sum(tf.cast(per_example, tf.float32)) / tf.cast(global_batch, tf.float32)

    def extractor_classifier_maths(self, images, labels):
        """The loss `CE + delta_weight * Omega`, its terms and gradients, on one replica."""
        batch = tf.shape(labels)[0]
        variables = self._ec_variables()
        with tf.GradientTape() as tape:
            features = self.extractor(images, training=True)
            logits = tf.cast(self.classifier(features, training=True), tf.float32)
            source = self.source_extractor(images, training=False)
            kernel = None if self.classifier_kernel is None else self.classifier_kernel.value
            omega = dfg_losses.delta_regularizer(features, source, self.delta_weights.value,
                                                 kernel)
            loss = self._average(_cross_entropy(labels, logits) + self.delta_weight * omega,
                                 batch)
        grads = tape.gradient(loss, variables)
        correct = tf.cast(tf.equal(tf.argmax(logits, -1, output_type=tf.int32), labels),
                          tf.float32)
        terms = {"ec_loss": loss, "omega": self._average(omega, batch),
                 "accuracy": self._average(correct, batch)}
        return terms, grads

    def train_step(self, data):
        if isinstance(data, dict):
            images, labels = data["images"], data["labels"]
        else:
            images, labels = data[0], data[1]
        check_batch_shapes(images.shape, labels.shape, self.image_shape)
        images = tf.cast(images, tf.float32)
        labels = tf.cast(tf.reshape(labels, [-1]), tf.int32)
        maths = self.extractor_classifier_maths
        if self.xla_per_replica:
            if self._maths_fn is None:
                self._maths_fn = tf.function(maths, jit_compile=True)
            maths = self._maths_fn
        terms, grads = maths(images, labels)
        with tf.control_dependencies([g for g in grads if g is not None]):
            self.ec_optimizer.apply_gradients(zip(grads, self._ec_variables(), strict=True))
        num_replicas = self.distribute_strategy.num_replicas_in_sync
        for name, value in terms.items():
            self.trackers[name].update_state(tf.cast(value, tf.float32) * num_replicas)
        return {name: tracker.result() for name, tracker in self.trackers.items()}

    def fit(self, x=None, y=None, **kwargs):
        """`keras.Model.fit`; a `tf.data.Dataset` is not reshuffled (it shuffles itself)."""
        if isinstance(x, tf.data.Dataset):
            kwargs.setdefault("shuffle", False)
        return super().fit(x, y, **kwargs)

    def _delta_maths(self, images, labels):
        source = self.source_extractor(images, training=False)
        increases = dfg_losses.channel_ablation_losses(
            source, lambda f: self.source_classifier(f, training=False), labels
        )
        return dfg_losses.delta_channel_weights(increases)

    def update_delta_weights(self, images, labels) -> np.ndarray:
        """Sets DELTA's channel weights from the source E and C on `(images, labels)`.

        The same weights `DFG.update_attention` sets (the source networks are frozen,
        so one call at the start suffices).

        Args:
            images: float `(N, *image_shape)`, e.g. 10 per class (`attention_sample`).
            labels: int `(N,)` class ids.

        Returns:
            The weights `(channels,)` as a NumPy array.

        Raises:
            ValueError: images or labels of the wrong shape.

        Example:
        ```python
        tuner.update_delta_weights(*attention_sample(images, labels, 10))
        ```
        """
        images = tf.convert_to_tensor(images, tf.float32)
        labels = tf.convert_to_tensor(labels)
        check_batch_shapes(images.shape, labels.shape, self.image_shape)
        labels = tf.cast(tf.reshape(labels, [-1]), tf.int32)
        if self._delta_fn is None:
            self._delta_fn = tf.function(self._delta_maths)
        weights = self._delta_fn(images, labels)
        self.delta_weights.assign(weights)
        return np.asarray(weights)

    def call(self, inputs, training=False):
        """Class logits of images: C(E(images)), float32."""
        features = self.extractor(inputs, training=training)
        return tf.cast(self.classifier(features, training=training), tf.float32)

    def classifier_model(self) -> keras.Model:
        """A `keras.Model` from images to logits: E then C (sharing their weights)."""
        images = keras.Input(self.image_shape, name="images")
        return keras.Model(images, self.classifier(self.extractor(images)),
                           name="fine_tuned_classifier")

    def get_config(self) -> dict:
        """The constructor's arguments (the source copies and DELTA's weights are state)."""
        return {
            **super().get_config(),
            "extractor": keras.saving.serialize_keras_object(self.extractor),
            "classifier": keras.saving.serialize_keras_object(self.classifier),
            "num_classes": self.num_classes,
            "delta_weight": self.delta_weight,
        }

    @classmethod
    def from_config(cls, config: dict):
        config = dict(config)
        for key in ("extractor", "classifier"):
            if isinstance(config.get(key), dict):
                config[key] = keras.saving.deserialize_keras_object(config[key])
        return cls(**config)
