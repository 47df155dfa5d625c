"""FGSM and PGD: adversarial examples against a model's current weights.

Pure functions, usable on their own (e.g. to measure robustness) and by
`tfgenaug.trainers.AdversarialTrainer`, which trains on them.

References:
    - [Explaining and Harnessing Adversarial Examples (FGSM)](
      https://arxiv.org/abs/1412.6572).
    - [Towards Deep Learning Models Resistant to Adversarial Attacks (PGD)](
      https://arxiv.org/abs/1706.06083).
"""

import math
import numbers
from collections.abc import Callable
from collections.abc import Sequence

import keras
import tensorflow as tf
from keras import ops

from tfgenaug.data.value_range import check_value_range
from tfgenaug.validation import check_int

METHODS = ("fgsm", "pgd")
NORMS = ("inf", "2")
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


def check_clip_range(value_range) -> tuple[float, float] | None:
    """`None`, or `value_range` checked as a `(low, high)` pair the attacks clip to."""
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
    value_range = check_clip_range(value_range)
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
    steps = check_int(steps, "steps", minimum=1)
    step_size = check_step_size(step_size)
    value_range = check_clip_range(value_range)
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
