"""`GANAugment`: replaces or appends a share of each batch with generated samples."""

import math
from collections.abc import Sequence

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from tfgenaug.data.batch_checks import BatchSpec
from tfgenaug.data.value_range import check_value_range
from tfgenaug.data.value_range import from_model_range
from tfgenaug.layers.batch_contract import BatchAugmentationLayer
from tfgenaug.layers.batch_contract import labels_like
from tfgenaug.layers.batch_contract import unpack_batch
from tfgenaug.layers.class_probabilities import resolve_class_probs
from tfgenaug.layers.class_probabilities import resolve_class_quality
from tfgenaug.layers.class_probabilities import weighted_class_probs
from tfgenaug.layers.generator_source import GeneratorSource
from tfgenaug.layers.generator_source import resolve_generator
from tfgenaug.layers.untracked_networks import deserialize_network
from tfgenaug.layers.untracked_networks import load_layer_variables
from tfgenaug.layers.untracked_networks import load_network_weights
from tfgenaug.layers.untracked_networks import network_weights
from tfgenaug.layers.untracked_networks import save_network_weights
from tfgenaug.trainers.noise import check_truncation
from tfgenaug.trainers.noise import draw_noise
from tfgenaug.validation import check_number

MODES = ("replace", "append")


@keras.saving.register_keras_serializable(package="tfgenaug")
class GANAugment(BatchAugmentationLayer):
    """Replaces or appends a share of each batch with samples of a conditional generator.

    Each call draws `round(rate * batch_size)` classes (by `class_probs`) and as many
    noise vectors, runs the generator once on them (with `training=False`, no gradient
    into it), converts its images into `value_range` and either puts them in place of a
    random subset of the batch's rows (`mode="replace"`, the batch size is unchanged) or
    after the batch (`mode="append"`). The generated rows get the labels of the classes
    they were generated for, in the form the real labels came in: int class ids
    `(B,)` or `(B, 1)`, or one-hot `(B, K)` rows, in the labels' dtype. Images come out
    in the layer's compute dtype (float32). At `training=False` the batch is returned
    unchanged.

    **Note:** This layer is safe to use inside a `tf.data` pipeline (graph mode, e.g.
    `ds.batch(32).map(layer)`, with `(images, labels)` tuples or dicts) and inside a
    functional model, where it is active in `fit()` and the identity in `predict()`
    and `evaluate()`. It works on batches (rank-4 NHWC images), so batch before mapping.
    It needs the TensorFlow backend. The generator's weights are not trainable weights
    of the layer (a model containing it does not update the generator) but are saved
    with it in a `.keras` file.

    References:
        - [Data Augmentation Generative Adversarial Networks (DAGAN)](
          https://arxiv.org/abs/1711.04340).
        - [DADA: Deep Adversarial Data Augmentation for Extremely Low Data Regime
          Classification](https://arxiv.org/abs/1809.00981).
        - [MixUp](https://arxiv.org/abs/1710.09412), whose layer contract this follows.

    Args:
        generator: the class-conditional generator: a trainer (anything with
            `.generator` and `.num_classes`), a generator `keras.Model` mapping
            `[noise float32 (N, Z), labels int32 (N,)]` to images in [-1, 1], or the path
            (str) of a SavedModel export (a version directory, or a base directory whose
            newest numeric version is used; its images are in [0, 1]).
        rate: float in [0, 1]. Share of each batch that is generated:
            `round(rate * batch_size)` rows (halves rounded up). Defaults to `0.5`.
        mode: `"replace"` (generated rows take the place of a random subset of rows; the
            batch size is unchanged) or `"append"` (generated rows follow the batch,
            which grows). Defaults to `"replace"`.
        class_probs: how the classes of generated rows are drawn: `None` for uniform,
            a list of `num_classes` non-negative probabilities summing to 1, or
            `"balanced"` for probabilities proportional to `1 / class_counts`, so rare
            classes get most generated samples. Defaults to `None`.
        class_counts: list of `num_classes` positive per-class counts of the real
            training data (e.g. `info.train_counts`); needed by, and only used with,
            `class_probs="balanced"`. Defaults to `None`.
        class_quality: optional per-class scores of the generator that multiply the
            class probabilities (renormalised), so classes whose samples a judge
            rejects get fewer generated rows: a list of `num_classes` non-negative
            numbers, or the name of a per-class score the generator's SavedModel
            export carries from its run's judge: `"label_agreement"` (the share of
            its samples a classifier trained on real images gives their class),
            `"precision"` or `"coverage"`. Defaults to `None` (no weighting).
        value_range: `(low, high)`, the range of the user's images; generated images are
            converted into it (the generator's -1 maps to `low`, 1 to `high`).
            Defaults to `(0, 255)`, as in Keras image layers.
        seed: int. Seed of the classes, noise and replaced rows drawn; the same seed
            gives the same output for a fresh layer. Defaults to `None` (random).
        num_classes: int. Number of classes K. Needed for a generator `keras.Model`
            without an `Embedding`, `CategoryEncoding` or layer with a `num_classes`
            attribute; otherwise read from the generator (and checked if given).
            Defaults to `None`.
        noise_distribution: `"normal"` or `"uniform"`, the generator's noise. Read from
            a trainer or SavedModel; for a generator `keras.Model` it defaults to
            `"normal"`. Defaults to `None`.
        truncation: optional float > 0: the generator's normal noise redrawn where
            `|z| > truncation` (the truncation trick of Brock et al. 2019: samples
            nearer the generator's typical output, less varied). Defaults to `None`.
        range_check: bool. Whether each training batch's images are checked against
            `value_range` (values up to half its span beyond it pass). Defaults to
            `True`.
        **kwargs: base layer keyword arguments, such as `name` and `dtype`.

    Call arguments:
        data: a dict `{"images": images, "labels": labels}` or a tuple
            `(images, labels)`; `layer(images, labels)` (what `ds.map(layer)` does with
            tuple elements) works too. The output has the same structure.
        training: bool. Augment only when `True`. Defaults to `True` when the layer is
            called directly; inside a model Keras passes the model's mode.

    Example:
    ```python
    augment = GANAugment(trainer, rate=0.25, class_probs="balanced",
                         class_counts=info.train_counts, value_range=(-1, 1), seed=0)
    train_ds = train_ds.batch(32).map(augment).prefetch(tf.data.AUTOTUNE)
    classifier.fit(train_ds, epochs=10)

    # Or from an exported generator, inside a model (active in fit() only). The
    # augmented labels feed the loss, e.g. through a layer that calls `add_loss`.
    images = keras.Input((28, 28, 1))
    labels = keras.Input((), dtype="int32")
    aug_images, aug_labels = GANAugment("/models/gen", value_range=(0, 1))(
        (images, labels))
    probabilities = classifier(aug_images)
    ```
    """

    def __init__(
        self,
        generator,
        rate: float = 0.5,
        mode: str = "replace",
        class_probs: str | Sequence[float] | None = None,
        class_counts: Sequence[int] | None = None,
        class_quality: str | Sequence[float] | None = None,
        value_range: Sequence[float] = (0, 255),
        seed: int | None = None,
        num_classes: int | None = None,
        noise_distribution: str | None = None,
        truncation: float | None = None,
        range_check: bool = True,
        **kwargs,
    ):
        super().__init__(range_check=range_check, **kwargs)
        check_number(rate, "rate", minimum=0, maximum=1)
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}; got {mode!r}")
        self.rate = float(rate)
        self.mode = mode
        self.value_range = check_value_range(value_range)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        # A plain dataclass, so Keras does not track the generator: its weights must not
        # become trainable weights of a model holding this layer. They are saved by
        # `save_own_variables` instead.
        self._source: GeneratorSource = resolve_generator(
            generator, num_classes=num_classes, noise_distribution=noise_distribution
        )
        self.truncation = check_truncation(truncation, self._source.noise_distribution)
        self.class_probabilities = weighted_class_probs(
            resolve_class_probs(class_probs, class_counts, self._source.num_classes),
            resolve_class_quality(class_quality, self._source.quality, self._source.num_classes),
        )
        self.class_probs = _config_value(class_probs)
        self.class_counts = _config_value(class_counts)
        self.class_quality = _config_value(class_quality)
        with np.errstate(divide="ignore"):
            self._logits = np.log(self.class_probabilities)[None, :].astype("float32")
        # A restored SavedModel function is not known to compile with XLA.
        self.supports_jit = self._source.model is not None

    # ----------------------------------------------------------------- properties
    @property
    def num_classes(self) -> int:
        return self._source.num_classes

    @property
    def noise_dim(self) -> int:
        return self._source.noise_dim

    @property
    def noise_distribution(self) -> str:
        return self._source.noise_distribution

    @property
    def image_shape(self) -> tuple[int, int, int]:
        return self._source.image_shape

    # ----------------------------------------------------------------- calling
    def get_random_transformation(self, data, training=True, seed=None):
        """Draws the classes, noise and (in replace mode) the rows to replace.

        Returns:
            `None` when not training, else a dict with `classes` int32 `(n,)`, `noise`
            float32 `(n, noise_dim)` and, in replace mode, `indices` int32 `(n,)`: the
            distinct rows that generated samples replace.
        """
        if not training:
            return None
        images = data["images"] if isinstance(data, dict) else data[0]
        batch_size = ops.shape(images)[0]
        num_generated = self.num_generated(batch_size)
        seed = self.seed_generator if seed is None else seed
        classes = keras.random.categorical(self._logits, num_generated, dtype="int32", seed=seed)
        transformation = {
            "classes": ops.reshape(classes, (-1,)),
            "noise": draw_noise((num_generated, self.noise_dim), self.noise_distribution,
                                seed=seed, truncation=self.truncation),
        }
        if self.mode == "replace":
            rows = keras.random.shuffle(ops.arange(batch_size, dtype="int32"), seed=seed)
            transformation["indices"] = rows[:num_generated]
        return transformation

    def num_generated(self, batch_size):
        """`round(rate * batch_size)`, halves up: a Python int for a static batch size."""
        if isinstance(batch_size, int):
            return int(math.floor(self.rate * batch_size + 0.5))
        # float64 so a dynamic batch size rounds exactly as the Python expression does.
        scaled = tf.cast(batch_size, tf.float64) * self.rate + 0.5
        return tf.cast(tf.floor(scaled), tf.int32)

    def transform_images(self, images, transformation, training=True):
        images = ops.cast(images, self.compute_dtype)
        if not training or transformation is None:
            return images
        generated = self._source.sample(transformation["classes"], transformation["noise"])
        generated = from_model_range(ops.stop_gradient(generated), self.value_range)
        generated = ops.cast(generated, self.compute_dtype)
        return self._merge(images, generated, transformation)

    def transform_labels(self, labels, transformation, training=True):
        if not training or transformation is None:
            return labels
        generated = labels_like(transformation["classes"], labels, self.num_classes)
        return self._merge(labels, generated, transformation)

    def _merge(self, real, generated, transformation):
        if self.mode == "append":
            return ops.concatenate([real, generated], axis=0)
        return ops.scatter_update(real, ops.expand_dims(transformation["indices"], -1), generated)

    # ----------------------------------------------------------------- checks
    def _unpack(self, data):
        return unpack_batch(data, "GANAugment")

    def batch_spec(self) -> BatchSpec:
        return self.spec(
            image_shape=self.image_shape,
            image_shape_source="the generator's images",
            num_classes=self.num_classes,
        )

    def compute_output_spec(self, data, training=True):
        images, labels, pack = self._unpack(data)
        self.check_batch(images, labels)
        batch_size = images.shape[0]
        if self.mode == "append" and batch_size is not None:
            batch_size += self.num_generated(batch_size)
        return pack(
            keras.KerasTensor((batch_size, *images.shape[1:]), dtype=self.compute_dtype),
            keras.KerasTensor((batch_size, *labels.shape[1:]), dtype=labels.dtype),
        )

    # ----------------------------------------------------------------- saving
    def _generator_weights(self) -> dict[str, list]:
        return {"generator": network_weights(self._source.model)}

    def save_own_variables(self, store) -> None:
        super().save_own_variables(store)
        save_network_weights(store, self._generator_weights())

    def load_own_variables(self, store) -> None:
        load_layer_variables(self, store)
        load_network_weights(store, self._generator_weights(), f"GANAugment '{self.name}'")

    def get_config(self) -> dict:
        if self._source.path is not None:
            generator = self._source.path
        else:
            generator = keras.saving.serialize_keras_object(self._source.model)
        config = {
            "generator": generator,
            "rate": self.rate,
            "mode": self.mode,
            "class_probs": self.class_probs,
            "class_counts": self.class_counts,
            "class_quality": self.class_quality,
            "value_range": list(self.value_range),
            "seed": self.seed,
            "num_classes": self.num_classes,
            "noise_distribution": self.noise_distribution,
            "truncation": self.truncation,
        }
        base_config = super().get_config()
        return {**base_config, **config}

    @classmethod
    def from_config(cls, config: dict):
        config = dict(config)
        if isinstance(config.get("generator"), dict):
            # Registers the custom layers of tfgenaug's generator networks.
            import tfgenaug.networks.blocks  # noqa: F401

            config["generator"] = deserialize_network(config["generator"])
        return cls(**config)


def _config_value(value):
    """JSON-friendly copy of a list-like argument (NumPy arrays and scalars to Python)."""
    if value is None or isinstance(value, str):
        return value
    return np.asarray(value).tolist()
