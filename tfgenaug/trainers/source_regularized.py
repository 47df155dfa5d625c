"""The source-regularised update of a pretrained, split classifier (DFG and its baselines).

`DFG` and `FineTuner` both train a feature extractor E and a classifier C, pretrained
on source data, with the same update:

    CE(C(E(x)), y) + delta_weight * Omega

Omega is DELTA's regularizer toward frozen copies of the source E
(`tfgenaug.trainers.dfg_losses.delta_regularizer`) with channel weights measured by
ablating channels of the source E and C. `SourceRegularizedSplit` is that shared part:
the checks of E and C, the frozen source copies, DELTA's channel weights, the E+C maths
(loss-scaled under `mixed_float16`), per-replica XLA and the trackers. A trainer mixes
it into its `keras.Model` and adds its own optimizers and step.
"""

from collections.abc import Callable

import keras
import numpy as np
import tensorflow as tf

from tfgenaug.networks.validation import check_positive_int
from tfgenaug.trainers import dfg_losses
from tfgenaug.trainers import precision
from tfgenaug.trainers.base import apply_after_gradients
from tfgenaug.trainers.base import check_batch_shapes
from tfgenaug.trainers.base import compiled_per_replica


def default_adam() -> keras.optimizers.Optimizer:
    """DFG's optimizer for every network: `Adam(1e-4, beta_1=0.5, beta_2=0.9)`."""
    return keras.optimizers.Adam(1e-4, beta_1=0.5, beta_2=0.9)


def frozen_copy(model: keras.Model, name: str) -> keras.Model:
    """A non-trainable clone of `model` with its current weights."""
    copy = keras.models.clone_model(model)
    copy.set_weights(model.get_weights())
    copy.trainable = False
    copy.name = name
    return copy


def last_kernel(model: keras.Model) -> keras.Variable | None:
    """The kernel of the last layer of `model` that has one (C's output layer), or None."""
    for layer in reversed(model._flatten_layers(include_self=False)):
        kernel = getattr(layer, "kernel", None)
        if kernel is not None:
            return kernel
    return None


def cross_entropy(labels: tf.Tensor, logits: tf.Tensor) -> tf.Tensor:
    """Per-example sparse softmax cross-entropy, in float32."""
    return tf.nn.sparse_softmax_cross_entropy_with_logits(
        labels=tf.cast(labels, tf.int32), logits=tf.cast(logits, tf.float32)
    )


def check_split_networks(extractor: keras.Model, classifier: keras.Model,
                         num_classes: int) -> tuple[int, int, int]:
    """Checks that E maps images to feature maps and C maps those to K logits.

    Args:
        extractor: `keras.Model` E.
        classifier: `keras.Model` C.
        num_classes: int. K.

    Returns:
        E's feature-map shape `(h, w, channels)`.

    Raises:
        ValueError: naming the network and the shape it should have.
    """
    check_positive_int(num_classes, "num_classes")
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
    return feature_shape


