"""DFG's networks: pretrained classifiers split into a feature extractor E and a classifier C,
the class-conditional feature generator G and the feature critic D.

DFG (Discriminative Feature Generation) generates the *feature maps* that E makes of
images, not images. E is the front of a network pretrained on source data and C the
rest of it:

| builder          | split after                     | E's output for a 32-px / 224-px input |
|------------------|---------------------------------|---------------------------------------|
| `lenet5_split`   | conv1 + ReLU + 2x2 max-pool     | 14x14x6 (28/32 px); 4x4x6 (8 px)      |
| `vgg16_split`    | the first block (`block1_pool`) | 16x16x64                              |
| `resnet50_split` | conv2_x (`conv2_block3_out`)    | 56x56x256 (224 px); 8x8x256 (32 px)   |

`split_model` splits any functional model at a layer whose output is the only tensor
crossing the cut. G and D are sized from E's output shape; their convolutions are
`tfgenaug.networks.xla_safe_conv`'s, which keep an XLA-compiled step fast where a 5x5
kernel meets a small map (D's 7x7 and 4x4 maps on LeNet-5's 14x14 features).

Nothing is ever downloaded: `weights` is `None` or the path of an existing file.

References:
    - Suh et al., [Discriminative Feature Generation for Classification of Imbalanced
      Data](https://arxiv.org/abs/2010.12888); reference code opensuh/DFG.
"""

import math
import os
from collections.abc import Sequence

import keras
from keras import layers
from keras import ops

from tfgenaug.networks.blocks import OneHot
from tfgenaug.networks.classifiers import lenet5
from tfgenaug.networks.xla_safe_conv import XlaSafeConv2D
from tfgenaug.networks.xla_safe_conv import XlaSafeConv2DTranspose
from tfgenaug.validation import check_positive_int

# The reference's `nn.LeakyReLU(True)` passes `True` as the negative slope, which makes
# it the identity (slope 1). We use the slope DCGAN-style networks mean: 0.2.
LEAKY_SLOPE = 0.2


def _check_image_shape(image_shape: Sequence[int]) -> tuple[int, int, int]:
    shape = tuple(int(d) for d in image_shape)
    if len(shape) != 3 or min(shape) < 1:
        raise ValueError(f"image_shape must be (height, width, channels); got {image_shape}")
    return shape


def _check_feature_shape(feature_shape: Sequence[int]) -> tuple[int, int, int]:
    shape = tuple(int(d) for d in feature_shape)
    if len(shape) != 3 or min(shape) < 1:
        raise ValueError(
            "feature_shape must be (height, width, channels), the shape of the "
            f"extractor's feature maps; got {feature_shape}"
        )
    return shape


def _check_weights(weights) -> str | None:
    """Returns `weights` if it is `None` or the path of an existing file."""
    if weights is None:
        return None
    if isinstance(weights, str | os.PathLike) and os.path.isfile(weights):
        return os.fspath(weights)
    raise ValueError(
        "weights must be None or the path of an existing weights file (nothing is "
        f"downloaded); got {weights!r}"
    )


def split_model(
    model: keras.Model, layer_name: str, name: str | None = None
) -> tuple[keras.Model, keras.Model]:
    """Splits a functional model into an extractor and a classifier at a layer.

    The two models share the layers (and weights) of `model`: the extractor maps the
    model's input to `layer_name`'s output, the classifier maps that output to the
    model's output. The layer's output must be the only tensor the rest of the model
    reads from the front (true after a block of a VGG or a ResNet stage).

    Args:
        model: a functional `keras.Model` with one input and one output.
        layer_name: str. Name of the last layer of the extractor.
        name: str. Prefix of the two models' names. Defaults to `model.name`.

    Returns:
        `(extractor, classifier)` `keras.Model`s.

    Raises:
        ValueError: `layer_name` is not a layer of `model`.

    Example:
    ```python
    extractor, classifier = split_model(lenet5((32, 32, 1), 10), "pool1")
    ```
    """
    names = [layer.name for layer in model.layers]
    if layer_name not in names:
        raise ValueError(f"layer_name must name a layer of {model.name!r}; got {layer_name!r}")
    name = name or model.name
    cut = model.get_layer(layer_name).output
    extractor = keras.Model(model.inputs[0], cut, name=f"{name}_extractor")
    # Keras turns the intermediate tensor into a new Input of the classifier.
    classifier = keras.Model(cut, model.outputs[0], name=f"{name}_classifier")
    return extractor, classifier


