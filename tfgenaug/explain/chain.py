"""A Keras classifier as a chain of steps that Deep Taylor decomposition can run backwards.

`parse_chain(model)` reads a Sequential or functional model that is a simple chain (each
layer feeds only the next; nested chain models are expanded) and returns `Step`s:

- `Linear`: a `Dense` or `Conv2D` layer, with a `BatchNormalization` that directly
  follows it folded into its kernel and bias (the layer's own activation must then be
  linear): `w' = w * s`, `b' = (b - mean) * s + beta` with `s = gamma / sqrt(var + eps)`
  per output channel. The activation is split off as a `Relu` step.
- `Relu`: a ReLU (a `ReLU` layer without `max_value`, slope or threshold, an
  `Activation("relu")` layer, or a layer's `activation="relu"`).
- `Pool`: `MaxPooling2D`, `AveragePooling2D`, `GlobalAveragePooling2D`,
  `GlobalMaxPooling2D`.
- `Reshape`: `Flatten`.

Identity layers (`InputLayer`, `Dropout` and its subclasses) are skipped. A softmax or
sigmoid at the very end (as a layer's activation, an `Activation` or a `Softmax` layer) is
dropped: relevance starts from the logits. Anything else raises a ValueError naming the
layer and its class.
"""

import dataclasses

import keras
import numpy as np
import tensorflow as tf

_FINAL_SQUASHES = ("softmax", "sigmoid")


@dataclasses.dataclass
class Linear:
    """A Dense or Conv2D layer with any following batch normalization folded in."""

    name: str
    kind: str  # "dense" or "conv"
    kernel: np.ndarray
    bias: np.ndarray
    strides: tuple[int, int] = (1, 1)
    padding: str = "VALID"
    dilations: tuple[int, int] = (1, 1)

    def apply(self, inputs: tf.Tensor, kernel: tf.Tensor | None = None) -> tf.Tensor:
        """`inputs @ kernel` (or the convolution), without the bias."""
        kernel = tf.constant(self.kernel) if kernel is None else kernel
        if self.kind == "dense":
            return tf.tensordot(inputs, kernel, axes=[[-1], [0]])
        return tf.nn.conv2d(
            inputs, kernel, strides=self.strides, padding=self.padding, dilations=self.dilations
        )

    def forward(self, inputs: tf.Tensor) -> tf.Tensor:
        return self.apply(inputs) + tf.constant(self.bias)


@dataclasses.dataclass
class Relu:
    name: str

    def forward(self, inputs: tf.Tensor) -> tf.Tensor:
        return tf.nn.relu(inputs)


@dataclasses.dataclass
class Pool:
    name: str
    kind: str  # "max", "avg", "global_max", "global_avg"
    pool_size: tuple[int, int] = (2, 2)
    strides: tuple[int, int] = (2, 2)
    padding: str = "VALID"
    keepdims: bool = False

    def forward(self, inputs: tf.Tensor) -> tf.Tensor:
        if self.kind == "max":
            return tf.nn.max_pool2d(inputs, self.pool_size, self.strides, self.padding)
        if self.kind == "avg":
            return tf.nn.avg_pool2d(inputs, self.pool_size, self.strides, self.padding)
        reduce = tf.reduce_max if self.kind == "global_max" else tf.reduce_mean
        return reduce(inputs, axis=[1, 2], keepdims=self.keepdims)


@dataclasses.dataclass
class Reshape:
    name: str

    def forward(self, inputs: tf.Tensor) -> tf.Tensor:
        return tf.reshape(inputs, [tf.shape(inputs)[0], -1])


Step = Linear | Relu | Pool | Reshape


def _pair(value) -> tuple[int, int]:
    if isinstance(value, int):
        return (value, value)
    return tuple(int(v) for v in value)


def _unsupported(layer, why: str = "") -> ValueError:
    return ValueError(
        f"deep_taylor does not support layer '{layer.name}' of class "
        f"{type(layer).__name__}{': ' + why if why else ''}. Supported: Dense, Conv2D, "
        "ReLU / relu activations, MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D, "
        "GlobalMaxPooling2D, Flatten, Dropout and BatchNormalization after Dense/Conv2D"
    )


def _activation_name(activation) -> str:
    name = getattr(activation, "__name__", None) or str(activation)
    return name


def _layers_in_chain(model: keras.Model) -> list[keras.layers.Layer]:
    """The layers of a chain model in order, nested chain models expanded."""
    if isinstance(model, keras.Sequential):
        layers = list(model.layers)
    else:
        if len(model.inputs) != 1 or len(model.outputs) != 1:
            raise ValueError(
                f"deep_taylor needs a model with one input and one output; model "
                f"'{model.name}' has {len(model.inputs)} inputs and {len(model.outputs)} outputs"
            )
        layers = list(model.layers)
        previous = None
        for layer in layers:
            if isinstance(layer, keras.layers.InputLayer):
                previous = layer
                continue
            if len(layer._inbound_nodes) != 1:
                raise _unsupported(layer, "it is used more than once (a shared layer)")
            if previous is None or layer.input is not previous.output:
                raise _unsupported(
                    layer, "the model is not a simple chain (each layer must feed only the next)"
                )
            previous = layer
        if previous is None or previous.output is not model.outputs[0]:
            raise ValueError(
                f"deep_taylor needs a simple chain model; the output of model '{model.name}' "
                "is not its last layer's"
            )
    expanded = []
    for layer in layers:
        if isinstance(layer, keras.Model):
            expanded.extend(_layers_in_chain(layer))
        else:
            expanded.append(layer)
    return expanded


