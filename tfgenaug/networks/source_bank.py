"""Real images by class, so an image-conditioned generator can be asked for labels.

An image-conditioned generator (DAGAN) maps `[images, noise]` to images of the source
images' classes. `SourceBank` holds real images grouped by class and returns, for each
`(noise, label)` row, one stored image of that class, picked from the bits of the noise
(so the same noise picks the same source: generation stays a pure function of
`[noise, labels]`). `label_conditioned(generator, bank)` joins the two into a
`[noise, labels] -> images` model: every consumer of class-conditional generators
(`sample`, sample grids, label agreement, `GANAugment`, the `generate` export signature)
then works with an image-conditioned one, and each output carries its source's label.
"""

from collections.abc import Sequence

import keras
import numpy as np
import tensorflow as tf

from tfgenaug.networks.validation import check_image_shape
from tfgenaug.validation import check_positive_int

# Low mantissa bits of every noise component, summed: they change with any noise.
_PICK_BITS = 0xFFFF


@keras.saving.register_keras_serializable(package="tfgenaug")
class SourceBank(keras.layers.Layer):
    """Holds `count` real images grouped by class; picks one of a label's per noise row.

    The images are non-trainable weights: saved with the model (in checkpoints and
    `.keras` files), never trained. Fill them with `set_sources` before use.

    Args:
        count: int >= 1. Number of stored images.
        image_shape: `(height, width, channels)` of the images.
        num_classes: int >= 1. Number of classes K; every class needs >= 1 image.
        **kwargs: base layer keyword arguments, such as `name`.

    Call arguments:
        inputs: `[noise float (N, Z), labels int (N,)]`.

    Returns:
        float32 source images `(N, *image_shape)`, image `i` of class `labels[i]`.

    Example:
    ```python
    bank = SourceBank(len(x), x.shape[1:], num_classes=10)
    bank.set_sources(x, y)
    sources = bank([noise, labels])
    ```
    """

    def __init__(self, count: int, image_shape: Sequence[int], num_classes: int, **kwargs):
        super().__init__(**kwargs)
        self.count = check_positive_int(count, "count")
        self.image_shape = tuple(check_image_shape(image_shape))
        self.num_classes = check_positive_int(num_classes, "num_classes")
        self.images = self.add_weight(shape=(self.count, *self.image_shape),
                                      initializer="zeros", trainable=False, name="images")
        self.class_starts = self.add_weight(shape=(self.num_classes,), initializer="zeros",
                                            trainable=False, dtype="int32",
                                            name="class_starts")
        self.class_counts = self.add_weight(shape=(self.num_classes,), initializer="zeros",
                                            trainable=False, dtype="int32",
                                            name="class_counts")
        self.built = True

    def set_sources(self, images, labels) -> None:
        """Stores `images` (float `(count, *image_shape)` in [-1, 1]) of `labels`.

        Raises:
            ValueError: naming `images` or `labels`: another count or image shape, labels
                outside [0, num_classes), or a class without an image.
        """
        images = np.asarray(images, np.float32)
        labels = np.asarray(labels).reshape(-1)
        if images.shape != (self.count, *self.image_shape):
            raise ValueError(f"images must have shape {(self.count, *self.image_shape)} "
                             f"(count, *image_shape); got {images.shape}")
        if len(labels) != self.count or not np.issubdtype(labels.dtype, np.integer):
            raise ValueError(f"labels must be {self.count} int class ids; got "
                             f"{len(labels)} of dtype {labels.dtype}")
        if labels.min() < 0 or labels.max() >= self.num_classes:
            raise ValueError(f"labels must be class ids in [0, {self.num_classes}); got values "
                             f"from {labels.min()} to {labels.max()}")
        counts = np.bincount(labels, minlength=self.num_classes)
        if np.any(counts == 0):
            raise ValueError(f"every class needs a source image; classes "
                             f"{np.flatnonzero(counts == 0).tolist()} have none")
        order = np.argsort(labels, kind="stable")
        self.images.assign(images[order])
        self.class_starts.assign(np.concatenate([[0], np.cumsum(counts)[:-1]]).astype("int32"))
        self.class_counts.assign(counts.astype("int32"))

    def call(self, inputs):
        noise, labels = inputs
        labels = tf.cast(tf.reshape(labels, [-1]), tf.int32)
        bits = tf.bitwise.bitwise_and(tf.bitcast(tf.cast(noise, tf.float32), tf.int32),
                                      _PICK_BITS)
        draw = tf.reduce_sum(bits, axis=-1)
        within = tf.math.floormod(draw, tf.maximum(tf.gather(self.class_counts, labels), 1))
        return tf.gather(tf.convert_to_tensor(self.images),
                         tf.gather(self.class_starts, labels) + within)

    def compute_output_shape(self, input_shape):
        return (input_shape[1][0], *self.image_shape)

    def get_config(self) -> dict:
        return {**super().get_config(), "count": self.count,
                "image_shape": list(self.image_shape), "num_classes": self.num_classes}


def label_conditioned(generator: keras.Model, bank: SourceBank,
                      name: str = "label_conditioned") -> keras.Model:
    """Wraps an image-conditioned generator as a `[noise, labels] -> images` model.

    Args:
        generator: `keras.Model` `[images (N, H, W, C), noise (N, Z)] -> images`.
        bank: a `SourceBank` of the generator's image shape.
        name: str. Model name. Defaults to `"label_conditioned"`.

    Returns:
        A functional `keras.Model` with inputs `[noise (N, Z), labels int32 (N,)]`:
        each row transforms a stored image of its label.

    Example:
    ```python
    sampler = label_conditioned(dagan.generator, bank)
    images = sampler([noise, labels])
    ```
    """
    noise_dim = int(generator.inputs[1].shape[-1])
    noise = keras.Input((noise_dim,), name="noise")
    labels = keras.Input((), dtype="int32", name="labels")
    sources = bank([noise, labels])
    return keras.Model([noise, labels], generator([sources, noise]), name=name)
