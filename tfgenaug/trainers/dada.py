"""DADA (Zhang et al. 2018): a 2K-class GAN whose discriminator becomes the classifier.

Stage 1 (the first `gan_steps` train steps) trains a conditional GAN whose
discriminator has a real and a fake logit per class; stage 2 freezes the generator
and trains the discriminator as a K-way classifier on real images and generated
images of random classes, 1:1 in each batch. An exponential moving average (EMA) of
the discriminator's weights is the classifier that is evaluated.

How the stage switch compiles: each stage is its own train function, built once by
`make_train_function`; a small Python dispatcher reads the step counter (the
discriminator optimizer's `iterations`, which both stages advance by one per step)
before each call and runs the function of the current stage. The counter is a
checkpointed variable, so a resumed run continues in the right stage, and each
compiled function has a fixed graph (no `tf.cond` around optimizer updates, which
neither XLA nor `MirroredStrategy`'s merge calls would accept).
- Stage 1 compiles the whole step with XLA on one device. Under a multi-replica
  strategy it runs without XLA: the generator's batch norm is synchronized and
  feature matching all-reduces the features' batch means, and neither cross-replica
  call compiles per replica.
- Stage 2 compiles its maths (generator inference, discriminator losses and
  gradients) with XLA on one device and per replica alike; the gradients are applied
  outside, and so is the optional classic augmentation, whose image warp has no XLA
  kernel.
"""

import dataclasses
from collections.abc import Sequence

import keras
import tensorflow as tf

from tfgenaug.trainers import cross_replica
from tfgenaug.trainers import dada_augment
from tfgenaug.trainers import dada_heads
from tfgenaug.trainers import ema
from tfgenaug.trainers.base import ConditionalGANTrainer
from tfgenaug.trainers.core import compiled_per_replica
from tfgenaug.trainers.ema_classifier import EMAClassifierMixin
from tfgenaug.trainers.ema_classifier import check_ema_decay
from tfgenaug.trainers.ema_classifier import weight_norm_networks
from tfgenaug.trainers.registry import register
from tfgenaug.validation import check_number
from tfgenaug.validation import check_positive_int

GAN_STAGE = 1
CLASSIFIER_STAGE = 2


