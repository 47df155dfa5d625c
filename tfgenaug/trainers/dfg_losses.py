"""DFG's losses as pure TensorFlow functions: channel ablation, class attention, DELTA.

DFG (Suh et al. 2020) measures how much each channel of the extractor's feature maps
matters to the classifier by zeroing it and recording the increase of the
classifier's cross-entropy. From these increases it makes

- the generator's *class attention* `A[K, channels]` (`class_attention`), and
- the channel weights of the DELTA regularizer (`delta_channel_weights`,
  Li et al. 2019), which keeps the fine-tuned extractor's important feature maps close
  to those of the source (pretrained) extractor (`delta_regularizer`).

Sign: the reference code (opensuh/DFG) softmaxes `base loss - ablated loss`, the
*decrease* of the loss, which favours the channels whose removal helps; the paper and
DELTA weight a channel by the loss *increase* its removal causes, and so do we.

All functions are XLA-compilable and return per-example values where a batch is
involved, so a trainer can average them over the global batch.

References:
    - Suh et al., [Discriminative Feature Generation for Classification of Imbalanced
      Data](https://arxiv.org/abs/2010.12888).
    - Li et al., [DELTA: DEep Learning Transfer using Feature Map with
      Attention](https://arxiv.org/abs/1901.09229).
"""

from collections.abc import Callable

import tensorflow as tf

from tfgenaug.trainers import losses


def _cross_entropy(labels: tf.Tensor, logits: tf.Tensor) -> tf.Tensor:
    return tf.nn.sparse_softmax_cross_entropy_with_logits(
        labels=tf.cast(labels, tf.int32), logits=tf.cast(logits, tf.float32)
    )


def channel_ablation_losses(
    extractor_features: tf.Tensor,
    classifier: Callable[[tf.Tensor], tf.Tensor],
    labels: tf.Tensor,
) -> tf.Tensor:
    """Per-example increase of the classifier's loss when each feature channel is zeroed.

    `out[n, j] = CE(classifier(f_n with channel j set to 0), y_n) - CE(classifier(f_n),
    y_n)`. The channels are ablated one after the other in a `tf.map_fn` loop, so
    memory stays that of one classifier pass. Call `classifier` in inference mode
    (e.g. `lambda f: model(f, training=False)`) when it has dropout or batch norm.

    Args:
        extractor_features: `(N, ..., C)` feature maps of the extractor, channels last.
        classifier: maps feature maps to logits `(N, K)`.
        labels: `(N,)` int class ids.

    Returns:
        float32 `(N, C)` loss increases (negative where zeroing a channel helps).

    Example:
    ```python
    increases = channel_ablation_losses(
        extractor(images), lambda f: classifier(f, training=False), labels)
    ```
    """
    features = tf.cast(extractor_features, tf.float32)
    channels = features.shape[-1]
    if channels is None:
        raise ValueError(
            f"extractor_features must have a known channel axis; got shape {features.shape}"
        )
    base = _cross_entropy(labels, classifier(features))

    def ablated(channel):
        keep = 1.0 - tf.one_hot(channel, channels, dtype=features.dtype)
        return _cross_entropy(labels, classifier(features * keep))

    ablated_losses = tf.map_fn(
        ablated, tf.range(channels), fn_output_signature=tf.TensorSpec([None], tf.float32)
    )
    return tf.transpose(ablated_losses) - base[:, None]


def class_attention(
    ablation_losses: tf.Tensor,
    labels: tf.Tensor,
    num_classes: int,
    threshold: float = 0.9,
) -> tf.Tensor:
    """DFG's class attention `A[K, C]` from channel-ablation loss increases.

    For each example the increases are softmaxed over the channels; `A[k]` is the mean
    of these softmaxes over the examples of class `k`. A channel is kept where
    `C * A[k, j] >= threshold` (its weight is at least `threshold` times the uniform
    weight `1 / C`) and set to 0 elsewhere; this is the reference's rule. A class
    without examples gets the uniform row `1 / C` (every channel kept when
    `threshold <= 1`).

    Args:
        ablation_losses: `(N, C)` loss increases from `channel_ablation_losses`.
        labels: `(N,)` int class ids in [0, num_classes).
        num_classes: int. K.
        threshold: float. Relative weight below which a channel is dropped. Defaults
            to 0.9.

    Returns:
        float32 `(K, C)` attention; each row sums to at most 1.

    Example:
    ```python
    attention = class_attention(increases, labels, num_classes=10)
    ```
    """
    increases = tf.cast(ablation_losses, tf.float32)
    channels = tf.cast(tf.shape(increases)[-1], tf.float32)
    probs = tf.nn.softmax(increases, axis=-1)
    members = tf.one_hot(tf.cast(labels, tf.int32), num_classes, dtype=tf.float32)  # (N, K)
    sums = tf.matmul(members, probs, transpose_a=True)  # (K, C)
    counts = tf.reduce_sum(members, axis=0)[:, None]
    mean = tf.where(counts > 0, tf.math.divide_no_nan(sums, counts), 1.0 / channels)
    return tf.where(mean * channels >= threshold, mean, tf.zeros_like(mean))


