"""Deep Taylor decomposition (Montavon et al. 2017) of a ReLU classifier's logit.

The target logit is redistributed backwards, layer by layer, onto the input pixels:

- hidden Dense / Conv2D layers, the z+ rule:
  `R_i = sum_j  z_ij+ / sum_i' z_i'j+  * R_j` with `z_ij+ = max(0, a_i w_ij)`. For the
  non-negative activations that follow a ReLU this is `a_i w_ij+` (the z+ rule of the
  paper); for signed activations it is the alpha=1, beta=0 rule. Biases are ignored.
- the first Dense / Conv2D layer (on the pixels), the bounded z^B rule for pixels in
  `[l, h]`: `z_ij = x_i w_ij - l w_ij+ - h w_ij-`, redistributed the same way.
- ReLU: relevance passes unchanged. Max-pooling (also global): all of an output's
  relevance goes to the input that won the max. Average pooling (also global): z+ with
  the pooling's positive weights, in proportion to the (positive) inputs. Flatten:
  reshaped. Dropout: identity. BatchNormalization: folded into the Dense / Conv2D before
  it (see `tfgenaug.explain.chain`).

References:
    - Montavon, Lapuschkin, Binder, Samek, Müller, [Explaining nonlinear classification
      decisions with deep Taylor decomposition](
      https://doi.org/10.1016/j.patcog.2016.11.008), Pattern Recognition 65, 2017.
    - The z+ and bounded rules of [iNNvestigate](https://github.com/albermax/innvestigate).
"""

from collections.abc import Sequence

import keras
import numpy as np
import tensorflow as tf

from tfgenaug.data.value_range import check_value_range
from tfgenaug.explain.chain import Linear
from tfgenaug.explain.chain import Pool
from tfgenaug.explain.chain import Relu
from tfgenaug.explain.chain import Reshape
from tfgenaug.explain.chain import Step
from tfgenaug.explain.chain import parse_chain

# Denominators at or below this carry no relevance (their numerators are 0 too).
_TINY = 1e-12


def _ratio(relevance: tf.Tensor, denominator: tf.Tensor) -> tf.Tensor:
    positive = denominator > _TINY
    safe = tf.where(positive, denominator, tf.ones_like(denominator))
    return tf.where(positive, relevance / safe, tf.zeros_like(relevance))


def _zplus(step: Linear, inputs: tf.Tensor, relevance: tf.Tensor) -> tf.Tensor:
    kernel = tf.constant(step.kernel)
    positive_in, negative_in = tf.nn.relu(inputs), -tf.nn.relu(-inputs)
    positive_w, negative_w = tf.nn.relu(kernel), -tf.nn.relu(-kernel)
    with tf.GradientTape() as tape:
        tape.watch([positive_in, negative_in])
        # sum_i max(0, a_i w_ij): a+ w+ plus a- w- (both products are >= 0).
        z = step.apply(positive_in, positive_w) + step.apply(negative_in, negative_w)
    grads = tape.gradient(
        z, [positive_in, negative_in], output_gradients=_ratio(relevance, z)
    )
    return positive_in * grads[0] + negative_in * grads[1]


def _zbounded(
    step: Linear, inputs: tf.Tensor, relevance: tf.Tensor, low: float, high: float
) -> tf.Tensor:
    kernel = tf.constant(step.kernel)
    lows = tf.fill(tf.shape(inputs), tf.constant(low, inputs.dtype))
    highs = tf.fill(tf.shape(inputs), tf.constant(high, inputs.dtype))
    with tf.GradientTape() as tape:
        tape.watch([inputs, lows, highs])
        z = (
            step.apply(inputs, kernel)
            - step.apply(lows, tf.nn.relu(kernel))
            - step.apply(highs, -tf.nn.relu(-kernel))
        )
    grads = tape.gradient(z, [inputs, lows, highs], output_gradients=_ratio(relevance, z))
    return inputs * grads[0] + lows * grads[1] + highs * grads[2]


def _pool_relevance(step: Pool, inputs: tf.Tensor, relevance: tf.Tensor) -> tf.Tensor:
    if step.kind in ("max", "global_max"):
        with tf.GradientTape() as tape:
            tape.watch(inputs)
            outputs = step.forward(inputs)
        return tape.gradient(outputs, inputs, output_gradients=relevance)
    positive_in = tf.nn.relu(inputs)
    with tf.GradientTape() as tape:
        tape.watch(positive_in)
        z = step.forward(positive_in)
    grad = tape.gradient(z, positive_in, output_gradients=_ratio(relevance, z))
    return positive_in * grad


def _relevance(
    steps: Sequence[Step], images: tf.Tensor, targets: tf.Tensor | None, low: float, high: float
) -> tuple[tf.Tensor, tf.Tensor]:
    activations = [images]
    for step in steps:
        activations.append(step.forward(activations[-1]))
    logits = activations[-1]
    if targets is None:
        targets = tf.argmax(logits, axis=-1, output_type=tf.int32)
    relevance = tf.one_hot(targets, tf.shape(logits)[-1], dtype=logits.dtype) * logits
    first_linear = next(i for i, s in enumerate(steps) if isinstance(s, Linear))
    for index in range(len(steps) - 1, -1, -1):
        step, inputs = steps[index], activations[index]
        if isinstance(step, Linear):
            if index == first_linear:
                relevance = _zbounded(step, inputs, relevance, low, high)
            else:
                relevance = _zplus(step, inputs, relevance)
        elif isinstance(step, Pool):
            relevance = _pool_relevance(step, inputs, relevance)
        elif isinstance(step, Reshape):
            relevance = tf.reshape(relevance, tf.shape(inputs))
        elif not isinstance(step, Relu):  # pragma: no cover - parse_chain makes only these
            raise TypeError(f"unknown step {step!r}")
    return relevance, logits


