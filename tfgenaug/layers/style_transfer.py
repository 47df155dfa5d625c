"""`StyleTransferAugment`: renders a share of each batch in the styles of chosen images."""

import math
from collections.abc import Sequence

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from tfgenaug.data.batch_checks import BatchSpec
from tfgenaug.data.value_range import check_value_range
from tfgenaug.data.value_range import from_model_range
from tfgenaug.data.value_range import to_model_range
from tfgenaug.layers.batch_contract import BatchAugmentationLayer
from tfgenaug.layers.batch_contract import class_ids
from tfgenaug.layers.batch_contract import labels_like
from tfgenaug.layers.batch_contract import unpack_batch
from tfgenaug.layers.untracked_networks import UntrackedNetworks
from tfgenaug.layers.untracked_networks import deserialize_network
from tfgenaug.layers.untracked_networks import load_layer_variables
from tfgenaug.layers.untracked_networks import load_network_weights
from tfgenaug.layers.untracked_networks import save_network_weights
from tfgenaug.layers.untracked_networks import serialize_network
from tfgenaug.styletransfer.adain import DEFAULT_EPS
from tfgenaug.styletransfer.adain import adain_with_statistics
from tfgenaug.styletransfer.adain import channel_statistics
from tfgenaug.styletransfer.encoder import input_shape_of
from tfgenaug.styletransfer.encoder import output_shape_of
from tfgenaug.styletransfer.encoder import run_network
from tfgenaug.styletransfer.pseudo_labels import check_threshold
from tfgenaug.styletransfer.pseudo_labels import teacher_probabilities
from tfgenaug.validation import check_number

_NETWORKS = ("encoder", "decoder", "teacher")