def lenet5_split(
    image_shape: Sequence[int], num_classes: int, weights: str | None = None
) -> tuple[keras.Model, keras.Model]:
    """LeNet-5 split after its first convolution block (conv1, ReLU, max-pool).

    The network is `tfgenaug.networks.lenet5` (conv 6@5x5, pool, conv 16@5x5, pool,
    dense 120, 84, K). For 32-px input E gives 14x14x6 maps as in the paper; inputs
    below 32 px use `same` padding in conv1, so 28-px images also give 14x14x6, the
    bundled 16x16 digits 8x8x6 and the 8x8 digits 4x4x6: the split always keeps a
    spatial map (a 2x2 max-pool of a full-size convolution).

    Args:
        image_shape: `(height, width, channels)`, at least 8x8.
        num_classes: int. Number of classes K.
        weights: `None` (random initialisation) or the path of a weights file of the
            whole `lenet5` model (as written by `model.save_weights`). Defaults to
            `None`.

    Returns:
        `(extractor, classifier)`: images `(N, H, W, C)` to maps `(N, h, w, 6)`, and
        maps to logits `(N, K)`.

    Raises:
        ValueError: a bad `image_shape`, `num_classes` or `weights`.

    Example:
    ```python
    extractor, classifier = lenet5_split((32, 32, 1), num_classes=10)
    extractor.output_shape  # (None, 14, 14, 6)
    ```
    """
    weights = _check_weights(weights)
    model = lenet5(image_shape, num_classes)
    if weights is not None:
        model.load_weights(weights)
    return split_model(model, "pool1", name="lenet5")


def _application_split(
    application, layer_name: str, image_shape, num_classes, weights, name,
    head_widths: Sequence[int] = (), dropout: float = 0.0,
) -> tuple[keras.Model, keras.Model]:
    """A `keras.applications` base, global average pooling, a dense head, split at a layer.

    The head is a dense layer with ReLU and dropout per width of `head_widths`, then K
    logits.
    """
    shape = _check_image_shape(image_shape)
    check_positive_int(num_classes, "num_classes")
    weights = _check_weights(weights)
    base = application(include_top=False, weights=weights, input_shape=shape)
    x = layers.GlobalAveragePooling2D(name="avg_pool")(base.output)
    for i, width in enumerate(head_widths):
        x = layers.Dense(int(width), activation="relu", name=f"fc{i + 1}")(x)
        x = layers.Dropout(dropout, name=f"fc{i + 1}_dropout")(x)
    logits = layers.Dense(num_classes, name="logits")(x)
    model = keras.Model(base.inputs, logits, name=name)
    return split_model(model, layer_name)


def vgg16_split(
    image_shape: Sequence[int],
    num_classes: int,
    weights: str | None = None,
    head_widths: Sequence[int] = (4096, 512),
    dropout: float = 0.5,
) -> tuple[keras.Model, keras.Model]:
    """`keras.applications.VGG16` split after its first block (`block1_pool`).

    For 32-px input E gives 16x16x64 maps, as in the reference. The head is global
    average pooling, then dense layers of `head_widths` with ReLU and dropout, then K
    logits (the reference's head on 32-px input: its adaptive 7x7 pooling of a 1x1
    map only repeats the pooled vector).

    Args:
        image_shape: `(height, width, channels)`, at least 32x32.
        num_classes: int. Number of classes K.
        weights: `None` or the path of a weights file of VGG16 *without* its top (for
            example the ImageNet `..._notop.h5` file, fetched beforehand). Nothing is
            downloaded. Defaults to `None`.
        head_widths: ints. Widths of the hidden dense layers. Defaults to
            `(4096, 512)`.
        dropout: float. Dropout after each hidden dense layer. Defaults to 0.5.

    Returns:
        `(extractor, classifier)` `keras.Model`s.

    Raises:
        ValueError: `weights` is neither `None` nor an existing file, or a bad shape.

    Example:
    ```python
    extractor, classifier = vgg16_split((32, 32, 3), num_classes=10)
    ```
    """
    return _application_split(
        keras.applications.VGG16, "block1_pool", image_shape, num_classes, weights, "vgg16",
        head_widths=head_widths, dropout=dropout,
    )


