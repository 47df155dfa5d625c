"""DADA's generator and 2K-output discriminator (Zhang et al. 2018), any size (sides >= 8).

The layers follow the reference code (SchafferZhang/DADA, cifar10-svhn), with every
width multiplied by `width_multiplier` so small images get small networks. The
convolutions are `tfgenaug.networks.xla_safe_conv`'s, which keep an XLA-compiled step
fast where a 5x5 kernel meets a small map (the generator's 4x4 start at 32 px).
"""

from collections.abc import Sequence

import keras
from keras import layers
from keras import ops

from tfgenaug.networks import sizes
from tfgenaug.networks.blocks import OneHot
from tfgenaug.networks.validation import check_image_shape
from tfgenaug.networks.weight_norm import WeightNormalization
from tfgenaug.networks.xla_safe_conv import XlaSafeConv2D
from tfgenaug.networks.xla_safe_conv import XlaSafeConv2DTranspose
from tfgenaug.validation import check_positive_int

NUM_UPSAMPLINGS = 3


@keras.saving.register_keras_serializable(package="tfgenaug")
class LabelMaps(layers.Layer):
    """Concatenates one-hot labels to a feature map as constant channels.

    Call arguments:
        inputs: a list `[features (N, H, W, F), one_hot (N, K)]`.

    Returns:
        `(N, H, W, F + K)`.
    """

    def call(self, inputs):
        features, one_hot = inputs
        one_hot = ops.cast(one_hot, features.dtype)[:, None, None, :]
        shape = ops.shape(features)
        maps = ops.broadcast_to(one_hot, (shape[0], shape[1], shape[2], one_hot.shape[-1]))
        return ops.concatenate([features, maps], axis=-1)

    def compute_output_shape(self, input_shape):
        features, one_hot = input_shape
        return (*features[:-1], features[-1] + one_hot[-1])


def _scaled(channels: int, width_multiplier: float) -> int:
    return max(1, int(round(channels * width_multiplier)))


def _check_multiplier(width_multiplier: float) -> float:
    if isinstance(width_multiplier, bool) or not width_multiplier > 0:
        raise ValueError(f"width_multiplier must be a number > 0; got {width_multiplier!r}")
    return float(width_multiplier)


def dada_generator(
    image_shape: Sequence[int],
    num_classes: int,
    noise_dim: int = 100,
    width_multiplier: float = 1.0,
    name: str = "generator",
) -> keras.Model:
    """Builds DADA's class-conditional generator mapping `[noise, labels]` to images.

    The one-hot label is concatenated to the noise; a dense layer (batch norm, ReLU)
    makes a `ceil(h/8) x ceil(w/8) x 512m` map; three 5x5 stride-2 transposed
    convolutions go to `256m`, `128m` and the image channels, each preceded by the
    one-hot label tiled as extra channels; the first two have batch norm (no scale) and
    ReLU, the last weight normalization and `tanh`, centre-cropped to `(h, w)` when `h`
    or `w` is not a multiple of 8. The reference draws the noise from U[0, 1).

    Batch normalization is synchronized, so `MirroredStrategy` normalises over the
    global batch and matches one device.

    Args:
        image_shape: `(height, width, channels)`, height and width >= 8, 1 or 3
            channels.
        num_classes: int. Number of classes K; labels are ints in [0, K).
        noise_dim: int. Size of the noise vector. Defaults to 100.
        width_multiplier: float. Multiplies every width (512, 256, 128). Defaults to 1.
        name: str. Model name. Defaults to `"generator"`.

    Returns:
        A functional `keras.Model` with inputs `[noise float32 (N, noise_dim), labels
        int32 (N,)]` and output images float32 `(N, *image_shape)` in [-1, 1].

    Example:
    ```python
    generator = dada_generator((16, 16, 1), num_classes=10, width_multiplier=0.25)
    images = generator([keras.random.uniform((4, 100)), np.array([0, 1, 2, 3])])
    ```
    """
    height, width, channels = check_image_shape(image_shape)
    check_positive_int(num_classes, "num_classes")
    check_positive_int(noise_dim, "noise_dim")
    width_multiplier = _check_multiplier(width_multiplier)
    start_h, start_w = sizes.start_shape(height, width, NUM_UPSAMPLINGS)
    widths = [_scaled(c, width_multiplier) for c in (512, 256, 128)]

    noise = keras.Input((noise_dim,), name="noise")
    labels = keras.Input((), dtype="int32", name="labels")
    one_hot = OneHot(num_classes, name="one_hot")(labels)
    x = layers.Concatenate(name="noise_and_label")([noise, one_hot])
    x = layers.Dense(start_h * start_w * widths[0], use_bias=False, name="project")(x)
    x = _batch_norm_relu(x, "project")
    x = layers.Reshape((start_h, start_w, widths[0]), name="to_map")(x)
    for i, filters in enumerate([*widths[1:], channels]):
        x = LabelMaps(name=f"labels{i}")([x, one_hot])
        deconv = XlaSafeConv2DTranspose(
            filters, 5, strides=2, padding="same", use_bias=i == NUM_UPSAMPLINGS - 1,
            name=f"deconv{i}",
        )
        if i < NUM_UPSAMPLINGS - 1:
            x = _batch_norm_relu(deconv(x), f"deconv{i}")
        else:
            x = WeightNormalization(deconv, name=f"deconv{i}_wn")(x)
    x = sizes.center_crop(x, height, width, name="crop")
    images = layers.Activation("tanh", dtype="float32", name="tanh")(x)
    return keras.Model([noise, labels], images, name=name)