def delta_channel_weights(ablation_losses: tf.Tensor, temperature: float = 5.0) -> tf.Tensor:
    """DELTA's channel weights: `softmax(zscore(mean increase) / temperature)`.

    The increases are averaged over the examples, standardised over the channels
    (population standard deviation; all-equal increases give uniform weights) and
    softmaxed with the temperature.

    Args:
        ablation_losses: `(N, C)` loss increases from `channel_ablation_losses`.
        temperature: float. Softmax temperature. Defaults to 5 (the reference).

    Returns:
        float32 `(C,)` weights summing to 1.

    Example:
    ```python
    weights = delta_channel_weights(channel_ablation_losses(source_features, c, labels))
    ```
    """
    mean = tf.reduce_mean(tf.cast(ablation_losses, tf.float32), axis=0)
    centered = mean - tf.reduce_mean(mean)
    std = tf.sqrt(tf.reduce_mean(tf.square(centered)))
    return tf.nn.softmax(tf.math.divide_no_nan(centered, std) / temperature)


def delta_regularizer(
    target_maps: tf.Tensor,
    source_maps: tf.Tensor,
    weights: tf.Tensor,
    classifier_kernel: tf.Tensor | None = None,
) -> tf.Tensor:
    """Per-example DELTA regularizer Omega.

    `omega_n = 0.5 * sum_j w_j * ||FM_j(target)_n - FM_j(source)_n||^2 / (H * W)
    + 0.5 * ||W_C||^2`, with `FM_j` the j-th channel's map and `W_C` the kernel of the
    classifier's last layer. The kernel term is the same for every example, so the
    batch mean of the result is `mean_n(map term) + 0.5 ||W_C||^2`, which is what an
    average over the global batch gives under any strategy. No gradient flows into
    `source_maps`.

    Deviations from the reference, which (a) multiplies the map term by the number of
    channels C, (b) sums it over the batch instead of averaging and (c) adds a second
    map term on a layer inside C with its own weights: we follow the formula of the
    issue/paper, per example, on E's output only.

    Args:
        target_maps: `(N, H, W, C)` maps of the network being trained.
        source_maps: `(N, H, W, C)` maps of the frozen source network.
        weights: `(C,)` channel weights (`delta_channel_weights`).
        classifier_kernel: optional kernel of the classifier's last layer.

    Returns:
        float32 `(N,)`.

    Example:
    ```python
    omega = delta_regularizer(extractor(x), source_extractor(x), weights, kernel)
    ```
    """
    target = tf.cast(target_maps, tf.float32)
    source = tf.stop_gradient(tf.cast(source_maps, tf.float32))
    spatial_axes = list(range(1, target.shape.rank - 1))
    area = tf.cast(tf.reduce_prod(tf.shape(target)[1:-1]), tf.float32)
    per_channel = tf.reduce_sum(tf.square(target - source), axis=spatial_axes) / area
    omega = 0.5 * tf.reduce_sum(per_channel * tf.cast(weights, tf.float32), axis=-1)
    if classifier_kernel is not None:
        omega += 0.5 * tf.reduce_sum(tf.square(tf.cast(classifier_kernel, tf.float32)))
    return omega


def feature_gradient_penalty(
    critic_fn: Callable[[tf.Tensor], tf.Tensor],
    real_features: tf.Tensor,
    fake_features: tf.Tensor,
    alpha: tf.Tensor,
) -> tf.Tensor:
    """Per-example WGAN-GP penalty on feature maps, `(||grad D(f_hat)||_2 - 1)^2`.

    `f_hat = real + alpha * (fake - real)`, one alpha per example; the norm is over
    every non-batch axis (H, W and channels). Same maths as
    `tfgenaug.trainers.losses.gradient_penalty`, applied to E's and G's feature maps.

    Args:
        critic_fn: maps feature maps `(N, H, W, C)` to critic values `(N,)` or `(N, 1)`.
        real_features: `(N, H, W, C)` maps of real images (E's output).
        fake_features: `(N, H, W, C)` generated maps (G's output).
        alpha: `(N,)` interpolation weights in [0, 1].

    Returns:
        float32 `(N,)` penalties.

    Example:
    ```python
    penalty = feature_gradient_penalty(critic, extractor(x), generator([z, y]), alpha)
    ```
    """
    return losses.gradient_penalty(critic_fn, real_features, fake_features, alpha)
