"""Improved-GAN's semi-supervised GAN (Salimans et al. 2016): labelled and unlabelled images.

The discriminator has K class logits and an implicit fake class whose logit is 0. It
learns from three kinds of images in every step: labelled real images (cross-entropy
among the K classes), unlabelled real images and generated images (real vs fake, read
off `logsumexp` of the K logits). The generator matches the mean of the
discriminator's pooled features over real images (feature matching), which is what
makes the discriminator a good classifier. An exponential moving average (EMA) of the
discriminator's weights is the classifier (`classifier()`, `classify()`).

Batches are `(images, labels)` (or `{"images", "labels"}`) where an unlabelled image
has label -1 (`tfgenaug.data.UNLABELLED`, scikit-learn's convention); each batch should
hold labelled images, e.g. half and half as the reference's separate labelled and
unlabelled batches of equal size. The labelled loss is the mean over the labelled
images of the global batch, the unlabelled one the mean over all its real images, so
the result does not depend on how a strategy splits the batch.

How it compiles: both losses' normalisers and feature matching are means over the
global batch (all-reduced), so with `jit_compile=True` the whole step compiles with XLA
on one device, and under a multi-replica strategy the step runs without XLA (as DADA's
first stage).
"""

import dataclasses
from collections.abc import Sequence

import keras
import tensorflow as tf

from tfgenaug.trainers import cross_replica
from tfgenaug.trainers import ema
from tfgenaug.trainers import losses
from tfgenaug.trainers.base import ConditionalGANTrainer
from tfgenaug.trainers.ema_classifier import EMAClassifierMixin
from tfgenaug.trainers.ema_classifier import check_ema_decay
from tfgenaug.trainers.ema_classifier import weight_norm_networks
from tfgenaug.trainers.registry import register
from tfgenaug.validation import check_number

_TINY = 1e-8
# Where `classifier_parts` splits `semi_supervised_discriminator`: its last feature maps,
# then global pooling, the weight-normalized logits and their float32 cast.
_FEATURE_MAPS = "nin1_lrelu"
_HEAD = ("features", "logits", "logits_float32")


