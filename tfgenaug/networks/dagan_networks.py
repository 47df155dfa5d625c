"""DAGAN's networks (Antoniou et al. 2017): an image-conditioned U-Net generator, a pair critic.

The generator maps a real image and noise to another image meant to be of the same
class: an encoder of stride-2 convolutions, the noise projected onto the bottleneck,
and a decoder that doubles each map (nearest neighbour, which XLA compiles with its
gradient), crops it to the size of its encoder twin and concatenates it (U-Net
skips), so any `(height, width)` >= 8 works, odd sides included. The critic
judges a pair `(image, partner)` stacked on the channel axis: a real pair is two images
of one class, a fake pair an image and the generator's transform of it. Both normalise
per example (layer normalisation), so a replica's batch never changes another image's
output: WGAN-GP's per-example gradient penalty and `MirroredStrategy` need that. The
convolutions are `tfgenaug.networks.xla_safe_conv`'s, which keep an XLA-compiled step
fast where a kernel exceeds a small map (the 3x3 stride-2 encoder at 8 and 16 px).
"""

from collections.abc import Sequence

import keras
from keras import layers

from tfgenaug.networks import sizes
from tfgenaug.networks.validation import check_image_shape
from tfgenaug.networks.xla_safe_conv import XlaSafeConv2D
from tfgenaug.validation import check_positive_int

MAX_GENERATOR_DOWNSAMPLINGS = 3


def dagan_generator(
    image_shape: Sequence[int],
    noise_dim: int = 32,
    width: int = 32,
    name: str = "dagan_generator",
) -> keras.Model:
    """Builds DAGAN's U-Net generator `[images, noise] -> images`.

    Args:
        image_shape: `(height, width, channels)`, height and width >= 8, 1 or 3
            channels; images in [-1, 1].
        noise_dim: int. Size of the noise vector. Defaults to 32.
        width: int. Channels of the first encoder block (doubling per block).
            Defaults to 32.
        name: str. Model name. Defaults to `"dagan_generator"`.

    Returns:
        A functional `keras.Model` with inputs `[images (N, *image_shape), noise
        (N, noise_dim)]` and output images `(N, *image_shape)` in [-1, 1], float32.

    Example:
    ```python
    generator = dagan_generator((28, 28, 1), noise_dim=32)
    variants = generator([images, tf.random.normal([len(images), 32])])
    ```
    """
    height, image_width, channels = check_image_shape(image_shape)
    check_positive_int(noise_dim, "noise_dim")
    check_positive_int(width, "width")
    depth = min(sizes.doublings(height, image_width) + 1, MAX_GENERATOR_DOWNSAMPLINGS)

    images = keras.Input(tuple(image_shape), name="images")
    noise = keras.Input((noise_dim,), name="noise")
    x = XlaSafeConv2D(width, 3, padding="same", name="stem")(images)
    x = layers.LeakyReLU(0.2, name="stem_lrelu")(x)
    skips = [x]
    for i in range(depth):
        x = _block(x, sizes.channels(width, i + 1), 2, f"down{i}")
        skips.append(x)
    bottleneck_height, bottleneck_width = x.shape[1], x.shape[2]
    cells = bottleneck_height * bottleneck_width
    z = layers.Dense(cells * 8, name="noise_projection")(noise)
    z = layers.Reshape((bottleneck_height, bottleneck_width, 8), name="noise_map")(z)
    x = layers.Concatenate(name="bottleneck_noise")([x, z])
    for i, skip in enumerate(reversed(skips[:-1])):
        if x.shape[1:3] != skip.shape[1:3]:  # doubled, then cropped to the twin's size
            x = layers.UpSampling2D(2, name=f"up{i}_upsample")(x)
            x = sizes.center_crop(x, skip.shape[1], skip.shape[2], name=f"up{i}_crop")
        x = layers.Concatenate(name=f"up{i}_skip")([x, skip])
        x = _block(x, skip.shape[-1], 1, f"up{i}")
    x = XlaSafeConv2D(channels, 3, padding="same", name="to_image")(x)
    outputs = layers.Activation("tanh", dtype="float32", name="images_out")(x)
    return keras.Model([images, noise], outputs, name=name)


def dagan_critic(
    image_shape: Sequence[int],
    width: int = 32,
    name: str = "dagan_critic",
) -> keras.Model:
    """Builds DAGAN's pair critic `[images, partners] -> {"logits": (N,)}`.

    A 3x3 stem, strided 4x4 convolutions that halve the stacked pair down to a map of
    smaller side 4..7 (doubling channels from `width`), and a 3x3 convolution there
    (same channels), all LeakyReLU 0.2 with layer normalisation after the stem; a dense
    layer gives one logit per pair.

    Args:
        image_shape: `(height, width, channels)` of one image of the pair.
        width: int. Channels of the first convolution. Defaults to 32.
        name: str. Model name. Defaults to `"dagan_critic"`.

    Returns:
        A functional `keras.Model` with inputs `[images, partners]` (both
        `(N, *image_shape)`) and output `{"logits": (N,)}` in float32.

    Example:
    ```python
    critic = dagan_critic((28, 28, 1))
    real = critic([images, same_class_partners])["logits"]
    ```
    """
    height, image_width, _ = check_image_shape(image_shape)
    check_positive_int(width, "width")
    images = keras.Input(tuple(image_shape), name="images")
    partners = keras.Input(tuple(image_shape), name="partners")
    x = layers.Concatenate(name="pair")([images, partners])
    # A stride-1 stem and a stride-1 layer at the bottom: at 8x8 (one halving) the critic
    # still has three layers to compare the two images; with one, it judged realism alone
    # and 23-60 % of the generator's outputs kept their source's class (issue 21).
    x = XlaSafeConv2D(width, 3, padding="same", name="stem")(x)
    x = layers.LeakyReLU(0.2, name="stem_lrelu")(x)
    doublings = sizes.doublings(height, image_width)
    for i in range(doublings):
        x = _block(x, sizes.channels(width, i + 1), 2, f"down{i}", kernel=4)
    x = _block(x, sizes.channels(width, doublings), 1, "bottom")
    x = layers.Flatten(name="features")(x)
    logits = layers.Dense(1, name="logit")(x)
    logits = layers.Reshape((), name="logits_flat")(logits)
    logits = layers.Activation("linear", dtype="float32", name="logits")(logits)
    return keras.Model([images, partners], {"logits": logits}, name=name)


def _block(x, filters: int, strides: int, name: str, kernel: int = 3):
    x = XlaSafeConv2D(filters, kernel, strides=strides, padding="same", name=f"{name}_conv")(x)
    x = layers.LayerNormalization(axis=[1, 2, 3], name=f"{name}_norm")(x)
    return layers.LeakyReLU(0.2, name=f"{name}_lrelu")(x)
