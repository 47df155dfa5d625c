"""The source-regularised update of a pretrained, split classifier (DFG and its baselines).

`DFG` and `FineTuner` both train a feature extractor E and a classifier C, pretrained
on source data, with the same update:

    CE(C(E(x)), y) + delta_weight * Omega

Omega is DELTA's regularizer toward frozen copies of the source E
(`tfgenaug.trainers.dfg_losses.delta_regularizer`) with channel weights measured by
ablating channels of the source E and C. `SourceRegularizedSplit` is that shared part:
the checks of E and C, the frozen source copies, DELTA's channel weights, the E+C maths
(loss-scaled under `mixed_float16`). `SourceRegularizedTrainer` is that shared part, on
the trainer kernel (`tfgenaug.trainers.core`); a trainer adds its own optimizers and step.
"""

import keras
import tensorflow as tf

from tfgenaug.data import batch_checks
from tfgenaug.trainers import dfg_losses
from tfgenaug.trainers.core import Trainer
from tfgenaug.validation import check_number
from tfgenaug.validation import check_positive_int


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


class SourceRegularizedTrainer(Trainer):
    """A trainer that fine-tunes a split classifier E, C toward its source.

    It has E and C, their frozen source copies, DELTA's channel weights, the E+C
    update's maths (`extractor_classifier_maths`, which needs `self.ec_optimizer`),
    `call` (images -> logits) and `classifier_model()`. Subclasses add optimizers,
    trackers and the step.

    Args:
        extractor: `keras.Model` E from images to feature maps.
        classifier: `keras.Model` C from E's feature maps to `num_classes` logits.
        num_classes: int. K.
        delta_weight: float >= 0. Weight of DELTA's Omega in the E+C loss.
        seed: int. Seed of the training randomness. Defaults to 0.
        **kwargs: passed to `keras.Model`.
    """

    classifier_model_name = "split_classifier"

    def __init__(self, extractor: keras.Model, classifier: keras.Model, num_classes: int,
                 delta_weight: float, seed: int = 0, **kwargs):
        super().__init__(seed=seed, **kwargs)
        feature_shape = check_split_networks(extractor, classifier, num_classes)
        check_number(delta_weight, "delta_weight", minimum=0)
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

    def networks(self) -> tuple[keras.Model, ...]:
        return (self.extractor, self.classifier)

    def _ec_variables(self) -> list:
        return self.extractor.trainable_variables + self.classifier.trainable_variables

    def _checked_arrays(self, images, labels) -> tuple[tf.Tensor, tf.Tensor]:
        """Images and labels given outside `fit` (e.g. for attention) as checked tensors."""
        images = tf.convert_to_tensor(images, tf.float32)
        labels = tf.convert_to_tensor(labels)
        batch_checks.check_static(self.batch_spec(), images, labels)
        return images, tf.cast(tf.reshape(labels, [-1]), tf.int32)

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
            loss = self.average_loss(
                cross_entropy(labels, logits) + self.delta_weight * omega, batch
            )
        grads = self.gradients(tape, loss, variables, self.ec_optimizer)
        correct = tf.cast(tf.equal(tf.argmax(logits, -1, output_type=tf.int32), labels),
                          tf.float32)
        terms = {
            "ec_loss": loss,
            "omega": self.average_loss(omega, batch),
            "accuracy": self.average_loss(correct, batch),
        }
        return terms, grads

    def _source_channel_weights(self, images, labels) -> tf.Tensor:
        """DELTA's channel weights: channel ablation of the source E and C."""
        source = self.source_extractor(images, training=False)
        increases = dfg_losses.channel_ablation_losses(
            source, lambda f: self.source_classifier(f, training=False), labels
        )
        return dfg_losses.delta_channel_weights(increases)

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
