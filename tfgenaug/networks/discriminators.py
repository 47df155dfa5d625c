"""Class-conditional critics and discriminators for images of any size (sides >= 8)."""

from collections.abc import Sequence

import keras
from keras import layers
from keras import ops

from tfgenaug.networks import sizes
from tfgenaug.networks.spectral_norm import SpectralNormalization
from tfgenaug.networks.validation import check_image_shape
from tfgenaug.networks.validation import check_normalization
from tfgenaug.validation import check_positive_int


@keras.saving.register_keras_serializable(package="tfgenaug")
class ProjectionHead(layers.Layer):
    """Projection-discriminator output: `dense(h) + <embed(y), h>` (Miyato & Koyama 2018).

    Args:
        num_classes: int. Number of classes K.

    Call arguments:
        inputs: a list `[features (N, F), labels int32 (N,)]`.

    Returns:
        Logits of shape `(N,)`.
    """

    def __init__(self, num_classes: int, **kwargs):
        super().__init__(**kwargs)
        self.num_classes = num_classes
        self.dense = layers.Dense(1, name="unconditional")

    def build(self, input_shape):
        features_shape = input_shape[0]
        self.dense.build(features_shape)
        self.embedding = self.add_weight(
            shape=(self.num_classes, features_shape[-1]),
            initializer="glorot_uniform",
            name="class_embedding",
        )

    def call(self, inputs):
        features, labels = inputs
        # A one-hot matmul, not a gather: its gradient is dense, which all-reduces
        # across replicas like every other gradient (no IndexedSlices gathers).
        one_hot = ops.one_hot(ops.cast(labels, "int32"), self.num_classes, dtype=features.dtype)
        class_vectors = ops.matmul(one_hot, ops.cast(self.embedding, features.dtype))
        projection = ops.sum(class_vectors * features, axis=-1)
        return ops.squeeze(self.dense(features), axis=-1) + projection

    def compute_output_shape(self, input_shape):
        return (input_shape[0][0],)

    def get_config(self):
        return {**super().get_config(), "num_classes": self.num_classes}


def conditional_critic(
    image_shape: Sequence[int],
    num_classes: int,
    width: int = 32,
    normalization: str = "none",
    aux_classifier: bool = False,
    dropout: float = 0.0,
    spectral_norm: bool = False,
    name: str = "critic",
) -> keras.Model:
    """Builds a class-conditional convolutional critic (WGAN) or discriminator (GAN).

    Strided 4x4 convolutions with LeakyReLU(0.2) halve the image down to a map of
    smaller side 4..7 (4x4 for the powers of two; see `tfgenaug.networks.sizes`),
    doubling channels from `width` up to `16 * width`; the flattened features go to a
    projection head that
    gives one logit per image for its label. With `aux_classifier=True` a second
    head gives K class logits (AC-GAN / AC-WGAN-GP).

    WGAN-GP's gradient penalty is per example, so its critic must not use batch
    normalization: use `"layer"` or `"none"`.

    Args:
        image_shape: `(height, width, channels)`, height and width >= 8.
        num_classes: int. Number of classes K.
        width: int. Channels of the first convolution. Defaults to 32.
        normalization: `"none"`, `"layer"` or `"batch"` after each convolution but
            the first. Defaults to `"none"`.
        aux_classifier: bool. Add a K-way class head. Defaults to `False`.
        dropout: float. Dropout rate after each convolution. Defaults to 0.
        spectral_norm: bool. Wrap every convolution and the class head in
            `tfgenaug.networks.SpectralNormalization` (Miyato et al. 2018; the usual
            critic of 128x128 GANs); a trainer's `fit` keeps the estimates moving.
            Defaults to `False`.
        name: str. Model name. Defaults to `"critic"`.

    Returns:
        A functional `keras.Model` with inputs `[images (N, *image_shape), labels
        int32 (N,)]` and output a dict `{"logits": (N,)}`, plus `"class_logits":
        (N, K)` with `aux_classifier`.

    Example:
    ```python
    critic = conditional_critic((16, 16, 1), num_classes=10)
    logits = critic([images, labels])["logits"]
    ```
    """
    height, image_width, _ = check_image_shape(image_shape)
    check_positive_int(num_classes, "num_classes")
    check_positive_int(width, "width")
    check_normalization(normalization)
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout must be in [0, 1); got {dropout}")
    num_downsamplings = sizes.doublings(height, image_width)

    images = keras.Input(tuple(image_shape), name="images")
    labels = keras.Input((), dtype="int32", name="labels")
    x = images
    for i in range(num_downsamplings):
        filters = sizes.channels(width, i)
        conv = layers.Conv2D(filters, 4, strides=2, padding="same", name=f"down{i}")
        x = (SpectralNormalization(conv, name=f"down{i}_sn") if spectral_norm else conv)(x)
        if i > 0:
            x = _critic_norm(x, normalization, f"down{i}_norm")
        x = layers.LeakyReLU(0.2, name=f"down{i}_lrelu")(x)
        if dropout:
            x = layers.Dropout(dropout, name=f"down{i}_dropout")(x)
    features = layers.Flatten(name="features")(x)
    outputs = {"logits": ProjectionHead(num_classes, name="projection")([features, labels])}
    if aux_classifier:
        head = layers.Dense(num_classes, name="class_logits")
        head = SpectralNormalization(head, name="class_logits_sn") if spectral_norm else head
        outputs["class_logits"] = head(features)
    return keras.Model([images, labels], outputs, name=name)


def _critic_norm(x, normalization: str, name: str):
    if normalization == "batch":
        return layers.BatchNormalization(synchronized=True, name=name)(x)
    if normalization == "layer":
        return layers.LayerNormalization(axis=[1, 2, 3], name=name)(x)
    return x
