"""Adversarial-example training: FGSM and PGD against the model being trained.

A preprocessing layer cannot see the model's gradients, so this is a `keras.Model`
wrapper: its `train_step` perturbs a share of each batch against the current weights
(the gradient of the loss with respect to the inputs), keeps the labels, and then does
the usual supervised update with the compiled loss and metrics. The attacks themselves
are `tfgenaug.trainers.attacks.fgsm` / `pgd`.
"""

import copy
import math
from collections.abc import Sequence

import keras
import tensorflow as tf

from tfgenaug.data import batch_checks
from tfgenaug.data.value_range import range_text
from tfgenaug.trainers import compile_path
from tfgenaug.trainers.attacks import METHODS
from tfgenaug.trainers.attacks import check_clip_range
from tfgenaug.trainers.attacks import check_epsilon
from tfgenaug.trainers.attacks import check_norm
from tfgenaug.trainers.attacks import check_step_size
from tfgenaug.trainers.attacks import fgsm
from tfgenaug.trainers.attacks import pgd
from tfgenaug.trainers.core import Trainer
from tfgenaug.validation import check_int
from tfgenaug.validation import check_number

MODES = ("append", "replace")


# --------------------------------------------------------------------- the trainer
@keras.saving.register_keras_serializable(package="tfgenaug")
class AdversarialTrainer(Trainer):
    """Trains a classifier on batches in which a share is replaced by, or extended with,
    adversarial examples made against the classifier's current weights.

    Each `train_step` picks `round(rate * batch_size)` random rows of the batch (halves
    rounded up), perturbs them with FGSM or PGD using the gradient of the *compiled
    loss* with respect to the images (the classifier runs with `training=False` for
    the attack), and either puts the adversarial rows in place of the originals
    (`mode="replace"`) or after the batch (`mode="append"`, the batch grows by that
    share), with the same labels and sample weights. Then it does the usual update
    with the compiled loss, optimizer and metrics. `call` delegates to the classifier,
    so `evaluate()` and `predict()` see clean data.

    **Note:** `compile(jit_compile=True)` compiles the whole step with XLA (tested on
    CPU). The classifier is expected to have one output and a compiled loss that takes
    the labels as they come (e.g. sparse cross-entropy on logits); distribution
    strategies are not tested.

    Args:
        classifier: a `keras.Model` mapping images to predictions (e.g. logits).
        method: `"fgsm"` or `"pgd"`. Defaults to `"fgsm"`.
        epsilon: float >= 0. Size (FGSM) or ball radius (PGD) of the perturbation, in the
            units of the images. Defaults to `8 / 255 * 2`, 8 grey levels in [-1, 1].
        steps: int >= 1. PGD steps (unused by FGSM). Defaults to 7.
        step_size: float > 0 or `None` for `2.5 * epsilon / steps`. PGD only.
            Defaults to `None`.
        norm: `"inf"` or `"2"`. Defaults to `"inf"`.
        rate: float in [0, 1]. Share of each batch that is attacked. Defaults to `0.5`.
        mode: `"append"` or `"replace"`. Defaults to `"append"`.
        value_range: `(low, high)` the adversarial images are clipped to, or `None`.
            Defaults to `(-1, 1)`, tfgenaug's model range.
        random_start: bool. PGD starts at a random point of the ball. Defaults to `True`.
        seed: int. Seed of the rows chosen and of PGD's random start. Defaults to 0.
        **kwargs: passed to `keras.Model` (e.g. `name`).

    Example:
    ```python
    classifier = tfgenaug.networks.small_cnn((16, 16, 1), num_classes=10)
    model = AdversarialTrainer(classifier, method="pgd", epsilon=0.1, steps=5, rate=0.5)
    model.compile(optimizer="adam",
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"], jit_compile=True)
    model.fit(train_ds, epochs=10)
    model.evaluate(test_ds)  # clean accuracy; the classifier itself is trained in place
    ```
    """

    def __init__(
        self,
        classifier: keras.Model,
        method: str = "fgsm",
        epsilon: float = 8 / 255 * 2,
        steps: int = 7,
        step_size: float | None = None,
        norm: str = "inf",
        rate: float = 0.5,
        mode: str = "append",
        value_range: Sequence[float] | None = (-1, 1),
        random_start: bool = True,
        seed: int = 0,
        **kwargs,
    ):
        super().__init__(seed=seed, **kwargs)
        if method not in METHODS:
            raise ValueError(f"method must be one of {METHODS}; got {method!r}")
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}; got {mode!r}")
        check_number(rate, "rate", minimum=0, maximum=1)
        self.classifier = classifier
        self.method = method
        self.epsilon = check_epsilon(epsilon)
        self.steps = check_int(steps, "steps", minimum=1)
        self.step_size = check_step_size(step_size)
        self.norm = check_norm(norm)
        self.rate = float(rate)
        self.mode = mode
        self.value_range = check_clip_range(value_range)
        self.random_start = bool(random_start)
        self.seed_generator = keras.random.SeedGenerator(self.seed)

    step_optimizer = "optimizer"
    uses_sample_weights = True  # Keras' compiled loss weights the rows (appended ones too)

    def networks(self) -> tuple[keras.Model, ...]:
        return (self.classifier,)

    def default_optimizers(self) -> dict:
        return {"optimizer": "rmsprop"}  # Keras' own default

    def compile(self, *, optimizer="rmsprop", jit_compile="auto", **kwargs) -> None:
        """Configures the model for `fit()`, as `keras.Model.compile` with keyword arguments.

        Args:
            optimizer: the classifier's optimizer (a name or an instance). Defaults to
                `"rmsprop"`, as Keras.
            jit_compile: `True`, `False` or `"auto"`: Keras' choice, as for any Keras
                classifier (XLA on an accelerator without a strategy, none on a CPU), not
                the GAN trainers' timing probe. Defaults to `"auto"`.
            **kwargs: `loss`, `metrics` and the rest of `keras.Model.compile`.
        """
        if compile_path.check_jit_compile(jit_compile) == compile_path.AUTO:
            jit_compile = self._resolve_auto_jit_compile()  # Keras' own rule
        self.compile_trainer({"optimizer": optimizer}, jit_compile=jit_compile, **kwargs)

    def call(self, inputs, training=None):
        return self.classifier(inputs, training=training)

    # ----------------------------------------------------------------- batches
    def batch_spec(self, range_check: bool = True) -> batch_checks.BatchSpec:
        """What `fit` takes: `(images, labels)` with images in `value_range`.

        Labels may be class ids, one-hot rows or anything numeric the compiled loss
        takes; images of any size.
        """
        return self.fit_spec(
            range_check,
            labels=batch_checks.TARGETS,
            value_range=self.value_range,
            range_name=(None if self.value_range is None else
                        f"value_range={range_text(self.value_range)} (the attack clip range)"),
            range_fix="pass the range your images use as value_range",
        )

    def checked_batch(self, batch, spec: batch_checks.BatchSpec):
        """`(x, y[, sample_weight])` with `x` and `y` checked (see `batch_spec`)."""
        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(batch)
        if not (tf.is_tensor(x) or hasattr(x, "shape")):
            return batch
        batch_checks.check_static(spec, x, y)
        x, y = batch_checks.checked(spec, x, y)
        return keras.utils.pack_x_y_sample_weight(x, y, sample_weight)

    # ----------------------------------------------------------------- attack
    def attack_loss(self, labels, predictions):
        """The compiled loss, the objective the attack ascends."""
        return self.compute_loss(y=labels, y_pred=predictions, training=False)

    def perturb(self, images, labels):
        """Adversarial versions of `images` (all rows) against the current weights."""
        if self.method == "fgsm":
            return fgsm(self.classifier, images, labels, self.epsilon, self.attack_loss,
                        norm=self.norm, value_range=self.value_range)
        return pgd(self.classifier, images, labels, self.epsilon, self.attack_loss,
                   norm=self.norm, steps=self.steps, step_size=self.step_size,
                   random_start=self.random_start, value_range=self.value_range,
                   seed=self.seed_generator)

    def num_adversarial(self, batch_size):
        """`round(rate * batch_size)`, halves up: a Python int for a static batch size."""
        if isinstance(batch_size, int):
            return int(math.floor(self.rate * batch_size + 0.5))
        scaled = tf.cast(batch_size, tf.float64) * self.rate + 0.5
        return tf.cast(tf.floor(scaled), tf.int32)

    def adversarial_batch(self, images, labels, sample_weight=None):
        """The batch `train_step` trains on: `rate` of its rows attacked, replaced or appended.

        Returns:
            `(images, labels, sample_weight)`; in append mode the adversarial rows come
            after the `B` original rows (`B + round(rate * B)` rows in all).
        """
        images = tf.convert_to_tensor(images)
        labels = tf.convert_to_tensor(labels)
        batch_size = tf.shape(images)[0]
        count = self.num_adversarial(batch_size)
        keys = keras.random.uniform((batch_size,), seed=self.seed_generator)
        rows = tf.argsort(keys)[:count]
        chosen_labels = tf.gather(labels, rows)
        adversarial = self.perturb(tf.gather(images, rows), chosen_labels)
        if self.mode == "replace":
            indices = rows[:, None]
            return (
                tf.tensor_scatter_nd_update(images, indices, adversarial),
                labels,
                sample_weight,
            )
        if sample_weight is not None:
            sample_weight = tf.concat([sample_weight, tf.gather(sample_weight, rows)], axis=0)
        return (
            tf.concat([images, adversarial], axis=0),
            tf.concat([labels, chosen_labels], axis=0),
            sample_weight,
        )

    # ----------------------------------------------------------------- training
    def train_step(self, data):
        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        x, y, sample_weight = self.adversarial_batch(x, y, sample_weight)
        with tf.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compute_loss(
                x=x, y=y, y_pred=y_pred, sample_weight=sample_weight, training=True
            )
            scaled_loss = self.optimizer.scale_loss(loss)
        trainable = self.trainable_weights
        gradients = tape.gradient(scaled_loss, trainable)
        self.apply_update(self.optimizer, gradients, trainable)
        replicas = tf.distribute.get_strategy().num_replicas_in_sync
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss * replicas, sample_weight=tf.shape(x)[0])
        return self.compute_metrics(x, y, y_pred, sample_weight=sample_weight)

    # ----------------------------------------------------------------- config
    def get_config(self) -> dict:
        config = {
            "classifier": keras.saving.serialize_keras_object(self.classifier),
            "method": self.method,
            "epsilon": self.epsilon,
            "steps": self.steps,
            "step_size": self.step_size,
            "norm": self.norm,
            "rate": self.rate,
            "mode": self.mode,
            "value_range": None if self.value_range is None else list(self.value_range),
            "random_start": self.random_start,
            "seed": self.seed,
        }
        base_config = super().get_config()
        return {**base_config, **config}

    @classmethod
    def from_config(cls, config: dict):
        config = dict(config)
        config["classifier"] = keras.saving.deserialize_keras_object(
            copy.deepcopy(config["classifier"])
        )
        return cls(**config)
