"""Class-conditional DCGAN-style generators for images of any size (sides >= 8)."""

from collections.abc import Sequence

import keras
from keras import layers

from tfgenaug.networks import sizes
from tfgenaug.networks.blocks import OneHot
from tfgenaug.networks.validation import check_image_shape
from tfgenaug.networks.validation import check_normalization
from tfgenaug.validation import check_positive_int


def normalization_layer(kind: str, name: str) -> keras.layers.Layer | None:
    """Returns the normalization layer for `kind` ("batch", "layer" or "none")."""
    if kind == "batch":
        # Synchronized so MirroredStrategy computes statistics over the global batch
        # and matches one device; it is plain batch norm without a strategy.
        return layers.BatchNormalization(synchronized=True, name=name)
    if kind == "layer":
        return layers.LayerNormalization(axis=[1, 2, 3], name=name)
    return None


def conditional_generator(
    image_shape: Sequence[int],
    num_classes: int,
    noise_dim: int = 128,
    width: int = 32,
    normalization: str = "batch",
    name: str = "generator",
) -> keras.Model:
    """Builds a class-conditional DCGAN generator mapping `[noise, labels]` to images.

    The one-hot label is concatenated to the noise vector; a dense layer makes a
    small feature map (4x4 for the powers of two; see `tfgenaug.networks.sizes` for any
    size) that transposed convolutions (kernel 4, stride 2) double until the image size,
    halving the channels each time; a 3x3 convolution and `tanh` give images in [-1, 1],
    centre-cropped to the image size when the doublings overshoot it.

    Args:
        image_shape: `(height, width, channels)`, height and width >= 8, 1 or 3
            channels.
        num_classes: int. Number of classes K; labels are ints in [0, K).
        noise_dim: int. Size of the noise vector. Defaults to 128.
        width: int. Channels of the last hidden layer; earlier layers have
            `width * 2**i`, up to `16 * width`. Defaults to 32.
        normalization: `"batch"`, `"layer"` or `"none"` after each hidden layer.
            Defaults to `"batch"`.
        name: str. Model name. Defaults to `"generator"`.

    Returns:
        A functional `keras.Model` with inputs `[noise float32 (N, noise_dim),
        labels int32 (N,)]` and output images float32 `(N, *image_shape)`.

    Example:
    ```python
    generator = conditional_generator((16, 16, 1), num_classes=10)
    images = generator([keras.random.normal((4, 128)), np.array([0, 1, 2, 3])])
    ```
    """
    height, image_width, channels = check_image_shape(image_shape)
    check_positive_int(num_classes, "num_classes")
    check_positive_int(noise_dim, "noise_dim")
    check_positive_int(width, "width")
    check_normalization(normalization)
    steps = sizes.doublings(height, image_width)
    start_h, start_w = sizes.start_shape(height, image_width, steps)

    noise = keras.Input((noise_dim,), name="noise")
    labels = keras.Input((), dtype="int32", name="labels")
    one_hot = OneHot(num_classes, name="one_hot")(labels)
    x = layers.Concatenate(name="noise_and_label")([noise, one_hot])
    filters = sizes.channels(width, steps)
    x = layers.Dense(start_h * start_w * filters, use_bias=normalization == "none",
                     name="project")(x)
    x = layers.Reshape((start_h, start_w, filters), name="to_map")(x)
    x = _norm_act(x, normalization, "project")
    for i in range(steps):
        filters = sizes.channels(width, steps - 1 - i)
        x = layers.Conv2DTranspose(filters, 4, strides=2, padding="same",
                                   use_bias=normalization == "none", name=f"up{i}")(x)
        x = _norm_act(x, normalization, f"up{i}")
    images = layers.Conv2D(channels, 3, padding="same", activation="tanh", name="to_image")(x)
    images = sizes.center_crop(images, height, image_width, name="crop")
    return keras.Model([noise, labels], images, name=name)


def _norm_act(x, normalization: str, prefix: str):
    norm = normalization_layer(normalization, f"{prefix}_norm")
    if norm is not None:
        x = norm(x)
    return layers.ReLU(name=f"{prefix}_relu")(x)