@keras.saving.register_keras_serializable(package="tfgenaug")
class StyleTransferAugment(BatchAugmentationLayer):
    """Replaces a share of each batch by its content rendered in other images' styles.

    Each call picks `round(rate * batch_size)` random rows and, for each, a random style
    image (among those of `style_classes`); the row's image is encoded, given the style
    image's per-channel feature mean and standard deviation (AdaIN), blended with its own
    features by `alpha`, decoded, clipped and converted back into `value_range`. Without a
    `teacher` a stylised row keeps its label (style transfer keeps the content). With a
    `teacher` it gets the teacher's predicted class (a pseudo-label, as in ST-DA), and with
    a `threshold` too, a stylised row the teacher is less confident about than that is
    left as it was, image and label: a batch cannot drop rows, so "dropped" means "not
    replaced". Labels keep their form: int class ids `(B,)` / `(B, 1)` or one-hot
    `(B, K)`. At `training=False` the batch is returned unchanged.

    The style images' feature statistics are computed once, when the layer is made (and
    again when weights are loaded); the encoder, decoder and teacher run with
    `training=False` and get no gradient.

    **Note:** This layer is safe to use inside a `tf.data` pipeline (graph mode, e.g.
    `ds.batch(32).map(layer)`, with `(images, labels)` tuples or dicts) and inside a
    functional model. It works on batches (rank-4 NHWC images), so batch before mapping.
    It needs the TensorFlow backend. `get_config` stores the style images as lists (keep
    them few) and needs Keras models as networks.

    References:
        - Mikołajczyk, Grochowski, Kwasigroch, "Improving generalization via style
          transfer-based data augmentation: Novel regularization method" (ST-DA).
        - Huang & Belongie, [Arbitrary Style Transfer in Real-time with Adaptive Instance
          Normalization](https://arxiv.org/abs/1703.06868), ICCV 2017.
        - [MixUp](https://arxiv.org/abs/1710.09412), whose layer contract this follows.

    Args:
        encoder: a `keras.Model` mapping images in [-1, 1] to features `(h, w, c)`, e.g.
            `styletransfer.encoder_from_classifier(classifier, "block1_relu0")`.
        decoder: a `keras.Model` mapping those features to images in [-1, 1], e.g. the
            `decoder` of a trained `trainers.style_decoder.StyleDecoderTrainer`.
        style_images: array `(S, H, W, C)` of style images in `value_range`.
        style_labels: int class ids `(S,)` of the style images; needed with
            `style_classes`. Defaults to `None`.
        style_classes: the classes whose style images are used (e.g. ST-DA's
            malignant class), or `None` for all. Defaults to `None`.
        rate: float in [0, 1]. Share of each batch that is stylised:
            `round(rate * batch_size)` rows (halves up). Defaults to `0.5`.
        alpha: float in [0, 1]. Style strength: `alpha * AdaIN(E(x), style) +
            (1 - alpha) * E(x)` is decoded. Defaults to `1.0`.
        value_range: `(low, high)`, the range of the user's images (and of
            `style_images`). Defaults to `(0, 255)`.
        seed: int. Seed of the rows and styles drawn. Defaults to `None` (random).
        teacher: optional classifier `keras.Model` mapping images in [-1, 1] to logits
            (or probabilities, when it ends in a softmax) `(N, K)`: pseudo-labels the
            stylised rows. Defaults to `None`.
        threshold: float in (0, 1] or `None`. Teacher confidence below which a
            stylised row is not used. Needs a `teacher`. Defaults to `None`.
        eps: float. AdaIN's variance stabiliser. Defaults to `1e-5`.
        range_check: bool. Whether each training batch's images are checked against
            `value_range` (values up to half its span beyond it pass). Defaults to
            `True`.
        **kwargs: base layer keyword arguments, such as `name`.

    Call arguments:
        data: a dict `{"images": images, "labels": labels}` or a tuple
            `(images, labels)`; `layer(images, labels)` works too. Same structure out.
        training: bool. Augment only when `True`. Defaults to `True`.

    Example:
    ```python
    augment = StyleTransferAugment(encoder, trainer.decoder, x_styles, style_labels=y_styles,
                                   style_classes=[1], rate=0.5, value_range=(-1, 1),
                                   teacher=teacher, threshold=0.9, seed=0)
    train_ds = train_ds.batch(32).map(augment).prefetch(tf.data.AUTOTUNE)
    classifier.fit(train_ds, epochs=10, validation_data=real_validation_ds)
    ```
    """

    def __init__(
        self,
        encoder,
        decoder,
        style_images,
        style_labels: Sequence[int] | None = None,
        style_classes: Sequence[int] | None = None,
        rate: float = 0.5,
        alpha: float = 1.0,
        value_range: Sequence[float] = (0, 255),
        seed: int | None = None,
        teacher=None,
        threshold: float | None = None,
        eps: float = DEFAULT_EPS,
        range_check: bool = True,
        **kwargs,
    ):
        super().__init__(range_check=range_check, **kwargs)
        self.rate = check_number(rate, "rate", minimum=0, maximum=1)
        self.alpha = check_number(alpha, "alpha", minimum=0, maximum=1)
        self.value_range = check_value_range(value_range)
        if threshold is not None:
            if teacher is None:
                raise ValueError("threshold needs a teacher: pass teacher=<classifier>")
            threshold = check_threshold(threshold)
        self.threshold = threshold
        self.seed = seed
        self.eps = float(eps)
        self.seed_generator = keras.random.SeedGenerator(seed)
        # Untracked: the networks' weights must not become (trainable) weights of a model
        # holding the layer. They are saved by `save_own_variables` instead.
        self._networks = UntrackedNetworks(encoder=encoder, decoder=decoder, teacher=teacher)
        self.image_shape = _image_shape(encoder, decoder)
        self.style_images = np.asarray(style_images, np.float32)
        if self.style_images.ndim != 4 or self.style_images.shape[1:] != self.image_shape:
            raise ValueError(
                f"style_images must have shape (S, {', '.join(map(str, self.image_shape))}) "
                f"(the encoder's input); got {self.style_images.shape}"
            )
        self.style_labels = None if style_labels is None else _class_ids(
            style_labels, len(self.style_images)
        )
        self.style_classes = None if style_classes is None else [int(c) for c in style_classes]
        self._style_rows = self._chosen_styles()
        self._compute_style_statistics()
        self.supports_jit = True

    # ----------------------------------------------------------------- set-up
    def _chosen_styles(self) -> np.ndarray:
        if self.style_classes is None:
            rows = np.arange(len(self.style_images))
        else:
            if self.style_labels is None:
                raise ValueError("style_classes needs style_labels, the classes of style_images")
            rows = np.flatnonzero(np.isin(self.style_labels, self.style_classes))
        if len(rows) == 0:
            raise ValueError(
                f"style_images holds no image of style_classes={self.style_classes}"
                if self.style_classes is not None else "style_images must hold at least one image"
            )
        return rows

    def _compute_style_statistics(self) -> None:
        styles = to_model_range(self.style_images[self._style_rows], self.value_range)
        means, stds = [], []
        for start in range(0, len(styles), 64):
            features = run_network(self.encoder, tf.constant(styles[start : start + 64]))
            mean, std = channel_statistics(tf.cast(features, tf.float32), self.eps)
            means.append(mean.numpy())
            stds.append(std.numpy())
        self._style_mean = np.concatenate(means)
        self._style_std = np.concatenate(stds)

    @property
    def encoder(self):
        return self._networks["encoder"]

    @property
    def decoder(self):
        return self._networks["decoder"]

    @property
    def teacher(self):
        return self._networks["teacher"]

    # ----------------------------------------------------------------- calling
    def call(self, data, training=True):
        images, labels, pack = self.checked_batch(data, training)
        images = ops.cast(images, self.compute_dtype)
        transformation = self.get_random_transformation(
            {"images": images, "labels": labels}, training=training
        )
        if not training or transformation is None:
            return pack(images, labels)
        return pack(*self._augment(images, labels, transformation))

    def get_random_transformation(self, data, training=True, seed=None):
        """Draws the rows to stylise and their styles.

        Returns:
            `None` when not training, else a dict with `indices` int32 `(n,)`, distinct
            rows of the batch, and `styles` int32 `(n,)`, indices into the chosen style
            images.
        """
        if not training:
            return None
        images = data["images"] if isinstance(data, dict) else data[0]
        batch_size = ops.shape(images)[0]
        count = self.num_stylised(batch_size)
        seed = self.seed_generator if seed is None else seed
        rows = keras.random.shuffle(ops.arange(batch_size, dtype="int32"), seed=seed)
        styles = keras.random.randint(
            (count,), 0, len(self._style_rows), dtype="int32", seed=seed
        )
        return {"indices": rows[:count], "styles": styles}

    def num_stylised(self, batch_size):
        """`round(rate * batch_size)`, halves up: a Python int for a static batch size."""
        if isinstance(batch_size, int):
            return int(math.floor(self.rate * batch_size + 0.5))
        scaled = tf.cast(batch_size, tf.float64) * self.rate + 0.5
        return tf.cast(tf.floor(scaled), tf.int32)

    def stylise(self, content, styles):
        """Content images in [-1, 1] `(n, H, W, C)` rendered in chosen styles `(n,)`."""
        features = tf.cast(run_network(self.encoder, content), tf.float32)
        mean = tf.gather(tf.constant(self._style_mean), styles)
        std = tf.gather(tf.constant(self._style_std), styles)
        target = adain_with_statistics(features, mean, std, self.eps)
        target = self.alpha * target + (1.0 - self.alpha) * features
        images = tf.cast(run_network(self.decoder, target), tf.float32)
        return tf.stop_gradient(tf.clip_by_value(images, -1.0, 1.0))

    def _augment(self, images, labels, transformation):
        rows = transformation["indices"]
        # One extra row (a copy of row 0) so the networks never see an empty batch,
        # which batch normalization cannot take; it is dropped below.
        padded_rows = ops.concatenate([rows, ops.zeros((1,), "int32")], axis=0)
        padded_styles = ops.concatenate(
            [transformation["styles"], ops.zeros((1,), "int32")], axis=0
        )
        content = to_model_range(ops.take(images, padded_rows, axis=0), self.value_range)
        stylised = self.stylise(content, padded_styles)
        replacement = ops.cast(from_model_range(stylised[:-1], self.value_range), images.dtype)
        new_labels = None
        if self.teacher is not None:
            probabilities = teacher_probabilities(self.teacher, stylised)[:-1]
            pseudo = tf.argmax(probabilities, axis=-1, output_type=tf.int32)
            keep = tf.ones_like(pseudo, tf.bool)
            if self.threshold is not None:
                keep = tf.reduce_max(probabilities, axis=-1) >= self.threshold
            # Rows the teacher is unsure of stay exactly as they were.
            original = ops.take(images, rows, axis=0)
            replacement = tf.where(keep[:, None, None, None], replacement, original)
            old = class_ids(ops.take(labels, rows, axis=0))
            new_labels = labels_like(tf.where(keep, pseudo, old), labels)
        indices = ops.expand_dims(rows, -1)
        images = ops.scatter_update(images, indices, replacement)
        if new_labels is not None:
            labels = ops.scatter_update(labels, indices, new_labels)
        return images, labels

    # ----------------------------------------------------------------- checks
    def _unpack(self, data):
        return unpack_batch(data, "StyleTransferAugment")

    def batch_spec(self) -> BatchSpec:
        return self.spec(image_shape=self.image_shape,
                         image_shape_source="the encoder's input")

    def compute_output_spec(self, data, training=True):
        images, labels, pack = self._unpack(data)
        self.check_batch(images, labels)
        return pack(
            keras.KerasTensor(images.shape, dtype=self.compute_dtype),
            keras.KerasTensor(labels.shape, dtype=labels.dtype),
        )

    # ----------------------------------------------------------------- saving
    def save_own_variables(self, store) -> None:
        super().save_own_variables(store)
        save_network_weights(store, self._networks.weights())

    def load_own_variables(self, store) -> None:
        load_layer_variables(self, store)
        load_network_weights(
            store, self._networks.weights(), f"StyleTransferAugment '{self.name}'"
        )
        # The style statistics depend on the encoder's weights.
        self._compute_style_statistics()

    def get_config(self) -> dict:
        networks = {
            key: serialize_network(network, "StyleTransferAugment.get_config", key)
            for key, network in self._networks.items()
        }
        config = {
            **networks,
            "style_images": self.style_images.tolist(),
            "style_labels": None if self.style_labels is None else self.style_labels.tolist(),
            "style_classes": self.style_classes,
            "rate": self.rate,
            "alpha": self.alpha,
            "value_range": list(self.value_range),
            "seed": self.seed,
            "threshold": self.threshold,
            "eps": self.eps,
        }
        return {**super().get_config(), **config}

    @classmethod
    def from_config(cls, config: dict):
        config = dict(config)
        for key in _NETWORKS:
            if key in config:
                config[key] = deserialize_network(config[key])
        return cls(**config)


# --------------------------------------------------------------------- helpers
def _image_shape(encoder, decoder) -> tuple[int, ...]:
    try:
        shape = input_shape_of(encoder)
    except ValueError as error:
        raise ValueError(
            "encoder must be a built keras.Model with one input of known shape (H, W, C)"
        ) from error
    if getattr(decoder, "outputs", None) and output_shape_of(decoder) != shape:
        raise ValueError(
            f"decoder must make images of the encoder's input shape {shape}; got "
            f"{output_shape_of(decoder)}"
        )
    return shape


def _class_ids(labels, count: int) -> np.ndarray:
    labels = np.asarray(labels).reshape(-1)
    if len(labels) != count or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(
            f"style_labels must be {count} int class ids (one per style image); got "
            f"{labels.shape} of dtype {labels.dtype}"
        )
    return labels.astype(np.int32)

