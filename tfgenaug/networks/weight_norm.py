"""Weight normalization (Salimans & Kingma 2016) as a Keras 3 wrapper layer.

Keras 3 has no weight normalization. `WeightNormalization` wraps a `Dense`,
`Conv1D/2D/3D` or `Conv2DTranspose`/`Conv3DTranspose` layer and computes its kernel
as `g * v / ||v||` from the wrapped layer's own kernel `v` and a per-output-channel
scale `g`, at every call: nothing is assigned, so the layer runs under XLA, under
`tf.distribute` and in a saved and reloaded model like any other layer.
"""

import keras
import numpy as np
from keras import ops

from tfgenaug.networks.xla_safe_conv import XlaSafeConv2DTranspose

_SUPPORTED = "Dense, Conv1D, Conv2D, Conv3D, Conv2DTranspose or Conv3DTranspose"


def output_axis(layer: keras.layers.Layer) -> int:
    """Axis of the output channels in `layer.kernel`."""
    # Transposed convolutions store kernels as (*spatial, out, in); the others as
    # (..., in, out).
    if isinstance(layer, keras.layers.Conv2DTranspose | keras.layers.Conv3DTranspose):
        return -2
    return -1


def check_wrappable(layer) -> None:
    if not isinstance(layer, keras.layers.Layer):
        raise ValueError(f"layer must be a keras.layers.Layer ({_SUPPORTED}); got {layer!r}")
    supported = (
        keras.layers.Dense,
        keras.layers.Conv1D,
        keras.layers.Conv2D,
        keras.layers.Conv3D,
        keras.layers.Conv2DTranspose,
        keras.layers.Conv3DTranspose,
    )
    if not isinstance(layer, supported):
        raise ValueError(
            f"layer must be a layer with a kernel ({_SUPPORTED}); got "
            f"{type(layer).__name__} {layer.name!r}, which has no kernel to normalize"
        )


@keras.saving.register_keras_serializable(package="tfgenaug")
class WeightNormalization(keras.layers.Wrapper):
    """Reparameterises a layer's kernel as `g * v / ||v||` (weight normalization).

    `v` is the wrapped layer's `kernel`; the norm is taken over every axis but the
    output-channel axis, so each output channel has its own scale `g`. `g` is
    initialised to `||v||`, so a freshly built wrapped layer computes exactly what
    the unwrapped layer would. For the data-dependent initialisation of the paper
    (each channel's pre-activation given zero mean and `init_scale` standard
    deviation on a batch) call `data_dependent_init(model, inputs)` once, before
    training.

    References:
        - Salimans & Kingma, [Weight Normalization](https://arxiv.org/abs/1602.07868).

    Args:
        layer: a `Dense`, `Conv1D/2D/3D` or `Conv2DTranspose/Conv3DTranspose` layer.
        init_scale: float. Standard deviation of the pre-activations that
            `data_dependent_init` sets. Defaults to 1.0.
        epsilon: float. Added to the squared norm before the square root. Defaults to
            1e-6.
        **kwargs: passed to `keras.layers.Wrapper`.

    Raises:
        ValueError: naming `layer` if it has no kernel to normalize.

    Example:
    ```python
    conv = WeightNormalization(keras.layers.Conv2D(64, 3, padding="same"))
    outputs = conv(np.zeros((2, 8, 8, 3), "float32"))
    ```
    """

    def __init__(self, layer, init_scale: float = 1.0, epsilon: float = 1e-6, **kwargs):
        check_wrappable(layer)
        if not init_scale > 0:
            raise ValueError(f"init_scale must be > 0; got {init_scale}")
        if not epsilon >= 0:
            raise ValueError(f"epsilon must be >= 0; got {epsilon}")
        super().__init__(layer, **kwargs)
        self.init_scale = float(init_scale)
        self.epsilon = float(epsilon)

    def build(self, input_shape=None):
        if not self.layer.built:
            self.layer.build(input_shape)
        kernel = getattr(self.layer, "kernel", None)
        if kernel is None:
            raise ValueError(
                f"layer {self.layer.name!r} has no kernel after building; "
                f"WeightNormalization needs a {_SUPPORTED} layer"
            )
        rank = len(kernel.shape)
        self._axis = rank + output_axis(self.layer)
        self._norm_axes = tuple(a for a in range(rank) if a != self._axis)
        self.g = self.add_weight(
            shape=(kernel.shape[self._axis],), initializer="ones", name="g"
        )
        self.g.assign(self._norm(kernel))
        self.built = True

    def _norm(self, v):
        v = ops.convert_to_tensor(v)
        return ops.sqrt(ops.sum(ops.square(v), axis=self._norm_axes) + self.epsilon)

    def normalized_kernel(self):
        """Returns the kernel `g * v / ||v||` the layer computes with."""
        v = self.layer.kernel
        scale = ops.cast(self.g, v.dtype) / self._norm(v)
        shape = [1] * len(v.shape)
        shape[self._axis] = -1
        return v * ops.reshape(scale, shape)

    def _linear(self, inputs, kernel):
        """The wrapped layer's operation with `kernel`, without bias and activation."""
        return linear_op(self.layer, inputs, kernel)

    def call(self, inputs):
        return call_with_kernel(self, inputs, self.normalized_kernel())

    def compute_output_shape(self, input_shape):
        return self.layer.compute_output_shape(input_shape)

    def initialize_from_data(self, inputs) -> None:
        """Sets `g` and the bias so the pre-activations on `inputs` are standardised.

        Each output channel gets mean 0 and standard deviation `init_scale` over
        every other axis of this batch (Salimans & Kingma 2016, section 3).

        Args:
            inputs: a batch of this layer's inputs.
        """
        if not self.built:
            self.build(tuple(inputs.shape))
        kernel = ops.cast(self.normalized_kernel(), "float32")
        outputs = self._linear(ops.cast(inputs, "float32"), kernel)
        channels_first = getattr(self.layer, "data_format", "channels_last") == "channels_first"
        channel_axis = 1 if channels_first and len(outputs.shape) > 2 else len(outputs.shape) - 1
        axes = tuple(a for a in range(len(outputs.shape)) if a != channel_axis)
        mean = np.asarray(ops.mean(outputs, axis=axes))
        std = np.asarray(ops.std(outputs, axis=axes))
        scale = self.init_scale / (std + 1e-8)
        self.g.assign(np.asarray(self.g) * scale)
        if self.layer.use_bias:
            self.layer.bias.assign(-mean * scale)

    def get_config(self) -> dict:
        return {**super().get_config(), "init_scale": self.init_scale, "epsilon": self.epsilon}


