"""The exponential moving average (EMA) of a generator's weights, and copies that hold it.

Sampling from a running average of the generator's weights rather than from its last
weights (Karras et al. 2018; Yazıcı et al. 2019) smooths out the oscillation of GAN
training. The averages are updated after every generator update with the warm-up of
`tf.train.ExponentialMovingAverage(num_updates=t)` (see `tfgenaug.trainers.ema`).

A generator with batch normalization holds moving statistics of its own activations;
the live generator's statistics do not match the averaged weights, so each copy
re-estimates them once on a large batch of its own activations ("standing
statistics", Brock et al. 2019). Copies are snapshots: training on does not change a
copy already handed out.

References:
    - Karras et al., [Progressive Growing of GANs](https://arxiv.org/abs/1710.10196).
    - Yazıcı et al., [The Unusual Effectiveness of Averaging in GAN Training](
      https://arxiv.org/abs/1806.04498).
    - Brock et al., [Large Scale GAN Training](https://arxiv.org/abs/1809.11096).
"""

from collections.abc import Sequence

import keras

from tfgenaug.validation import check_interval

# Generated rows whose batch statistics become a copy's batch-norm statistics.
STANDING_STATISTICS_BATCH = 256


def check_g_ema_decay(g_ema_decay: float | None) -> float | None:
    """`g_ema_decay` as a float, or None (no EMA); a ValueError naming it otherwise.

    Args:
        g_ema_decay: None, or the largest decay of the average, a number in (0, 1)
            (0.999 is usual: StyleGAN's half-life of 10k images at batch 16 is 0.9989).

    Returns:
        `None` or `float(g_ema_decay)`.

    Raises:
        ValueError: naming `g_ema_decay` and the interval (0, 1).
    """
    if g_ema_decay is None:
        return None
    return check_interval(g_ema_decay, "g_ema_decay", 0, 1, include_low=False,
                          include_high=False)


def batch_norm_layers(model: keras.Model) -> list:
    """The `keras.layers.BatchNormalization` layers of `model`, nested ones included."""
    return [layer for layer in model._flatten_layers(include_self=False)
            if isinstance(layer, keras.layers.BatchNormalization)]


def set_standing_statistics(model: keras.Model, inputs: Sequence) -> None:
    """Sets every batch norm's moving statistics to those of one batch of `inputs`.

    Runs `model(inputs, training=True)` once with the momentum of each batch
    normalization at 0, so each layer keeps the batch statistics of the activations
    that reach it (those of the layers before it in training mode, as in training).

    Args:
        model: a `keras.Model`; without batch normalization nothing is run.
        inputs: the model's inputs, a batch large enough for stable statistics.
    """
    norms = batch_norm_layers(model)
    if not norms:
        return
    momenta = [layer.momentum for layer in norms]
    try:
        for layer in norms:
            layer.momentum = 0.0
        model(list(inputs), training=True)
    finally:
        for layer, momentum in zip(norms, momenta, strict=True):
            layer.momentum = momentum


def averaged_copy(generator: keras.Model, averages: Sequence,
                  statistics_inputs: Sequence | None = None) -> keras.Model:
    """A copy of `generator` whose trainable weights are `averages`.

    Args:
        generator: the live generator (a functional or `get_config`-able model).
        averages: the EMA of `generator.trainable_variables`, in that order.
        statistics_inputs: inputs whose batch statistics become the copy's
            batch-norm statistics (`set_standing_statistics`); None keeps the live
            generator's.

    Returns:
        A new `keras.Model`, in inference use (`training=False`).

    Example:
    ```python
    copy = averaged_copy(trainer.generator, trainer.g_ema.averages)
    images = copy([noise, labels], training=False)
    ```
    """
    copy = keras.models.clone_model(generator)
    copy.set_weights(generator.get_weights())
    for target, average in zip(copy.trainable_variables, averages, strict=True):
        target.assign(keras.ops.convert_to_numpy(average))
    if statistics_inputs is not None:
        set_standing_statistics(copy, statistics_inputs)
    return copy