def deep_taylor(
    model: keras.Model,
    images,
    target_class: int | Sequence[int] | np.ndarray | None = None,
    value_range: Sequence[float] = (-1, 1),
    batch_size: int = 128,
) -> np.ndarray:
    """Deep Taylor relevance maps of a ReLU classifier's logit, one per image.

    The relevance of the target class's logit is propagated back to the pixels with the
    z+ rule in hidden layers and the bounded z^B rule at the first Dense / Conv2D layer
    (module docstring). The model must be a chain of `Dense`, `Conv2D` (linear or ReLU
    activation), `ReLU`, `MaxPooling2D`, `AveragePooling2D`, `GlobalAveragePooling2D`,
    `GlobalMaxPooling2D`, `Flatten`, `Dropout` (identity) and `BatchNormalization`
    directly after a `Dense` / `Conv2D` (folded into it, using its moving statistics,
    i.e. the inference-time model). A final softmax or sigmoid is skipped: relevance
    starts from the logit. Only Flatten / Dropout may precede the first Dense / Conv2D.

    **Conservation.** Every layer passes on exactly the relevance it receives, unless
    relevance reaches a unit whose rule denominator is 0; that relevance is dropped.
    So `relevance[n].sum() == logit[n, target]` (up to float rounding) whenever no
    denominator met by relevance is 0, which holds when all three of these hold:
    (1) `value_range` contains 0 (`low <= 0 <= high`), which makes the z^B denominator
    of an active first-layer unit positive; (2) every hidden Dense / Conv2D unit has a
    bias <= 0 after folding batch normalization (zero biases, `use_bias=False`,
    qualify): an active unit then has a positive input contribution; (3) the target
    logit has at least one positive contribution `a_j w_jc > 0` from the layer below.
    With positive biases conservation can fail for units that are active only through
    their bias. The rule gives non-negative relevance (the "deep Taylor" reading: a
    decomposition of evidence *for* the class) when the target logit is positive; a
    negative logit is spread with the same proportions, so all relevance is <= 0.

    **Gradient x input.** For a one-layer ReLU net `y = relu(x . w)` (no bias) with
    non-negative weights and `low = 0`, the z^B rule gives `R_i = x_i w_i`, which is
    gradient x input: `x_i * dy/dx_i`.

    Args:
        model: a Sequential or functional `keras.Model` as above, mapping images
            `(N, H, W, C)` (or any input) to logits or probabilities `(N, K)`.
        images: array `(N, ...)` of the model's inputs, in `value_range`.
        target_class: `None` (each image's predicted class, the argmax of the logits),
            an int for all images, or `N` ints. Defaults to `None`.
        value_range: `(low, high)`, the bounds of the input pixels for the z^B rule.
            Defaults to `(-1, 1)`, the range tfgenaug's classifiers take.
        batch_size: int. Images per backward pass. Defaults to 128.

    Returns:
        float32 relevance maps, same shape as `images`.

    Raises:
        ValueError: a layer is not supported (naming its name and class), the model is
            not a chain, `target_class` is out of range or has the wrong length, or
            `value_range` is not `(low, high)`.

    Example:
    ```python
    classifier = tfgenaug.networks.small_cnn((16, 16, 1), 10)
    ...  # fit it
    relevance = deep_taylor(classifier, x_test[:16])
    heatmap_png(relevance, "relevance.png", images=x_test[:16])
    share = relevance_on_object_share(relevance, ink_mask(x_test[:16])).mean()
    ```
    """
    low, high = check_value_range(value_range)
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be an int >= 1; got {batch_size!r}")
    steps = parse_chain(model)
    images = np.asarray(images, np.float32)
    if images.ndim < 2 or len(images) == 0:
        raise ValueError(f"images must be a non-empty batch (N, ...); got shape {images.shape}")
    num_classes = int(_output_width(steps, images[:1]))
    targets = None
    if target_class is not None:
        targets = np.asarray(target_class)
        if targets.ndim == 0:
            targets = np.full(len(images), int(targets))
        if targets.shape != (len(images),) or not np.issubdtype(targets.dtype, np.integer):
            raise ValueError(
                f"target_class must be None, an int or {len(images)} ints (one per image); "
                f"got {target_class!r}"
            )
        if targets.min() < 0 or targets.max() >= num_classes:
            raise ValueError(
                f"target_class must be in [0, {num_classes}) (the model's classes); got "
                f"values in [{targets.min()}, {targets.max()}]"
            )
        targets = targets.astype(np.int32)
    maps = []
    for start in range(0, len(images), batch_size):
        batch = tf.constant(images[start : start + batch_size])
        batch_targets = None if targets is None else tf.constant(
            targets[start : start + batch_size]
        )
        relevance, _ = _relevance(steps, batch, batch_targets, low, high)
        maps.append(relevance.numpy())
    return np.concatenate(maps).astype(np.float32)


def _output_width(steps: Sequence[Step], images: np.ndarray) -> int:
    """The number of logits K the chain computes, checked to be a `(N, K)` output."""
    outputs = tf.constant(images)
    for step in steps:
        outputs = step.forward(outputs)
    if len(outputs.shape) != 2:
        raise ValueError(
            f"deep_taylor needs a classifier with outputs (N, K); the chain gives shape "
            f"{tuple(outputs.shape)}"
        )
    return int(outputs.shape[-1])
