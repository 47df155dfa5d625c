"""Calling a network on a batch that may be empty: a workaround for TensorFlow's CPU convolution.

TensorFlow 2.21's CPU convolution with oneDNN (`TF_ENABLE_ONEDNN_OPTS`, on by default)
returns an empty batch with the *input's* channel count: `tf.nn.conv2d` of a
`(0, 8, 8, 4)` input with a `(3, 3, 4, 1)` kernel gives `(0, 8, 8, 4)`, not
`(0, 8, 8, 1)` (right with oneDNN off). A generator's last convolution then hands back
`(0, H, W, width)` images, and whatever joins them to real rows fails: `GANAugment` when
`round(rate * batch_size)` is 0 (a short last batch of a dataset), `sample([])`.
`call_on_rows` adds one zero row when there is none and drops it from the output.
"""

import keras
import tensorflow as tf


def call_on_rows(model: keras.Model, inputs: list, training: bool = False) -> tf.Tensor:
    """`model(inputs, training=training)` for inputs whose batch may have no rows.

    Args:
        model: a network taking a list of tensors that share their first (batch) axis.
        inputs: the list of input tensors.
        training: passed to the model.

    Returns:
        The model's output for the rows given: an empty batch of the right shape when
        there are none.

    Example:
    ```python
    images = call_on_rows(generator, [tf.zeros((0, 8)), tf.zeros((0,), tf.int32)])
    images.shape  # (0, H, W, C), not (0, H, W, width of the last hidden layer)
    ```
    """
    inputs = [tf.convert_to_tensor(x) for x in inputs]
    rows = tf.shape(inputs[0])[0]
    missing = tf.maximum(1 - rows, 0)  # one padding row when empty, else none
    padded = [tf.concat([x, tf.zeros(tf.concat([[missing], tf.shape(x)[1:]], 0), x.dtype)], 0)
              for x in inputs]
    return model(padded, training=training)[:rows]