@register("dada")
@keras.saving.register_keras_serializable(package="tfgenaug")
class DADA(EMAClassifierMixin, ConditionalGANTrainer):
    """Deep Adversarial Data Augmentation: a GAN stage, then D trained as a classifier.

    One train step is one discriminator update. In stage 1 (steps `0..gan_steps-1`)
    D minimises the source head's cross-entropy, "real" on real images of class `y`
    and "fake" on `G(z, y')` with random classes `y'`; then `generator_steps`
    generator updates minimise the source head's cross-entropy toward "real" on
    `G(z, y)` with the batch's classes plus `feature_matching_weight` times the L1
    distance of the batch means of D's pooled features on real and generated images.
    In stage 2, G is frozen and D minimises the class head's cross-entropy on the
    real batch plus that on as many generated images of random classes. After every
    D update `t` (counted from 1), `ema = d * ema + (1 - d) * weights` with
    `d = min(ema_decay, (1 + t) / (10 + t))`, the warm-up of
    `tf.train.ExponentialMovingAverage(num_updates=t)`.

    The noise is U[0, 1) as in the reference. Call `initialize(images)` once before
    training for the reference's data-dependent weight-norm initialisation of D.

    References:
        - Zhang et al., [DADA: Deep Adversarial Data Augmentation for Extremely Low
          Data Regime Classification](https://arxiv.org/abs/1809.00981); reference
          code SchafferZhang/DADA.

    Args:
        image_shape: `(size, size, channels)`. Needed unless both networks are given.
        num_classes: int. Number of classes K.
        noise_dim: int. Size of the noise vector. Defaults to 100.
        gan_steps: int. Train steps of stage 1; later steps are stage 2. Defaults to
            200 (the reference's 200 GAN epochs at one batch per epoch).
        generator_steps: int. Generator updates per discriminator update in stage 1.
            Defaults to 2.
        feature_matching_weight: float. Weight of the L1 feature-matching term of
            G's loss. Defaults to 0.5.
        ema_decay: float in [0, 1). Largest decay of the EMA of D's weights. Defaults
            to 0.999 (the reference's `avg + 0.001 * (p - avg)`). The warm-up matters
            here: with one batch per epoch the reference's 700 epochs are 700 steps,
            and a fixed 0.999 would leave 0.999^500 = 61 % of the weights at the end of
            the GAN stage in the classifier (measured on digits, n = 10: test accuracy
            0.62 with a fixed decay against 0.90 for the raw D).
        width_multiplier: float. Multiplies the widths of the default networks.
            Defaults to 1.
        aug: bool. Classic augmentation of the real images in stage 2: rotation by
            up to `rotation_degrees`, shifts by up to `translation` of the side.
            Defaults to `False`.
        aug_flip: bool. With `aug`, also flip half the real images horizontally
            (for natural images, not digits). Defaults to `False`.
        rotation_degrees: float. Largest rotation of `aug`. Defaults to 20.
        translation: float. Largest shift of `aug`, as a fraction of the side.
            Defaults to 0.1.
        gaussian_noise: float. Input noise of the default discriminator. Defaults
            to 0.2.
        dropout: float. Dropout rate of the default discriminator. Defaults to 0.5.
        semi_supervised: bool. Accept unlabelled images in the batches (label -1,
            `tfgenaug.data.UNLABELLED`; e.g. `tfgenaug.data.semi_supervised_batches`),
            an extension beyond the paper: in stage 1 an unlabelled image's real term
            is `dada_heads.unlabelled_source_loss` (the K real logits' log-sum-exp
            against the K fake ones), the generator draws random classes in its place
            and feature matching uses every real image; in stage 2 only labelled
            images enter the class loss (its mean over the labelled images of the
            global batch). Without it, -1 is refused. Defaults to `False`.
        generator: optional generator `keras.Model` (`[noise, labels] -> images`).
        discriminator: optional `keras.Model` from images to `{"logits": (N, 2K),
            "features": (N, F)}`.
        seed: int. Seed of the training randomness. Defaults to 0.
        **kwargs: passed to `ConditionalGANTrainer`.

    Example:
    ```python
    train, test, info = tfgenaug.data.load("digits", image_size=16)
    train = tfgenaug.data.few_shot(train, 10)
    trainer = DADA(info.image_shape, info.num_classes, gan_steps=200, width_multiplier=0.25)
    trainer.compile()
    trainer.fit(train.repeat().batch(100), steps_per_epoch=100, epochs=7)
    predictions = trainer.classify(test_images)
    ```
    """

    metric_names = ("d_loss", "g_loss", "stage", "accuracy")

    def __init__(
        self,
        image_shape: Sequence[int] | None = None,
        num_classes: int = 10,
        noise_dim: int = 100,
        gan_steps: int = 200,
        generator_steps: int = 2,
        feature_matching_weight: float = 0.5,
        ema_decay: float = 0.999,
        width_multiplier: float = 1.0,
        aug: bool = False,
        aug_flip: bool = False,
        rotation_degrees: float = 20.0,
        translation: float = 0.1,
        gaussian_noise: float = 0.2,
        dropout: float = 0.5,
        semi_supervised: bool = False,
        generator: keras.Model | None = None,
        discriminator: keras.Model | None = None,
        seed: int = 0,
        **kwargs,
    ):
        if isinstance(gan_steps, bool) or not isinstance(gan_steps, int) or gan_steps < 0:
            raise ValueError(f"gan_steps must be an integer >= 0; got {gan_steps!r}")
        check_positive_int(generator_steps, "generator_steps")
        check_number(feature_matching_weight, "feature_matching_weight", minimum=0)
        ema_decay = check_ema_decay(ema_decay)
        if not 0.0 <= rotation_degrees <= 180.0:
            raise ValueError(f"rotation_degrees must be in [0, 180]; got {rotation_degrees}")
        if not 0.0 <= translation < 1.0:
            raise ValueError(f"translation must be in [0, 1); got {translation}")
        if aug_flip and not aug:
            raise ValueError("aug_flip=True flips as part of aug's augmentation, which is off: "
                             "pass aug=True too (or leave aug_flip out)")
        generator, discriminator = weight_norm_networks(
            image_shape, num_classes, noise_dim, width_multiplier, gaussian_noise, dropout,
            generator, discriminator, logits_per_class=2)
        kwargs.setdefault("noise_distribution", "uniform")
        super().__init__(generator, discriminator, num_classes, noise_dim, seed=seed, **kwargs)
        self.gan_steps = gan_steps
        self.generator_steps = generator_steps
        self.feature_matching_weight = float(feature_matching_weight)
        self.ema_decay = ema_decay
        self.width_multiplier = float(width_multiplier)
        self.aug = bool(aug)
        self.aug_flip = bool(aug_flip)
        self.rotation_degrees = float(rotation_degrees)
        self.translation = float(translation)
        self.gaussian_noise = float(gaussian_noise)
        self.dropout = float(dropout)
        self.semi_supervised = bool(semi_supervised)
        # The EMA copies only D's trainable weights, as the reference does.
        self.ema = ema.averages_of(self.discriminator.trainable_variables)

    # ----------------------------------------------------------------- compile
    step_optimizer = "d_optimizer"  # one discriminator update per step, in both stages

    def default_optimizers(self) -> dict[str, keras.optimizers.Optimizer]:
        return {
            "d_optimizer": keras.optimizers.Adam(3e-4, beta_1=0.5),
            "g_optimizer": keras.optimizers.Adam(3e-4, beta_1=0.5),
        }

    def per_replica_xla_blocker(self) -> str | None:
        """Stage 1's feature matching all-reduces batch means, which XLA cannot compile
        per replica. With `jit_compile=True`, stage 1 compiles its whole step on one device
        and stage 2 its maths on every device (see the module docstring)."""
        if self.feature_matching_weight:
            return ("Feature matching (stage 1) all-reduces batch means across replicas, "
                    "which XLA cannot compile per replica")
        if self.semi_supervised:
            return ("semi_supervised losses all-reduce the labelled share of the batch, "
                    "which XLA cannot compile per replica")
        return super().per_replica_xla_blocker()

    def batch_spec(self, range_check: bool = True):
        """`fit`'s batches: class ids in `[0, K)`; with `semi_supervised`, or -1."""
        spec = super().batch_spec(range_check)
        return dataclasses.replace(spec, unlabelled=True) if self.semi_supervised else spec

    def _labelled(self, labels):
        """1.0 for labelled images, the labelled share of the global batch, the ids."""
        labelled = tf.cast(labels >= 0, tf.float32)
        if not self.semi_supervised:
            return labelled, tf.constant(1.0), labels
        share = tf.maximum(cross_replica.global_batch_mean(labelled), 1e-8)
        return labelled, share, tf.maximum(labels, 0)

    # ----------------------------------------------------------------- stages
    @property
    def stage(self) -> int:
        """The stage the next train step is in: 1 (GAN) or 2 (classifier)."""
        return GAN_STAGE if self.train_steps < self.gan_steps else CLASSIFIER_STAGE

    def train_stages(self) -> dict:
        return {"gan": self.gan_train_step, "classifier": self.classifier_train_step}

    def current_stage(self) -> str:
        """Read before each execution: with `steps_per_execution > 1` the switch can come
        up to `steps_per_execution - 1` steps late."""
        return "gan" if self.stage == GAN_STAGE else "classifier"

    def stage_compiles_whole(self, stage: str) -> bool:
        # Stage 2 compiles its maths only: its classic augmentation has no XLA kernel.
        return stage == "gan"

    # ----------------------------------------------------------------- randomness
    def _noise(self, step, local_batch, draw: int) -> tf.Tensor:
        return self.replica_uniforms(local_batch, self.noise_dim, draw, step)

    def _random_labels(self, step, local_batch, draw: int) -> tf.Tensor:
        return self.replica_random_labels(local_batch, draw, step)

    # ----------------------------------------------------------------- stage 1
    def discriminator_gan_maths(self, images, labels, noise, fake_labels):
        """Stage-1 discriminator loss (source head), batch accuracy and gradients."""
        batch = tf.shape(images)[0]
        k = self.num_classes
        labelled, share, class_ids = self._labelled(labels)
        fake = self.generator([noise, fake_labels], training=True)
        with tf.GradientTape() as tape:
            real_logits = self.discriminator(images, training=True)["logits"]
            fake_logits = self.discriminator(fake, training=True)["logits"]
            per_example = dada_heads.source_loss(real_logits, class_ids, k, real=True)
            if self.semi_supervised:
                unknown = dada_heads.unlabelled_source_loss(real_logits, k)
                per_example = labelled * per_example + (1.0 - labelled) * unknown
            per_example += dada_heads.source_loss(fake_logits, fake_labels, k, real=False)
            loss = self.average_loss(per_example, batch)
        grads = self.gradients(tape, loss, self.discriminator, self.d_optimizer)
        correct = dada_heads.class_correct(real_logits, class_ids, k) * labelled
        return {"d_loss": loss, "accuracy": self.average_loss(correct, batch) / share}, grads

    def generator_maths(self, images, labels, noise):
        """Stage-1 generator loss (source head toward "real" + feature matching)."""
        batch = tf.shape(labels)[0]
        num_replicas = self.distribute_strategy.num_replicas_in_sync
        real_features = self.discriminator(images, training=True)["features"]
        real_features = tf.cast(real_features, tf.float32)
        real_mean = tf.stop_gradient(cross_replica.global_batch_mean(real_features))
        with tf.GradientTape() as tape:
            fake = self.generator([noise, labels], training=True)
            outputs = self.discriminator(fake, training=True)
            per_example = dada_heads.source_loss(
                outputs["logits"], labels, self.num_classes, real=True
            )
            loss = self.average_loss(per_example, batch)
            if self.feature_matching_weight:
                fake_features = tf.cast(outputs["features"], tf.float32)
                fake_mean = cross_replica.global_batch_mean(fake_features)
                # The same global value on every replica; its gradient is all-reduced
                # back to each replica's features, so each replica adds 1/R of it.
                matching = dada_heads.feature_matching_loss(real_mean, fake_mean)
                loss += self.feature_matching_weight * matching / num_replicas
        return loss, self.gradients(tape, loss, self.generator, self.g_optimizer)

    def gan_train_step(self, data):
        """Stage 1: one discriminator update, then `generator_steps` generator updates."""
        images, labels = self.unpack_batch(data)
        batch = tf.shape(images)[0]
        step = self.step_counter()
        noise = self._noise(step, batch, draw=0)
        fake_labels = self._random_labels(step, batch, draw=1)
        terms, grads = self.xla_maths(self.discriminator_gan_maths)(
            images, labels, noise, fake_labels
        )
        self.apply_update(self.d_optimizer, grads, self.discriminator)
        self.update_ema()
        generator_maths = self.xla_maths(self.generator_maths)
        if self.semi_supervised:  # G makes images of random classes for unlabelled rows
            labels = tf.where(labels >= 0, labels, fake_labels)
        for i in range(self.generator_steps):
            g_loss, g_grads = generator_maths(images, labels, self._noise(step, batch, 2 + i))
            self.apply_update(self.g_optimizer, g_grads, self.generator)
        return self.update_trackers(
            {**terms, "g_loss": g_loss, "stage": self.replica_share(GAN_STAGE)}
        )

    # ----------------------------------------------------------------- stage 2
    def classifier_maths(self, images, labels, noise, fake_labels):
        """Stage-2 discriminator loss (class head on real + generated) and gradients."""
        batch = tf.shape(images)[0]
        k = self.num_classes
        labelled, share, class_ids = self._labelled(labels)
        fake = self.generator([noise, fake_labels], training=False)
        with tf.GradientTape() as tape:
            real_logits = self.discriminator(images, training=True)["logits"]
            fake_logits = self.discriminator(fake, training=True)["logits"]
            real_loss = dada_heads.class_loss(real_logits, class_ids, k) * labelled
            loss = (self.average_loss(real_loss, batch) / share
                    + self.average_loss(dada_heads.class_loss(fake_logits, fake_labels, k),
                                        batch))
        grads = self.gradients(tape, loss, self.discriminator, self.d_optimizer)
        correct = dada_heads.class_correct(real_logits, class_ids, k) * labelled
        return {"d_loss": loss, "accuracy": self.average_loss(correct, batch) / share}, grads

    def classifier_stage_maths(self):
        """`classifier_maths`, compiled with XLA whenever asked (on one device too)."""
        multi_replica = self.distribute_strategy.num_replicas_in_sync > 1
        return compiled_per_replica(self.classifier_maths, self._compiled_cache,
                                    self.jit_requested and not (
                                        self.semi_supervised and multi_replica))

    def classic_augment(self, images: tf.Tensor, step: tf.Tensor) -> tf.Tensor:
        """Random rotation, shift (and flip) of real images, keyed by the step.

        One affine warp (`keras.ops.image.affine_transform`, nearest fill as the
        reference's `ImageDataGenerator`) per image; the parameters are drawn for
        the global batch and sliced per replica.
        """
        u = self.replica_uniforms(tf.shape(images)[0], 4, draw=8, step=step)
        return dada_augment.random_warp(images, u, self.rotation_degrees, self.translation,
                                        self.aug_flip, self.image_shape)

    def classifier_train_step(self, data):
        """Stage 2: one discriminator update as a classifier; G stays frozen."""
        images, labels = self.unpack_batch(data)
        batch = tf.shape(images)[0]
        step = self.step_counter()
        noise = self._noise(step, batch, draw=0)
        fake_labels = self._random_labels(step, batch, draw=1)
        if self.aug:
            images = self.classic_augment(images, step)
        terms, grads = self.classifier_stage_maths()(images, labels, noise, fake_labels)
        self.apply_update(self.d_optimizer, grads, self.discriminator)
        self.update_ema()
        return self.update_trackers({**terms, "stage": self.replica_share(CLASSIFIER_STAGE)})

    # ----------------------------------------------------------------- classifier
    def classifier(self) -> keras.Model:
        """A `keras.Model` mapping images in [-1, 1] to K class logits, with EMA weights.

        The model is a copy of the discriminator holding the EMA weights at the time
        of the call, followed by the class head (`l_r,k + l_f,k`); it runs in
        inference mode (no input noise, no dropout).

        Example:
        ```python
        logits = trainer.classifier().predict(test_images)
        ```
        """
        images = keras.Input(self.image_shape, name="images")
        logits = self.ema_discriminator()(images, training=False)["logits"]
        class_logits = dada_heads.ClassHead(self.num_classes, name="class_logits")(logits)
        return keras.Model(images, class_logits, name="dada_classifier")

    # ----------------------------------------------------------------- config
    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "gan_steps": self.gan_steps,
            "generator_steps": self.generator_steps,
            "feature_matching_weight": self.feature_matching_weight,
            "ema_decay": self.ema_decay,
            "width_multiplier": self.width_multiplier,
            "aug": self.aug,
            "aug_flip": self.aug_flip,
            "rotation_degrees": self.rotation_degrees,
            "translation": self.translation,
            "gaussian_noise": self.gaussian_noise,
            "dropout": self.dropout,
            "semi_supervised": self.semi_supervised,
        }
