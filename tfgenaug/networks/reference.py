"""The reference conditional WGAN-GP networks of the throughput benchmark.

Fixed so that throughput compares across libraries: 32x32xC images, one-hot labels
concatenated to the noise for G and broadcast as K extra input channels for the
critic.

- G: `[z (N, Z), y]` -> concat one-hot -> Dense 4*4*256 -> BN -> ReLU ->
  ConvTranspose 128 -> BN -> ReLU -> ConvTranspose 64 -> BN -> ReLU ->
  ConvTranspose C -> tanh (every transposed convolution kernel 4, stride 2, `same`).
- Critic: `[x, y]` -> concat K label planes -> Conv 64 -> Conv 128 -> Conv 256 (kernel 4,
  stride 2, `same`, LeakyReLU 0.2 after each, no normalisation) -> Flatten -> Dense 1.
"""

from collections.abc import Sequence

import keras
from keras import layers
from keras import ops

from tfgenaug.networks.blocks import OneHot
from tfgenaug.networks.dada_networks import LabelMaps
from tfgenaug.validation import check_positive_int

IMAGE_SIZE = 32
START_SIZE = 4
GENERATOR_FILTERS = (256, 128, 64)
CRITIC_FILTERS = (64, 128, 256)
KERNEL = 4


@keras.saving.register_keras_serializable(package="tfgenaug")
class SqueezeLast(layers.Layer):
    """Drops the last axis of size 1: `(N, 1)` logits to `(N,)`."""

    def call(self, inputs):
        return ops.squeeze(inputs, axis=-1)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1])


def check_reference_shape(image_shape: Sequence[int]) -> tuple[int, int, int]:
    """Returns `image_shape` as ints if it is `(32, 32, 1)` or `(32, 32, 3)`.

    Raises:
        ValueError: naming `image_shape`.
    """
    shape = tuple(int(d) for d in image_shape)
    if shape not in ((IMAGE_SIZE, IMAGE_SIZE, 1), (IMAGE_SIZE, IMAGE_SIZE, 3)):
        raise ValueError(f"image_shape must be (32, 32, 1) or (32, 32, 3); got {shape}")
    return shape


def reference_generator(
    image_shape: Sequence[int] = (32, 32, 3),
    num_classes: int = 10,
    noise_dim: int = 128,
    name: str = "reference_generator",
) -> keras.Model:
    """Builds the reference conditional generator (see the module docstring).

    Batch normalization is synchronized, so that under `MirroredStrategy` its
    statistics are those of the global batch, as on one device; without a strategy it
    is plain batch normalization.

    Args:
        image_shape: `(32, 32, C)` with C = 1 or 3. Defaults to `(32, 32, 3)`.
        num_classes: int. Number of classes K. Defaults to 10.
        noise_dim: int. Size Z of the noise vector. Defaults to 128.
        name: str. Model name. Defaults to `"reference_generator"`.

    Returns:
        A functional `keras.Model` with inputs `[noise float32 (N, Z), labels int32
        (N,)]` and output images `(N, 32, 32, C)` in [-1, 1], float32 whatever the
        dtype policy.

    Example:
    ```python
    generator = reference_generator((32, 32, 1), num_classes=10)
    images = generator([keras.random.normal((4, 128)), np.array([0, 1, 2, 3])])
    ```
    """
    _, _, channels = check_reference_shape(image_shape)
    check_positive_int(num_classes, "num_classes")
    check_positive_int(noise_dim, "noise_dim")
    noise = keras.Input((noise_dim,), name="noise")
    labels = keras.Input((), dtype="int32", name="labels")
    one_hot = OneHot(num_classes, name="one_hot")(labels)
    x = layers.Concatenate(name="noise_and_label")([noise, one_hot])
    x = layers.Dense(START_SIZE * START_SIZE * GENERATOR_FILTERS[0], use_bias=False,
                     name="project")(x)
    x = layers.Reshape((START_SIZE, START_SIZE, GENERATOR_FILTERS[0]), name="to_map")(x)
    x = _batch_norm_relu(x, "project")
    for i, filters in enumerate(GENERATOR_FILTERS[1:]):
        x = layers.Conv2DTranspose(filters, KERNEL, strides=2, padding="same", use_bias=False,
                                   name=f"up{i}")(x)
        x = _batch_norm_relu(x, f"up{i}")
    x = layers.Conv2DTranspose(channels, KERNEL, strides=2, padding="same", name="to_image")(x)
    images = layers.Activation("tanh", dtype="float32", name="tanh")(x)
    return keras.Model([noise, labels], images, name=name)


def reference_critic(
    image_shape: Sequence[int] = (32, 32, 3),
    num_classes: int = 10,
    name: str = "reference_critic",
) -> keras.Model:
    """Builds the reference conditional critic (see the module docstring).

    Args:
        image_shape: `(32, 32, C)` with C = 1 or 3. Defaults to `(32, 32, 3)`.
        num_classes: int. Number of classes K. Defaults to 10.
        name: str. Model name. Defaults to `"reference_critic"`.

    Returns:
        A functional `keras.Model` with inputs `[images (N, 32, 32, C), labels int32
        (N,)]` and output `{"logits": (N,)}` (float32 whatever the dtype policy), the
        form `WGANGP` expects of a critic.

    Example:
    ```python
    critic = reference_critic((32, 32, 1), num_classes=10)
    logits = critic([images, labels])["logits"]
    ```
    """
    image_shape = check_reference_shape(image_shape)
    check_positive_int(num_classes, "num_classes")
    images = keras.Input(image_shape, name="images")
    labels = keras.Input((), dtype="int32", name="labels")
    one_hot = OneHot(num_classes, name="one_hot")(labels)
    x = LabelMaps(name="label_planes")([images, one_hot])
    for i, filters in enumerate(CRITIC_FILTERS):
        x = layers.Conv2D(filters, KERNEL, strides=2, padding="same", name=f"down{i}")(x)
        x = layers.LeakyReLU(0.2, name=f"down{i}_lrelu")(x)
    x = layers.Flatten(name="features")(x)
    x = layers.Dense(1, dtype="float32", name="logit")(x)
    logits = SqueezeLast(dtype="float32", name="squeeze")(x)
    return keras.Model([images, labels], {"logits": logits}, name=name)


def _batch_norm_relu(x, prefix: str):
    x = layers.BatchNormalization(synchronized=True, name=f"{prefix}_norm")(x)
    return layers.ReLU(name=f"{prefix}_relu")(x)
