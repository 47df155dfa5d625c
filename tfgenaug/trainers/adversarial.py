"""Adversarial-example training: FGSM and PGD against the model being trained.

A preprocessing layer cannot see the model's gradients, so this is a `keras.Model`
wrapper: its `train_step` perturbs a share of each batch against the current weights
(the gradient of the loss with respect to the inputs), keeps the labels, and then does
the usual supervised update with the compiled loss and metrics. `fgsm` and `pgd` are
pure functions usable on their own, e.g. to measure robustness.

References:
    - [Explaining and Harnessing Adversarial Examples (FGSM)](
      https://arxiv.org/abs/1412.6572).
    - [Towards Deep Learning Models Resistant to Adversarial Attacks (PGD)](
      https://arxiv.org/abs/1706.06083).
"""

import copy
import math
import numbers
from collections.abc import Callable
from collections.abc import Sequence

import keras
import tensorflow as tf
from keras import ops

from tfgenaug.data.value_range import check_value_range

METHODS = ("fgsm", "pgd")
NORMS = ("inf", "2")
MODES = ("append", "replace")
# Guards the division by a gradient's L2 norm.
_TINY = 1e-12

LossFn = Callable[[tf.Tensor, tf.Tensor], tf.Tensor]


# --------------------------------------------------------------------- argument checks
def check_norm(norm) -> str:
    """Returns `"inf"` or `"2"` for `norm` given as such a string, `2` or `math.inf`."""
    name = "inf" if norm == math.inf else str(norm)
    if name not in NORMS:
        raise ValueError(f"norm must be one of {NORMS} (or 2, math.inf); got {norm!r}")
    return name


def check_epsilon(epsilon) -> float:
    if (
        isinstance(epsilon, bool)
        or not isinstance(epsilon, numbers.Real)
        or not 0.0 <= float(epsilon) < math.inf
    ):
        raise ValueError(f"epsilon must be a finite number >= 0; got {epsilon!r}")
    return float(epsilon)


def check_steps(steps) -> int:
    if isinstance(steps, bool) or not isinstance(steps, numbers.Integral) or steps < 1:
        raise ValueError(f"steps must be an integer >= 1; got {steps!r}")
    return int(steps)


def check_step_size(step_size) -> float | None:
    if step_size is None:
        return None
    if (
        isinstance(step_size, bool)
        or not isinstance(step_size, numbers.Real)
        or not 0.0 < float(step_size) < math.inf
    ):
        raise ValueError(f"step_size must be None or a finite number > 0; got {step_size!r}")
    return float(step_size)


def _check_value_range(value_range) -> tuple[float, float] | None:
    return None if value_range is None else check_value_range(value_range)


# --------------------------------------------------------------------- the attacks
def _per_sample_shape(images) -> tuple:
    return (-1,) + (1,) * (len(images.shape) - 1)


def _l2_norm(values):
    axes = tuple(range(1, len(values.shape)))
    return ops.sqrt(ops.sum(ops.square(values), axis=axes, keepdims=True))


def _direction(gradient, norm: str):
    """The steepest-ascent step of unit `norm`: sign(g) for inf, g / |g|_2 for 2 (per sample)."""
    if norm == "inf":
        return ops.sign(gradient)
    return gradient / ops.maximum(_l2_norm(gradient), _TINY)


def _project(delta, epsilon: float, norm: str):
    """Projects each sample's perturbation onto the `norm` ball of radius `epsilon`."""
    if norm == "inf":
        return ops.clip(delta, -epsilon, epsilon)
    scale = ops.minimum(1.0, epsilon / ops.maximum(_l2_norm(delta), _TINY))
    return delta * scale


def _clip(images, value_range):
    if value_range is None:
        return images
    return ops.clip(images, value_range[0], value_range[1])


def input_gradient(model: Callable, images, labels, loss_fn: LossFn):
    """The gradient of the summed loss with respect to `images`.

    The model runs with `training=False` (no dropout, batch-norm moving statistics, not
    updated). Summing the per-sample losses makes each sample's gradient its own, whatever
    reduction `loss_fn` uses; a mean only scales them, which `fgsm` and `pgd` undo.
    """
    images = tf.convert_to_tensor(images)
    with tf.GradientTape() as tape:
        tape.watch(images)
        predictions = model(images, training=False)
        loss = ops.sum(loss_fn(labels, predictions))
    return tape.gradient(loss, images)


def fgsm(
    model: Callable,
    images,
    labels,
    epsilon: float,
    loss_fn: LossFn,
    norm: str = "inf",
    value_range: Sequence[float] | None = (-1, 1),
):
    """Fast gradient (sign) method: one step of size `epsilon` up the loss.

    `x_adv = clip(x + epsilon * d)` with `d = sign(g)` (`norm="inf"`) or
    `d = g / |g|_2` per sample (`norm="2"`), `g` the gradient of the loss with respect
    to `x`. Before clipping, `|x_adv - x| = epsilon` in that norm wherever `g != 0`.

    Args:
        model: a callable `model(images, training=False)` returning predictions, e.g. a
            `keras.Model`.
        images: float `(B, ...)` inputs.
        labels: what `loss_fn` takes as its first argument (class ids, one-hot, ...).
        epsilon: float >= 0. Size of the perturbation.
        loss_fn: `loss_fn(labels, predictions)` returning per-sample losses or their
            mean, e.g. `keras.losses.SparseCategoricalCrossentropy(from_logits=True)`.
        norm: `"inf"` or `"2"` (also `math.inf`, `2`). Defaults to `"inf"`.
        value_range: `(low, high)` the result is clipped to, or `None` for no clipping.
            Defaults to `(-1, 1)`, tfgenaug's model range.

    Returns:
        The adversarial images, same shape and dtype as `images`, without gradient.

    Raises:
        ValueError: naming `epsilon`, `norm` or `value_range` when invalid.

    Example:
    ```python
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    adversarial = fgsm(classifier, images, labels, epsilon=0.1, loss_fn=loss_fn)
    robust_accuracy = (classifier.predict(adversarial).argmax(-1) == labels).mean()
    ```
    """
    epsilon = check_epsilon(epsilon)
    norm = check_norm(norm)
    value_range = _check_value_range(value_range)
    images = tf.convert_to_tensor(images)
    gradient = input_gradient(model, images, labels, loss_fn)
    adversarial = images + ops.cast(epsilon, images.dtype) * _direction(gradient, norm)
    return ops.stop_gradient(_clip(adversarial, value_range))