def linear_op(layer: keras.layers.Layer, inputs, kernel):
    """`layer`'s own operation (matmul or convolution) with `kernel`: no bias, activation.

    Convolutions go through the layer's own op (`convolution_op`, or
    `XlaSafeConv2DTranspose.transposed_convolution_op`), so a layer's XLA-safe form
    (`tfgenaug.networks.xla_safe_conv`) also computes the wrapper's kernel.
    """
    if isinstance(layer, keras.layers.Dense):
        return ops.matmul(inputs, kernel)
    if isinstance(layer, XlaSafeConv2DTranspose):
        return layer.transposed_convolution_op(inputs, kernel)
    if isinstance(layer, keras.layers.Conv2DTranspose | keras.layers.Conv3DTranspose):
        return ops.conv_transpose(
            inputs, kernel, strides=list(layer.strides), padding=layer.padding,
            output_padding=layer.output_padding, dilation_rate=layer.dilation_rate,
            data_format=layer.data_format,
        )
    return layer.convolution_op(inputs, kernel)


def call_with_kernel(wrapper: keras.layers.Wrapper, inputs, kernel):
    """What `wrapper.layer` computes on `inputs` with `kernel` in place of its own."""
    layer = wrapper.layer
    inputs = ops.cast(inputs, wrapper.compute_dtype)
    outputs = linear_op(layer, inputs, ops.cast(kernel, wrapper.compute_dtype))
    if layer.use_bias:
        shape = [1] * len(outputs.shape)
        channels_first = getattr(layer, "data_format", "channels_last") == "channels_first"
        shape[1 if channels_first and len(shape) > 2 else -1] = -1
        outputs = outputs + ops.reshape(ops.cast(layer.bias, outputs.dtype), shape)
    if layer.activation is not None:
        outputs = layer.activation(outputs)
    return outputs


def data_dependent_init(model: keras.Model, inputs) -> int:
    """Initialises every `WeightNormalization` layer of a functional model from data.

    Layers are visited in the model's (topological) order; each one is initialised on
    the outputs of the already initialised layers before it, as in Salimans & Kingma
    (2016). Stochastic layers (dropout, Gaussian noise) run in inference mode.

    Args:
        model: a functional `keras.Model`.
        inputs: a batch the model accepts (e.g. a few hundred training images).

    Returns:
        The number of layers initialised.

    Example:
    ```python
    data_dependent_init(discriminator, train_images[:500])
    ```
    """
    count = 0
    for layer in model.layers:
        if isinstance(layer, WeightNormalization):
            upstream = keras.Model(model.input, layer.input)
            layer.initialize_from_data(upstream(inputs, training=False))
            count += 1
    return count