@register("ssgan")
@keras.saving.register_keras_serializable(package="tfgenaug")
class SemiSupervisedGAN(EMAClassifierMixin, ConditionalGANTrainer):
    """Semi-supervised GAN whose K-logit discriminator is the classifier (Improved-GAN).

    One train step is one discriminator update and one generator update. D minimises
    `labelled + unlabelled_weight * (softplus(-lse(l(x_u))) + softplus(lse(l(G(z)))))`
    (`tfgenaug.trainers.losses.semi_supervised_labelled_loss` and
    `semi_supervised_unlabelled_loss`); G minimises the mean squared distance of the
    batch means of D's `"features"` on real and generated images. Every real image of
    the batch, labelled or not, counts as unlabelled real data. After every D update
    the EMA of D's weights moves (`ema_decay`, with `tf.train.ExponentialMovingAverage`'s
    warm-up). The generator is DADA's conditional generator fed random classes: the
    losses do not use its classes, so its samples are not class-faithful; the product
    of this trainer is its classifier. Call `initialize(images)` once before training
    for the data-dependent weight-norm initialisation of D.

    References:
        - Salimans et al., [Improved Techniques for Training
          GANs](https://arxiv.org/abs/1606.03498); reference code openai/improved-gan.

    Args:
        image_shape: `(height, width, channels)`. Needed unless both networks are given.
        num_classes: int. Number of classes K.
        noise_dim: int. Size of the noise vector. Defaults to 100 (the reference's).
        unlabelled_weight: float >= 0. Weight of the unlabelled (real vs fake) term.
            Defaults to 0.5 (the reference's `0.5 * (...)` at `unlabeled_weight=1`).
        ema_decay: float in [0, 1). Largest decay of the EMA of D's weights. Defaults
            to 0.999.
        width_multiplier: float. Multiplies the widths of the default networks.
            Defaults to 1.
        gaussian_noise: float. Input noise of the default discriminator. Defaults to
            0.2.
        dropout: float. Dropout rate of the default discriminator. Defaults to 0.5.
        generator: optional generator `keras.Model` (`[noise, labels] -> images`).
        discriminator: optional `keras.Model` from images to `{"logits": (N, K),
            "features": (N, F)}`.
        seed: int. Seed of the training randomness. Defaults to 0.
        **kwargs: passed to `ConditionalGANTrainer`.

    Example:
    ```python
    trainer = SemiSupervisedGAN((8, 8, 1), num_classes=10, width_multiplier=0.25)
    trainer.initialize(train_images[:500])
    trainer.compile()
    trainer.fit(mixed_batches, steps_per_epoch=100, epochs=30)  # labels -1: unlabelled
    accuracy = (trainer.classify(test_images) == test_labels).mean()
    ```
    """

    metric_names = ("d_loss", "labelled_loss", "unlabelled_loss", "g_loss", "accuracy")
    step_optimizer = "d_optimizer"

    def __init__(
        self,
        image_shape: Sequence[int] | None = None,
        num_classes: int = 10,
        noise_dim: int = 100,
        unlabelled_weight: float = 0.5,
        ema_decay: float = 0.999,
        width_multiplier: float = 1.0,
        gaussian_noise: float = 0.2,
        dropout: float = 0.5,
        generator: keras.Model | None = None,
        discriminator: keras.Model | None = None,
        seed: int = 0,
        **kwargs,
    ):
        check_number(unlabelled_weight, "unlabelled_weight", minimum=0)
        ema_decay = check_ema_decay(ema_decay)
        generator, discriminator = weight_norm_networks(
            image_shape, num_classes, noise_dim, width_multiplier, gaussian_noise, dropout,
            generator, discriminator, logits_per_class=1)
        kwargs.setdefault("noise_distribution", "uniform")
        super().__init__(generator, discriminator, num_classes, noise_dim, seed=seed, **kwargs)
        self.unlabelled_weight = float(unlabelled_weight)
        self.ema_decay = ema_decay
        self.width_multiplier = float(width_multiplier)
        self.gaussian_noise = float(gaussian_noise)
        self.dropout = float(dropout)
        self.ema = ema.averages_of(self.discriminator.trainable_variables)

    def default_optimizers(self) -> dict[str, keras.optimizers.Optimizer]:
        # The reference's Adam(3e-4, beta_1=0.5) for both networks.
        return {
            "d_optimizer": keras.optimizers.Adam(3e-4, beta_1=0.5),
            "g_optimizer": keras.optimizers.Adam(3e-4, beta_1=0.5),
        }

    def per_replica_xla_blocker(self) -> str | None:
        return ("The semi-supervised losses and feature matching all-reduce batch means "
                "across replicas, which XLA cannot compile per replica")

    def batch_spec(self, range_check: bool = True):
        """`fit`'s batches: class ids in `[0, K)`, or -1 for an unlabelled image."""
        return dataclasses.replace(super().batch_spec(range_check), unlabelled=True)

    # ----------------------------------------------------------------- maths
    def discriminator_maths(self, images, labels, noise, fake_labels):
        """D's loss over labelled, unlabelled and generated images, and its gradients."""
        batch = tf.shape(images)[0]
        labelled = tf.cast(labels >= 0, tf.float32)
        share = tf.maximum(cross_replica.global_batch_mean(labelled), _TINY)
        class_ids = tf.maximum(labels, 0)
        fake = self.generator([noise, fake_labels], training=True)
        with tf.GradientTape() as tape:
            real_logits = tf.cast(self.discriminator(images, training=True)["logits"],
                                  tf.float32)
            fake_logits = tf.cast(self.discriminator(fake, training=True)["logits"], tf.float32)
            cross_entropy = losses.semi_supervised_labelled_loss(class_ids, real_logits)
            labelled_loss = self.average_loss(cross_entropy * labelled, batch) / share
            unlabelled_loss = self.average_loss(
                losses.semi_supervised_unlabelled_loss(real_logits, fake_logits), batch)
            loss = labelled_loss + self.unlabelled_weight * unlabelled_loss
        grads = self.gradients(tape, loss, self.discriminator, self.d_optimizer)
        correct = tf.cast(tf.equal(tf.argmax(real_logits, -1, output_type=tf.int32), labels),
                          tf.float32)
        terms = {"d_loss": loss, "labelled_loss": labelled_loss,
                 "unlabelled_loss": unlabelled_loss,
                 "accuracy": self.average_loss(correct * labelled, batch) / share}
        return terms, grads

    def generator_maths(self, images, noise, fake_labels):
        """G's feature-matching loss (global batch means) and its gradients."""
        num_replicas = self.distribute_strategy.num_replicas_in_sync
        real_features = tf.cast(self.discriminator(images, training=True)["features"],
                                tf.float32)
        real_mean = tf.stop_gradient(cross_replica.global_batch_mean(real_features))
        with tf.GradientTape() as tape:
            fake = self.generator([noise, fake_labels], training=True)
            fake_features = tf.cast(self.discriminator(fake, training=True)["features"],
                                    tf.float32)
            fake_mean = cross_replica.global_batch_mean(fake_features)
            # The same global value on every replica; its gradient is all-reduced back
            # to each replica's features, so each replica adds 1/R of it.
            loss = losses.squared_feature_matching_loss(real_mean, fake_mean) / num_replicas
        return loss, self.gradients(tape, loss, self.generator, self.g_optimizer)

    def train_step(self, data):
        images, labels = self.unpack_batch(data)
        batch = tf.shape(images)[0]
        noise = self.replica_noise(batch, draw=0)
        fake_labels = self.replica_random_labels(batch, draw=1)
        terms, grads = self.xla_maths(self.discriminator_maths)(images, labels, noise,
                                                                 fake_labels)
        self.apply_update(self.d_optimizer, grads, self.discriminator)
        self.update_ema()
        g_loss, g_grads = self.xla_maths(self.generator_maths)(
            images, self.replica_noise(batch, draw=2), self.replica_random_labels(batch, draw=3))
        self.apply_update(self.g_optimizer, g_grads, self.generator)
        return self.update_trackers({**terms, "g_loss": g_loss})

    # ----------------------------------------------------------------- classifier
    def classifier(self) -> keras.Model:
        """A `keras.Model` mapping images in [-1, 1] to K class logits, with EMA weights.

        A copy of the discriminator holding the EMA weights at the time of the call,
        in inference mode (no input noise, no dropout).

        Example:
        ```python
        logits = trainer.classifier().predict(test_images)
        ```
        """
        images = keras.Input(self.image_shape, name="images")
        logits = self.ema_discriminator()(images, training=False)["logits"]
        return keras.Model(images, logits, name="ssgan_classifier")

    def classifier_parts(self) -> tuple[keras.Model, keras.Model]:
        """The EMA classifier as a feature extractor E and a head C, for a SavedModel.

        E maps images in [-1, 1] to the discriminator's last feature maps, C maps them
        to K class logits (pooling and the logit layer); both hold the EMA weights at
        the time of the call, in inference mode. This is the split
        `tfgenaug.savedmodels.export_classifier` takes.

        Returns:
            `(extractor, head)`, two `keras.Model`s.

        Raises:
            ValueError: the discriminator is not `semi_supervised_discriminator`'s
                (it lacks the layers the split is made at).

        Example:
        ```python
        extractor, head = trainer.classifier_parts()
        tfgenaug.savedmodels.export_classifier(extractor, head, "exports/classifier")
        ```
        """
        copy = self.ema_discriminator()
        try:
            maps = copy.get_layer(_FEATURE_MAPS).output
            head_layers = [copy.get_layer(name) for name in _HEAD]
        except ValueError:
            raise ValueError(
                f"classifier_parts splits the default discriminator "
                f"(networks.semi_supervised_discriminator) at its layer {_FEATURE_MAPS!r}; "
                f"this discriminator has no layers {[_FEATURE_MAPS, *_HEAD]}") from None
        extractor = keras.Model(copy.input, maps, name="ssgan_extractor")
        feature_maps = keras.Input(tuple(maps.shape[1:]), name="feature_maps")
        x = feature_maps
        for layer in head_layers:
            x = layer(x, training=False) if layer.name == "logits" else layer(x)
        return extractor, keras.Model(feature_maps, x, name="ssgan_head")

    def get_config(self) -> dict:
        return {**super().get_config(), "unlabelled_weight": self.unlabelled_weight,
                "ema_decay": self.ema_decay, "width_multiplier": self.width_multiplier,
                "gaussian_noise": self.gaussian_noise, "dropout": self.dropout}