def pgd(
    model: Callable,
    images,
    labels,
    epsilon: float,
    loss_fn: LossFn,
    norm: str = "inf",
    steps: int = 10,
    step_size: float | None = None,
    random_start: bool = True,
    value_range: Sequence[float] | None = (-1, 1),
    seed: int | keras.random.SeedGenerator | None = None,
):
    """Projected gradient descent (ascent on the loss) within an `epsilon` ball.

    Starts at `x` (or, with `random_start`, a random point of the ball: uniform in
    [-epsilon, epsilon] per value for `"inf"`, a random direction at a uniform radius
    for `"2"`), then `steps` times moves by `step_size` along the steepest-ascent
    direction of `norm` (as in `fgsm`), projects back onto the ball around `x` and clips
    to `value_range`. With `steps=1`, `step_size=epsilon` and no random start it is
    `fgsm`.

    Args:
        model: a callable `model(images, training=False)` returning predictions.
        images: float `(B, ...)` inputs.
        labels: what `loss_fn` takes as its first argument.
        epsilon: float >= 0. Radius of the ball.
        loss_fn: `loss_fn(labels, predictions)` returning per-sample losses or their mean.
        norm: `"inf"` or `"2"` (also `math.inf`, `2`). Defaults to `"inf"`.
        steps: int >= 1. Number of gradient steps. Defaults to 10.
        step_size: float > 0 or `None` for `2.5 * epsilon / steps` (Madry et al.).
            Defaults to `None`.
        random_start: bool. Start at a random point of the ball. Defaults to `True`.
        value_range: `(low, high)` every iterate is clipped to, or `None`. Defaults to
            `(-1, 1)`.
        seed: int, `keras.random.SeedGenerator` or `None`; seed of the random start.
            Defaults to `None`.

    Returns:
        The adversarial images, same shape and dtype as `images`, without gradient; each
        within `epsilon` of its input in `norm`.

    Raises:
        ValueError: naming `epsilon`, `norm`, `steps`, `step_size` or `value_range`.

    Example:
    ```python
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    adversarial = pgd(classifier, images, labels, epsilon=0.1, loss_fn=loss_fn, steps=20,
                      seed=0)
    ```
    """
    epsilon = check_epsilon(epsilon)
    norm = check_norm(norm)
    steps = check_steps(steps)
    step_size = check_step_size(step_size)
    value_range = _check_value_range(value_range)
    if step_size is None:
        step_size = 2.5 * epsilon / steps
    images = ops.stop_gradient(tf.convert_to_tensor(images))
    dtype = images.dtype
    epsilon_t, step_t = ops.cast(epsilon, dtype), ops.cast(step_size, dtype)
    adversarial = images
    if random_start and epsilon > 0:
        shape = ops.shape(images)
        if norm == "inf":
            delta = keras.random.uniform(shape, -epsilon, epsilon, dtype=dtype, seed=seed)
        else:
            direction = _direction(keras.random.normal(shape, dtype=dtype, seed=seed), "2")
            radius = keras.random.uniform((shape[0],), 0.0, epsilon, dtype=dtype, seed=seed)
            delta = direction * ops.reshape(radius, _per_sample_shape(images))
        adversarial = _clip(images + delta, value_range)

    def step(_, adversarial):
        gradient = input_gradient(model, adversarial, labels, loss_fn)
        moved = adversarial + step_t * _direction(gradient, norm)
        return _clip(images + _project(moved - images, epsilon_t, norm), value_range)

    adversarial = ops.fori_loop(0, steps, step, adversarial)
    return ops.stop_gradient(adversarial)


# --------------------------------------------------------------------- the trainer
@keras.saving.register_keras_serializable(package="tfgenaug")
class AdversarialTrainer(keras.Model):
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
        super().__init__(**kwargs)
        if method not in METHODS:
            raise ValueError(f"method must be one of {METHODS}; got {method!r}")
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}; got {mode!r}")
        if (
            isinstance(rate, bool)
            or not isinstance(rate, numbers.Real)
            or not 0.0 <= float(rate) <= 1.0
        ):
            raise ValueError(f"rate must be a number in [0, 1]; got {rate!r}")
        if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
            raise ValueError(f"seed must be an int; got {seed!r}")
        self.classifier = classifier
        self.method = method
        self.epsilon = check_epsilon(epsilon)
        self.steps = check_steps(steps)
        self.step_size = check_step_size(step_size)
        self.norm = check_norm(norm)
        self.rate = float(rate)
        self.mode = mode
        self.value_range = _check_value_range(value_range)
        self.random_start = bool(random_start)
        self.seed = int(seed)
        self.seed_generator = keras.random.SeedGenerator(self.seed)

    def call(self, inputs, training=None):
        return self.classifier(inputs, training=training)

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
        self.optimizer.apply_gradients(zip(gradients, trainable, strict=True))
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