def _linear_step(layer) -> tuple[Linear, str]:
    kernel = np.asarray(keras.ops.convert_to_numpy(layer.kernel), np.float32)
    if layer.use_bias:
        bias = np.asarray(keras.ops.convert_to_numpy(layer.bias), np.float32)
    else:
        bias = np.zeros(kernel.shape[-1], np.float32)
    if isinstance(layer, keras.layers.Dense):
        step = Linear(layer.name, "dense", kernel, bias)
    else:
        if layer.data_format != "channels_last" or getattr(layer, "groups", 1) != 1:
            raise _unsupported(layer, "only channels_last convolutions with groups=1")
        step = Linear(
            layer.name, "conv", kernel, bias, strides=_pair(layer.strides),
            padding=layer.padding.upper(), dilations=_pair(layer.dilation_rate),
        )
    return step, _activation_name(layer.activation)


def _fold_batch_norm(step: Linear, layer) -> None:
    axis = layer.axis if isinstance(layer.axis, int) else layer.axis[0]
    if axis not in (-1, len(layer.input.shape) - 1):
        raise _unsupported(layer, "only batch normalization over the last (channel) axis")
    mean = keras.ops.convert_to_numpy(layer.moving_mean).astype(np.float64)
    variance = keras.ops.convert_to_numpy(layer.moving_variance).astype(np.float64)
    gamma = keras.ops.convert_to_numpy(layer.gamma) if layer.scale else 1.0
    beta = keras.ops.convert_to_numpy(layer.beta) if layer.center else 0.0
    scale = np.asarray(gamma, np.float64) / np.sqrt(variance + layer.epsilon)
    step.kernel = (step.kernel.astype(np.float64) * scale).astype(np.float32)
    step.bias = ((step.bias - mean) * scale + beta).astype(np.float32)


def parse_chain(model: keras.Model) -> list[Step]:
    """Turns a chain classifier into `Step`s (see the module docstring).

    Args:
        model: a Sequential or functional `keras.Model` (one input, one output).

    Returns:
        The list of steps, input to logits.

    Raises:
        ValueError: naming the layer and its class when a layer is not supported, the
            model is not a chain, or a batch normalization cannot be folded.
    """
    layers = _layers_in_chain(model)
    steps: list[Step] = []
    pending_activation = None  # activation of the last Linear, not yet appended
    last_index = len(layers) - 1

    def flush():
        nonlocal pending_activation
        if pending_activation is not None:
            steps.append(Relu(pending_activation))
            pending_activation = None

    for index, layer in enumerate(layers):
        is_last = index == last_index
        if isinstance(layer, keras.layers.InputLayer | keras.layers.Dropout):
            continue
        if isinstance(layer, keras.layers.BatchNormalization):
            if not steps or not isinstance(steps[-1], Linear) or pending_activation is not None:
                raise _unsupported(
                    layer,
                    "batch normalization must directly follow a Dense or Conv2D layer with "
                    "a linear activation, to be folded into it",
                )
            _fold_batch_norm(steps[-1], layer)
            continue
        flush()
        if type(layer) in (keras.layers.Dense, keras.layers.Conv2D):
            step, activation = _linear_step(layer)
            steps.append(step)
            if activation == "relu":
                pending_activation = f"{layer.name}/relu"
            elif activation != "linear" and not (is_last and activation in _FINAL_SQUASHES):
                raise _unsupported(
                    layer, f"activation {activation!r} (use relu, or linear before a ReLU)"
                )
        elif isinstance(layer, keras.layers.ReLU):
            if layer.max_value is not None or layer.negative_slope or layer.threshold:
                raise _unsupported(layer, "only the plain ReLU max(x, 0)")
            steps.append(Relu(layer.name))
        elif isinstance(layer, keras.layers.Activation):
            activation = _activation_name(layer.activation)
            if activation == "relu":
                steps.append(Relu(layer.name))
            elif activation != "linear" and not (is_last and activation in _FINAL_SQUASHES):
                raise _unsupported(layer, f"activation {activation!r}")
        elif isinstance(layer, keras.layers.Softmax) and is_last:
            continue
        elif type(layer) in (keras.layers.MaxPooling2D, keras.layers.AveragePooling2D):
            if layer.data_format != "channels_last":
                raise _unsupported(layer, "only channels_last pooling")
            kind = "max" if isinstance(layer, keras.layers.MaxPooling2D) else "avg"
            steps.append(Pool(
                layer.name, kind, _pair(layer.pool_size), _pair(layer.strides),
                layer.padding.upper(),
            ))
        elif type(layer) in (keras.layers.GlobalAveragePooling2D, keras.layers.GlobalMaxPooling2D):
            if layer.data_format != "channels_last":
                raise _unsupported(layer, "only channels_last pooling")
            kind = "global_max" if isinstance(layer, keras.layers.GlobalMaxPooling2D) else (
                "global_avg"
            )
            steps.append(Pool(layer.name, kind, keepdims=bool(layer.keepdims)))
        elif isinstance(layer, keras.layers.Flatten):
            steps.append(Reshape(layer.name))
        else:
            raise _unsupported(layer)
    flush()
    first_linear = next((i for i, s in enumerate(steps) if isinstance(s, Linear)), None)
    if first_linear is None:
        raise ValueError(
            f"deep_taylor needs at least one Dense or Conv2D layer; model '{model.name}' has none"
        )
    for step in steps[:first_linear]:
        if not isinstance(step, Reshape):
            raise ValueError(
                f"deep_taylor applies the bounded z^B rule to the first Dense/Conv2D layer, "
                f"so only Flatten or Dropout may come before it; got '{step.name}'"
            )
    return steps