class SourceRegularizedSplit:
    """Mixin of a `keras.Model` that fine-tunes a split classifier E, C toward its source.

    The model calls `_init_split` in its constructor and sets `self.ec_optimizer`
    (through `precision.loss_scaled`) and `self.xla_per_replica` in `compile`. It then
    has E and C, their frozen source copies, DELTA's channel weights, the E+C update's
    maths, `call` (images -> logits), `classifier_model()`, `fit` (a dataset is not
    reshuffled) and `metrics` (the model's `self.trackers`, which it creates).
    """

    classifier_model_name = "split_classifier"

    def _init_split(self, extractor: keras.Model, classifier: keras.Model, num_classes: int,
                    delta_weight: float) -> None:
        feature_shape = check_split_networks(extractor, classifier, num_classes)
        if isinstance(delta_weight, bool) or not isinstance(
            delta_weight, int | float | np.floating
        ) or not delta_weight >= 0:
            raise ValueError(f"delta_weight must be a number >= 0; got {delta_weight!r}")
        self.extractor = extractor
        self.classifier = classifier
        self.source_extractor = frozen_copy(extractor, "source_extractor")
        self.source_classifier = frozen_copy(classifier, "source_classifier")
        self.num_classes = int(num_classes)
        self.delta_weight = float(delta_weight)
        self.image_shape = tuple(int(d) for d in extractor.input_shape[1:])
        self.feature_shape = feature_shape
        channels = feature_shape[-1]
        # DELTA's channel weights; uniform until measured on target images.
        self.delta_weights = self.add_weight(
            shape=(channels,), initializer=keras.initializers.Constant(1.0 / channels),
            trainable=False, name="delta_channel_weights", aggregation="only_first_replica",
        )
        self.classifier_kernel = last_kernel(classifier)
        self.xla_per_replica = False
        self._compiled_cache: dict[str, Callable] = {}

    @property
    def metrics(self) -> list[keras.metrics.Metric]:
        return list(self.trackers.values())

    def fit(self, x=None, y=None, **kwargs):
        """`keras.Model.fit`; a `tf.data.Dataset` is not reshuffled (it shuffles itself)."""
        if isinstance(x, tf.data.Dataset):
            kwargs.setdefault("shuffle", False)
        return super().fit(x, y, **kwargs)

    def _float16(self, *networks: keras.Model) -> bool:
        return precision.computes_in_float16((self.extractor, self.classifier, *networks))

    def _ec_variables(self) -> list:
        return self.extractor.trainable_variables + self.classifier.trainable_variables

    def _xla_maths(self, fn: Callable) -> Callable:
        """`fn` compiled per replica with XLA when the whole step is not compiled."""
        return compiled_per_replica(fn, self._compiled_cache, self.xla_per_replica)

    @staticmethod
    def _apply(optimizer, grads, variables) -> None:
        apply_after_gradients(optimizer, grads, variables)

    def _unpack(self, data) -> tuple[tf.Tensor, tf.Tensor]:
        if isinstance(data, dict):
            images, labels = data["images"], data["labels"]
        else:
            images, labels = data[0], data[1]
        check_batch_shapes(images.shape, labels.shape, self.image_shape)
        return tf.cast(images, tf.float32), tf.cast(tf.reshape(labels, [-1]), tf.int32)

    def _checked_arrays(self, images, labels) -> tuple[tf.Tensor, tf.Tensor]:
        """Images and labels given outside `fit` (e.g. for attention) as checked tensors."""
        images = tf.convert_to_tensor(images, tf.float32)
        labels = tf.convert_to_tensor(labels)
        check_batch_shapes(images.shape, labels.shape, self.image_shape)
        return images, tf.cast(tf.reshape(labels, [-1]), tf.int32)

    def _average(self, per_example: tf.Tensor, batch: tf.Tensor) -> tf.Tensor:
        """Sum of per-example values over the *global* batch size."""
        global_batch = batch * self.distribute_strategy.num_replicas_in_sync
        return tf.reduce_sum(tf.cast(per_example, tf.float32)) / tf.cast(global_batch, tf.float32)

    def _omega(self, features: tf.Tensor, images: tf.Tensor) -> tf.Tensor:
        source = self.source_extractor(images, training=False)
        kernel = None if self.classifier_kernel is None else self.classifier_kernel.value
        return dfg_losses.delta_regularizer(features, source, self.delta_weights.value, kernel)

    def extractor_classifier_maths(self, images, labels):
        """E's and C's loss `CE + delta_weight * Omega` and gradients, with accuracy."""
        batch = tf.shape(labels)[0]
        variables = self._ec_variables()
        with tf.GradientTape() as tape:
            features = self.extractor(images, training=True)
            logits = tf.cast(self.classifier(features, training=True), tf.float32)
            omega = self._omega(features, images)
            loss = self._average(cross_entropy(labels, logits) + self.delta_weight * omega,
                                 batch)
        grads = precision.scaled_gradients(tape, loss, variables, self.ec_optimizer)
        correct = tf.cast(tf.equal(tf.argmax(logits, -1, output_type=tf.int32), labels),
                          tf.float32)
        terms = {
            "ec_loss": loss,
            "omega": self._average(omega, batch),
            "accuracy": self._average(correct, batch),
        }
        return terms, grads

    def _source_channel_weights(self, images, labels) -> tf.Tensor:
        """DELTA's channel weights: channel ablation of the source E and C."""
        source = self.source_extractor(images, training=False)
        increases = dfg_losses.channel_ablation_losses(
            source, lambda f: self.source_classifier(f, training=False), labels
        )
        return dfg_losses.delta_channel_weights(increases)

    def _update_trackers(self, values: dict) -> dict:
        """Trackers get one-device values: a replica's share times the replica count."""
        num_replicas = self.distribute_strategy.num_replicas_in_sync
        for name, value in values.items():
            self.trackers[name].update_state(tf.cast(value, tf.float32) * num_replicas)
        return {name: tracker.result() for name, tracker in self.trackers.items()}

    def call(self, inputs, training=False):
        """Class logits of images: C(E(images)), float32."""
        features = self.extractor(inputs, training=training)
        return tf.cast(self.classifier(features, training=training), tf.float32)

    def classifier_model(self) -> keras.Model:
        """A `keras.Model` from images to logits: E then C (sharing their weights).

        Example:
        ```python
        logits = trainer.classifier_model().predict(test_images)
        ```
        """
        images = keras.Input(self.image_shape, name="images")
        logits = self.classifier(self.extractor(images))
        return keras.Model(images, logits, name=self.classifier_model_name)