def resnet50_split(
    image_shape: Sequence[int], num_classes: int, weights: str | None = None
) -> tuple[keras.Model, keras.Model]:
    """`keras.applications.ResNet50` split after conv2_x (`conv2_block3_out`).

    For 224-px input E gives 56x56x256 maps, as in the reference; the head is global
    average pooling and K logits.

    Args:
        image_shape: `(height, width, channels)`, at least 32x32.
        num_classes: int. Number of classes K.
        weights: `None` or the path of a weights file of ResNet50 *without* its top
            (for example the ImageNet `..._notop.h5` file, fetched beforehand).
            Nothing is downloaded. Defaults to `None`.

    Returns:
        `(extractor, classifier)` `keras.Model`s.

    Raises:
        ValueError: `weights` is neither `None` nor an existing file, or a bad shape.

    Example:
    ```python
    extractor, classifier = resnet50_split((224, 224, 3), num_classes=101)
    ```
    """
    return _application_split(
        keras.applications.ResNet50, "conv2_block3_out", image_shape, num_classes, weights,
        "resnet50",
    )


@keras.saving.register_keras_serializable(package="tfgenaug")
class ClassAttention(keras.layers.Layer):
    """Multiplies feature maps by their class's channel attention `a_y = onehot(y) . A`.

    `A` is a non-trainable `(K, channels)` weight, set by the DFG trainer from
    `class_attention` (see `tfgenaug.trainers.dfg_losses`); it starts uniform
    (`1 / channels` everywhere), i.e. every channel equally kept.

    Args:
        num_classes: int. K.
        channels: int. Channels of the feature maps.

    Call arguments:
        inputs: `[features (N, H, W, channels), labels int (N,)]`.

    Returns:
        The features times `A[labels]`, broadcast over the spatial axes.

    Example:
    ```python
    layer = ClassAttention(3, 6)
    out = layer([features, labels])
    ```
    """

    def __init__(self, num_classes: int, channels: int, **kwargs):
        super().__init__(**kwargs)
        self.num_classes = int(num_classes)
        self.channels = int(channels)
        self.attention = self.add_weight(
            shape=(self.num_classes, self.channels),
            initializer=keras.initializers.Constant(1.0 / self.channels),
            trainable=False,
            name="attention",
            aggregation="only_first_replica",
        )

    def call(self, inputs):
        features, labels = inputs
        rows = ops.take(ops.cast(self.attention, features.dtype), ops.cast(labels, "int32"), 0)
        return features * rows[:, None, None, :]

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    def get_config(self):
        return {
            **super().get_config(),
            "num_classes": self.num_classes,
            "channels": self.channels,
        }


