"""Encoders (the front of a classifier) and the decoders that mirror them."""

from collections.abc import Sequence

import keras
from keras import layers

_POOLS = (layers.MaxPooling2D, layers.AveragePooling2D)


def input_shape_of(model) -> tuple:
    """`(H, W, C)` (the shape after the batch axis) of a Keras model's single input.

    Raises:
        ValueError: the model has no known single input.
    """
    inputs = getattr(model, "inputs", None)
    if not inputs or len(inputs) != 1:
        raise ValueError(
            f"expected a built keras.Model with one input; got {getattr(model, 'name', model)!r}"
        )
    return tuple(inputs[0].shape[1:])


def output_shape_of(model) -> tuple:
    """The shape after the batch axis of a Keras model's single output."""
    outputs = getattr(model, "outputs", None)
    if not outputs or len(outputs) != 1:
        raise ValueError(
            f"expected a built keras.Model with one output; got {getattr(model, 'name', model)!r}"
        )
    return tuple(outputs[0].shape[1:])


def _layer_names(model: keras.Model) -> list[str]:
    return [layer.name for layer in model.layers if not isinstance(layer, layers.InputLayer)]


def _get_layer(model: keras.Model, layer_name: str, argument: str) -> keras.layers.Layer:
    names = _layer_names(model)
    if layer_name not in names:
        raise ValueError(
            f"{argument}: model '{model.name}' has no layer named {layer_name!r}; its layers "
            f"are {names}"
        )
    return model.get_layer(layer_name)


def encoder_from_classifier(
    classifier: keras.Model, layer_name: str, name: str = "encoder"
) -> keras.Model:
    """The front of a classifier, from its input up to (and including) a named layer.

    The encoder shares the classifier's layers and weights (no copy). Any Keras model with
    one image input works, e.g. `networks.small_cnn` trained here, or a
    `keras.applications.VGG19(weights="/path/to/weights.h5", include_top=False)` with
    weights the user supplies (nothing is downloaded); wrap any preprocessing the
    network expects into the model.

    Args:
        classifier: a functional or Sequential `keras.Model` with one input.
        layer_name: str. The last layer of the encoder, e.g. `"block1_relu0"` of
            `small_cnn` or `"block4_conv1"` of VGG19.
        name: str. Name of the encoder model. Defaults to `"encoder"`.

    Returns:
        A `keras.Model` mapping the classifier's inputs to that layer's output.

    Raises:
        ValueError: naming `layer_name` and listing the classifier's layers when it has
            no such layer.

    Example:
    ```python
    classifier = tfgenaug.metrics.train_reference_classifier(x, y, num_classes=10)
    encoder = encoder_from_classifier(classifier, "block1_relu0")
    ```
    """
    layer = _get_layer(classifier, layer_name, "layer_name")
    inputs = classifier.inputs
    return keras.Model(inputs[0] if len(inputs) == 1 else inputs, layer.output, name=name)


def feature_model(model: keras.Model, layer_names: Sequence[str], argument: str = "layer_names"):
    """A model returning the outputs of the named layers of `model`, as a list in order.

    Raises:
        ValueError: naming `argument` and listing the layers when a name is unknown.
    """
    outputs = [_get_layer(model, n, argument).output for n in layer_names]
    inputs = model.inputs
    inputs = inputs[0] if len(inputs) == 1 else inputs
    return keras.Model(inputs, outputs, name=f"{model.name}_features")


def relu_layer_names(encoder: keras.Model) -> list[str]:
    """Names of the encoder's layers whose output is a ReLU activation, in order.

    ReLU layers, `Activation("relu")` and Conv2D / Dense layers with `activation="relu"`.
    Falls back to the encoder's last layer when there is none.
    """
    names = []
    for layer in encoder.layers:
        activation = getattr(layer, "activation", None)
        is_relu = isinstance(layer, layers.ReLU) or (
            activation is not None and getattr(activation, "__name__", "") == "relu"
        )
        if is_relu:
            names.append(layer.name)
    return names or [encoder.layers[-1].name]


def mirror_decoder(encoder: keras.Model, name: str = "decoder") -> keras.Model:
    """A decoder mirroring an encoder: its convolutions reversed, pooling as upsampling.

    Walking the encoder backwards, each `Conv2D` with `c_in` input channels becomes a 3x3
    (the encoder's kernel size) `Conv2D(c_in)` with ReLU, preceded by nearest-neighbour
    upsampling by its stride, and each max / average pooling becomes `UpSampling2D` by
    its pool size; other layers (normalization, activations, dropout) have no mirror. The
    last convolution maps to the image channels with a linear activation, as in AdaIN's
    decoder (which has no normalization layers either).

    Args:
        encoder: a chain `keras.Model` of Conv2D, pooling, normalization and activation
            layers, with a known input shape `(H, W, C)`.
        name: str. Defaults to `"decoder"`.

    Returns:
        A `keras.Model` mapping the encoder's output `(h, w, c)` to images `(H, W, C)`.

    Raises:
        ValueError: naming the layer the decoder cannot mirror (e.g. Dense, Flatten), or
            when the decoder's output shape would differ from the encoder's input shape.

    Example:
    ```python
    decoder = mirror_decoder(encoder_from_classifier(classifier, "block1_relu0"))
    ```
    """
    mirrored = []
    for layer in encoder.layers:
        if isinstance(layer, layers.Conv2D) and type(layer) is layers.Conv2D:
            mirrored.append(("conv", layer.input.shape[-1], layer.kernel_size, layer.strides))
        elif isinstance(layer, _POOLS):
            mirrored.append(("up", None, None, layer.pool_size))
        elif isinstance(layer, layers.InputLayer | layers.BatchNormalization | layers.ReLU
                        | layers.Activation | layers.Dropout | layers.LayerNormalization):
            continue
        else:
            raise ValueError(
                f"mirror_decoder cannot mirror layer '{layer.name}' of class "
                f"{type(layer).__name__}; the encoder must hold Conv2D, pooling, "
                "normalization and activation layers only. Pass your own decoder instead."
            )
    if not any(kind == "conv" for kind, *_ in mirrored):
        raise ValueError(f"mirror_decoder: encoder '{encoder.name}' has no Conv2D layer")
    first_conv = min(i for i, (kind, *_) in enumerate(mirrored) if kind == "conv")
    inputs = keras.Input(output_shape_of(encoder), name="features")
    x = inputs
    for index in range(len(mirrored) - 1, -1, -1):
        kind, channels, kernel_size, factor = mirrored[index]
        if tuple(factor) != (1, 1):
            x = layers.UpSampling2D(tuple(factor), name=f"up{index}")(x)
        if kind == "conv":
            final = index == first_conv
            x = layers.Conv2D(
                channels, kernel_size, padding="same", activation=None if final else "relu",
                name="images" if final else f"conv{index}",
            )(x)
    image_shape = input_shape_of(encoder)
    if tuple(x.shape[1:]) != image_shape:
        raise ValueError(
            f"mirror_decoder: the mirrored decoder makes images of shape {tuple(x.shape[1:])} "
            f"but the encoder takes {image_shape} (e.g. 'valid' padding or odd sizes); pass "
            "your own decoder instead"
        )
    return keras.Model(inputs, x, name=name)


def run_network(network, inputs):
    """Calls a Keras layer / model with `training=False`, or any other callable plainly."""
    if isinstance(network, keras.layers.Layer):
        return network(inputs, training=False)
    return network(inputs)