def _batch_norm_relu(x, prefix: str):
    x = layers.BatchNormalization(
        synchronized=True, scale=False, momentum=0.9, name=f"{prefix}_norm"
    )(x)
    return layers.ReLU(name=f"{prefix}_relu")(x)


def dada_discriminator(
    image_shape: Sequence[int],
    num_classes: int,
    width_multiplier: float = 1.0,
    gaussian_noise: float = 0.2,
    dropout: float = 0.5,
    name: str = "discriminator",
    logits_per_class: int = 2,
) -> keras.Model:
    """Builds DADA's discriminator with 2K logits: a real and a fake logit per class.

    Gaussian noise on the inputs; three 3x3 convolutions of `96m` channels (the third
    with stride 2), dropout; three of `192m` (the third with stride 2), dropout; a
    3x3 convolution of `192m` with "valid" padding, two 1x1 convolutions of `192m`
    (network in network), global average pooling (the `"features"` output used for
    feature matching) and a dense layer of 2K logits. Every convolution and the dense
    layer are weight-normalized; activations are LeakyReLU(0.2). The logits are read
    as `(2, K)`: row 0 the real logits, row 1 the fake logits (see
    `tfgenaug.trainers.dada_heads`).

    At 8 px the map is 2x2 before the valid convolution; there it uses "same"
    padding so the features keep a 2x2 map (at 16 px: 4x4 -> 2x2, at 32 px: 8x8 ->
    6x6 as in the reference); any size works, the pooling is global.

    Args:
        image_shape: `(height, width, channels)`, height and width >= 8.
        num_classes: int. Number of classes K.
        width_multiplier: float. Multiplies every width (96, 192). Defaults to 1.
        gaussian_noise: float. Standard deviation of the input noise; 0 disables it.
            Defaults to 0.2.
        dropout: float. Dropout rate after each block; 0 disables it. Defaults to 0.5.
        name: str. Model name. Defaults to `"discriminator"`.
        logits_per_class: int. 2 for DADA's real and fake logit per class; 1 for the K
            class logits of Improved-GAN's semi-supervised discriminator (its fake
            class's logit fixed at 0; see `semi_supervised_discriminator`). Defaults
            to 2.

    Returns:
        A functional `keras.Model` from images `(N, *image_shape)` to a dict
        `{"logits": (N, logits_per_class * K), "features": (N, 192m)}`.

    Example:
    ```python
    discriminator = dada_discriminator((16, 16, 1), num_classes=10, width_multiplier=0.25)
    outputs = discriminator(images)  # outputs["logits"]: (N, 20)
    ```
    """
    height, width, _ = check_image_shape(image_shape)
    check_positive_int(num_classes, "num_classes")
    width_multiplier = _check_multiplier(width_multiplier)
    if not gaussian_noise >= 0.0:
        raise ValueError(f"gaussian_noise must be >= 0; got {gaussian_noise}")
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout must be in [0, 1); got {dropout}")
    if logits_per_class not in (1, 2):
        raise ValueError(f"logits_per_class must be 1 or 2; got {logits_per_class!r}")
    narrow, wide = _scaled(96, width_multiplier), _scaled(192, width_multiplier)

    images = keras.Input(tuple(image_shape), name="images")
    x = images
    if gaussian_noise:
        x = layers.GaussianNoise(gaussian_noise, name="input_noise")(x)
    for block, filters in enumerate((narrow, wide)):
        for i in range(3):
            x = _conv(x, filters, 3, strides=2 if i == 2 else 1, padding="same",
                      name=f"conv{block}_{i}")
        if dropout:
            x = layers.Dropout(dropout, name=f"dropout{block}")(x)
    side = min(-(-height // 4), -(-width // 4))  # the map after two "same" stride-2 steps
    x = _conv(x, wide, 3, strides=1, padding="valid" if side >= 3 else "same", name="conv2_0")
    x = _conv(x, wide, 1, strides=1, padding="valid", name="nin0")
    x = _conv(x, wide, 1, strides=1, padding="valid", name="nin1")
    features = layers.GlobalAveragePooling2D(name="features")(x)
    logits = WeightNormalization(
        layers.Dense(logits_per_class * num_classes, name="dense_logits"), init_scale=0.1,
        name="logits"
    )(features)
    logits = layers.Activation("linear", dtype="float32", name="logits_float32")(logits)
    return keras.Model(images, {"logits": logits, "features": features}, name=name)


def semi_supervised_discriminator(
    image_shape: Sequence[int],
    num_classes: int,
    width_multiplier: float = 1.0,
    gaussian_noise: float = 0.2,
    dropout: float = 0.5,
    name: str = "discriminator",
) -> keras.Model:
    """Improved-GAN's discriminator (Salimans et al. 2016): DADA's network with K logits.

    The same weight-normalized network-in-network as `dada_discriminator` (its
    `"features"` are what the generator's feature matching uses), with one logit per
    class; the fake class's logit is the constant 0 (see
    `tfgenaug.trainers.losses.semi_supervised_unlabelled_loss`).

    Args:
        image_shape: `(height, width, channels)`, height and width >= 8.
        num_classes: int. Number of classes K.
        width_multiplier: float. Multiplies every width (96, 192). Defaults to 1.
        gaussian_noise: float. Standard deviation of the input noise. Defaults to 0.2.
        dropout: float. Dropout rate after each block. Defaults to 0.5.
        name: str. Model name. Defaults to `"discriminator"`.

    Returns:
        A functional `keras.Model` from images to `{"logits": (N, K), "features": (N, F)}`.

    Example:
    ```python
    discriminator = semi_supervised_discriminator((8, 8, 1), 10, width_multiplier=0.25)
    ```
    """
    return dada_discriminator(image_shape, num_classes, width_multiplier, gaussian_noise,
                              dropout, name=name, logits_per_class=1)


def _conv(x, filters: int, kernel_size: int, strides: int, padding: str, name: str):
    conv = XlaSafeConv2D(filters, kernel_size, strides=strides, padding=padding, name=name)
    x = WeightNormalization(conv, name=f"{name}_wn")(x)
    return layers.LeakyReLU(0.2, name=f"{name}_lrelu")(x)