def feature_generator(
    feature_shape: Sequence[int],
    num_classes: int,
    noise_dim: int = 100,
    width: int = 128,
    name: str = "feature_generator",
) -> keras.Model:
    """Builds DFG's class-conditional feature generator G.

    `[noise, one-hot label]` -> dense -> batch norm -> a `(h0, w0, width)` map ->
    `n` transposed convolutions (kernel 4, stride 2, `same`; batch norm, LeakyReLU
    0.2) -> centre crop to E's spatial size -> 3x3 convolution to E's channels ->
    `tanh` -> batch norm -> times the class attention `a_y` (`ClassAttention`).

    Sizing for any feature map (the reference hard-codes three layouts): `n` is the
    number of doublings that brings a start of at most 4x4 to E's size, at least
    one (`n = max(1, ceil(log2(max(h, w) / 4)))`, `h0 = ceil(h / 2**n)`), so 14x14
    starts at 4x4 (cropped from 16x16), 56x56 at 4x4, 16x16 at 4x4, and the 4x4 maps
    of 8-px digits start at 2x2. Every hidden layer has `width` channels. Batch norm is
    synchronized (plain batch norm without a strategy), so `MirroredStrategy` matches
    one device. The reference's `LeakyReLU(True)` has slope 1 (a bug: `True` is taken
    as the slope); we use 0.2.

    Args:
        feature_shape: `(h, w, channels)` of E's feature maps.
        num_classes: int. Number of classes K.
        noise_dim: int. Size of the noise vector (U(-1, 1) in DFG). Defaults to 100.
        width: int. Channels of the hidden layers. Defaults to 128.
        name: str. Model name. Defaults to `"feature_generator"`.

    Returns:
        A functional `keras.Model` with inputs `[noise (N, noise_dim), labels int32
        (N,)]` and output feature maps `(N, h, w, channels)`.

    Example:
    ```python
    generator = feature_generator((14, 14, 6), num_classes=10)
    features = generator([noise, labels])
    ```
    """
    height, width_px, channels = _check_feature_shape(feature_shape)
    check_positive_int(num_classes, "num_classes")
    check_positive_int(noise_dim, "noise_dim")
    check_positive_int(width, "width")
    doublings = max(1, math.ceil(math.log2(max(height, width_px) / 4.0)))
    start_h = math.ceil(height / 2**doublings)
    start_w = math.ceil(width_px / 2**doublings)

    noise = keras.Input((noise_dim,), name="noise")
    labels = keras.Input((), dtype="int32", name="labels")
    one_hot = OneHot(num_classes, name="one_hot")(labels)
    x = layers.Concatenate(name="noise_and_label")([noise, one_hot])
    x = layers.Dense(start_h * start_w * width, use_bias=False, name="dense")(x)
    x = layers.BatchNormalization(synchronized=True, name="dense_norm")(x)
    x = layers.Reshape((start_h, start_w, width), name="reshape")(x)
    for i in range(doublings):
        x = XlaSafeConv2DTranspose(
            width, 4, strides=2, padding="same", use_bias=False, name=f"up{i}"
        )(x)
        x = layers.BatchNormalization(synchronized=True, name=f"up{i}_norm")(x)
        x = layers.LeakyReLU(LEAKY_SLOPE, name=f"up{i}_act")(x)
    extra_h, extra_w = x.shape[1] - height, x.shape[2] - width_px
    if extra_h or extra_w:
        x = layers.Cropping2D(
            ((extra_h // 2, extra_h - extra_h // 2), (extra_w // 2, extra_w - extra_w // 2)),
            name="crop",
        )(x)
    x = XlaSafeConv2D(channels, 3, padding="same", use_bias=False, name="to_features")(x)
    x = layers.Activation("tanh", name="tanh")(x)
    x = layers.BatchNormalization(synchronized=True, name="features_norm")(x)
    features = ClassAttention(num_classes, channels, name="class_attention")([x, labels])
    return keras.Model([noise, labels], features, name=name)


def feature_critic(
    feature_shape: Sequence[int], width: int = 32, name: str = "feature_critic"
) -> keras.Model:
    """Builds DFG's feature critic D (a WGAN critic on feature maps).

    Three 5x5 stride-2 convolutions with `width`, `2 * width`, `4 * width` filters
    (32, 64, 128 by default, LeakyReLU 0.2, no normalization, which keeps the gradient
    penalty per example) and a dense layer to one output. The convolutions use `same`
    padding, which halves the size rounding up: 14x14 maps go 7, 4, 2 as with the
    reference's padding of 2, and tiny maps work too (4x4 goes 2, 1, 1; 6x6 goes
    3, 2, 1).

    Args:
        feature_shape: `(h, w, channels)` of E's feature maps.
        width: int. Filters of the first convolution. Defaults to 32.
        name: str. Model name. Defaults to `"feature_critic"`.

    Returns:
        A functional `keras.Model` from feature maps `(N, h, w, channels)` to critic
        values `(N, 1)`.

    Example:
    ```python
    critic = feature_critic((14, 14, 6))
    ```
    """
    shape = _check_feature_shape(feature_shape)
    check_positive_int(width, "width")
    features = keras.Input(shape, name="features")
    x = features
    for i, filters in enumerate((width, 2 * width, 4 * width)):
        x = XlaSafeConv2D(
            filters, 5, strides=2, padding="same", use_bias=False, name=f"conv{i}"
        )(x)
        x = layers.LeakyReLU(LEAKY_SLOPE, name=f"conv{i}_act")(x)
    x = layers.Flatten(name="flatten")(x)
    outputs = layers.Dense(1, name="critic")(x)
    return keras.Model(features, outputs, name=name)
