"""Mixed precision for the trainers: loss scaling under float16, nothing under bfloat16.

float16 gradients underflow without loss scaling; bfloat16 has float32's range and needs
none. Losses are float32 in every trainer; the networks compute in the policy's dtype.
"""

from collections.abc import Iterable

import keras
import tensorflow as tf


def computes_in_float16(networks: Iterable[keras.Model]) -> bool:
    """Whether any layer of `networks` computes in float16 (a `mixed_float16` policy)."""
    return any(
        layer.compute_dtype == "float16"
        for network in networks
        for layer in network._flatten_layers(include_self=True)
    )


def loss_scaled(optimizer: keras.optimizers.Optimizer, float16: bool) -> keras.optimizers.Optimizer:
    """`optimizer` wrapped in a `keras.optimizers.LossScaleOptimizer` when `float16`.

    An optimizer that already is a `LossScaleOptimizer` is returned as it is.
    """
    if float16 and not isinstance(optimizer, keras.optimizers.LossScaleOptimizer):
        return keras.optimizers.LossScaleOptimizer(optimizer)
    return optimizer


def scaled_gradients(
    tape: tf.GradientTape, loss: tf.Tensor, variables: list, optimizer: keras.optimizers.Optimizer
) -> list:
    """Gradients of a float32 `loss`, times `optimizer`'s loss scale.

    A `LossScaleOptimizer` scales the loss (here by seeding the backward pass with the
    scale, which needs no recording on the tape) and unscales the gradients in
    `apply_gradients`; any other optimizer gets the plain gradients.
    """
    seed = optimizer.scale_loss(tf.ones_like(loss))
    return tape.gradient(loss, variables, output_gradients=tf.cast(seed, loss.dtype))
