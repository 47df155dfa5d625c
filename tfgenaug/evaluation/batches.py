"""A condition's training batches: real images, resampled, generated, mixed, transformed.

Every condition feeds the same classifier the same number of batches of the same size;
only what is in the batches differs. Most conditions' batches are a `BatchStream`: the
real images, optionally resampled to balance the classes (`resample`), shuffled and
batched, then optionally a share replaced by a generator's samples (`GANAugment`),
mixed within classes (`SameClassMix`) and transformed by Keras' image layers
(`classic_augmentation`), in that order.
"""

import dataclasses

import numpy as np
import tensorflow as tf
from keras import layers

from tfgenaug.data.autotuning import without_autotuning
from tfgenaug.evaluation import registry
from tfgenaug.layers import GANAugment
from tfgenaug.layers import SameClassMix

RESAMPLING = ("oversample", "smote")
# Images are in the trainers' range [-1, 1]; the digits' background is -1.
MODEL_RANGE = (-1.0, 1.0)
BACKGROUND = -1.0


def classic_augmentation(seed: int | None = None) -> layers.Pipeline:
    """The classic augmentation of the benchmark, as a `keras.layers.Pipeline`.

    Rotation by up to 10 degrees, translation and zoom by up to 10 %, contrast by up to
    20 %, on images in [-1, 1] whose background is -1 (it fills what comes into view).
    No flips: they change a digit's meaning.

    Args:
        seed: int or None. Seed of the random transformations.

    Returns:
        A `keras.layers.Pipeline` that maps a batch of images to augmented images.

    Example:
    ```python
    augment = classic_augmentation(seed=0)
    ds = ds.batch(64).map(lambda x, y: (augment(x, training=True), y))
    ```
    """
    fill = {"fill_mode": "constant", "fill_value": BACKGROUND}
    offset = 0 if seed is None else seed
    return layers.Pipeline(
        [
            layers.RandomRotation(10 / 360, seed=None if seed is None else offset, **fill),
            layers.RandomTranslation(0.1, 0.1, seed=None if seed is None else offset + 1,
                                     **fill),
            layers.RandomZoom(0.1, seed=None if seed is None else offset + 2, **fill),
            layers.RandomContrast(0.2, value_range=MODEL_RANGE,
                                  seed=None if seed is None else offset + 3),
        ],
        name="classic_augmentation",
    )


def resample(
    images: np.ndarray, labels: np.ndarray, condition: str, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Balances `(images, labels)` by random oversampling or SMOTE.

    Every class is brought to the size of the largest. SMOTE interpolates between a
    sample and one of its `k = min(5, smallest class - 1)` nearest same-class neighbours
    on flattened pixels; a class of one image can only be repeated, so SMOTE needs at
    least two images per class.

    Args:
        images: float32 images `(N, H, W, C)`.
        labels: int class ids `(N,)`.
        condition: `"oversample"` or `"smote"`.
        seed: int. Seed of the resampling.

    Returns:
        `(images, labels)` with every class as large as the largest.

    Raises:
        ValueError: an unknown `condition`, or `"smote"` with a class of one image.

    Example:
    ```python
    x, y = resample(x, y, "smote", seed=0)
    ```
    """
    if condition not in RESAMPLING:
        raise ValueError(f"condition must be one of {list(RESAMPLING)}; got {condition!r}")
    labels = np.asarray(labels).astype(np.int64)
    counts = np.bincount(labels)
    present = counts[counts > 0]
    if condition == "oversample":
        rng = np.random.default_rng(seed)
        keep = [np.flatnonzero(labels == k) for k in np.flatnonzero(counts)]
        chosen = np.concatenate(
            [np.concatenate([idx, rng.choice(idx, present.max() - len(idx))]) for idx in keep]
        )
        chosen = rng.permutation(chosen)
        return images[chosen], labels[chosen].astype(np.int32)
    if present.min() < 2:
        raise ValueError(
            "condition='smote' needs at least 2 images in every class (it interpolates "
            f"between neighbours); the smallest class has {int(present.min())}"
        )
    from imblearn.over_sampling import SMOTE  # optional dependency: the [test] extra

    smote = SMOTE(k_neighbors=int(min(5, present.min() - 1)), random_state=seed)
    flat, resampled_labels = smote.fit_resample(images.reshape(len(images), -1), labels)
    order = np.random.default_rng(seed).permutation(len(resampled_labels))
    flat = flat[order].astype(np.float32)
    return flat.reshape((-1,) + images.shape[1:]), resampled_labels[order].astype(np.int32)


@dataclasses.dataclass(frozen=True)
class BatchStream:
    """The endless, seeded batches of a condition, built from the real training images.

    Attributes:
        resample: `"oversample"`, `"smote"` (see `resample`) or `None`.
        generated: replace a share `gan_rate` of each batch by `GANAugment` samples of
            the condition's generator (uniform classes on balanced data, `∝ 1 / count`
            on imbalanced data, so that they fill the rare classes).
        same_class_mix: mix each image with another of its class in the batch.
        classic: apply `classic_augmentation` to every row, generated ones included.
        class_quality: with `generated`, `GANAugment`'s `class_quality`: the class
            probabilities weighted by a per-class score of the generator's export
            (e.g. `"label_agreement"`), so classes its judge rejects get fewer rows.
        truncation: with `generated`, `GANAugment`'s `truncation` of the generator's
            normal noise.
    """

    resample: str | None = None
    generated: bool = False
    class_quality: str | None = None
    truncation: float | None = None
    same_class_mix: bool = False
    classic: bool = False

    def __call__(self, images: np.ndarray, labels: np.ndarray, *, batch_size: int, seed: int,
                 num_classes: int, generator=None, gan_rate: float = 0.5) -> tf.data.Dataset:
        """The stream; arguments as in `training_batches`."""
        if self.resample is not None:
            images, labels = resample(images, labels, self.resample, seed=seed)
        ds = tf.data.Dataset.from_tensor_slices((images.astype(np.float32),
                                                 labels.astype(np.int32)))
        ds = ds.shuffle(len(labels), seed=seed, reshuffle_each_iteration=True).repeat()
        ds = ds.batch(batch_size, drop_remainder=True)
        if self.generated:
            if generator is None:
                raise ValueError("generated batches need a generator")
            counts = np.bincount(labels, minlength=num_classes)
            balanced = counts.min() == counts.max()
            augment = GANAugment(
                generator,
                rate=gan_rate,
                class_probs=None if balanced else "balanced",
                class_counts=None if balanced else [max(int(c), 1) for c in counts],
                class_quality=self.class_quality,
                truncation=self.truncation,
                value_range=MODEL_RANGE,
                seed=seed,
                num_classes=num_classes,
            )
            ds = ds.map(augment, num_parallel_calls=1)
        if self.same_class_mix:
            ds = ds.map(SameClassMix(value_range=MODEL_RANGE, seed=seed), num_parallel_calls=1)
        if self.classic:
            augment_images = classic_augmentation(seed)
            ds = ds.map(lambda x, y: (augment_images(x, training=True), y),
                        num_parallel_calls=1)
        return without_autotuning(ds.prefetch(tf.data.AUTOTUNE))


PLAIN = BatchStream()


def uses_classic(condition: str) -> bool:
    """Whether `condition` applies the classic Keras image layers."""
    return bool(getattr(registry.get(condition).batches, "classic", False))


def training_batches(
    images: np.ndarray,
    labels: np.ndarray,
    condition: str,
    *,
    batch_size: int,
    seed: int,
    num_classes: int,
    generator=None,
    gan_rate: float = 0.5,
) -> tf.data.Dataset:
    """The endless, seeded stream of training batches of one condition.

    Args:
        images: float32 real training images `(N, H, W, C)` in [-1, 1].
        labels: int class ids `(N,)`.
        condition: a registered condition (`tfgenaug.evaluation.CONDITIONS`).
        batch_size: int. Images per batch, generated ones included.
        seed: int. Seed of the shuffling, resampling and augmentation.
        num_classes: int. Number of classes K.
        generator: for the GAN conditions, what `GANAugment` accepts (a trainer, a
            generator model or a SavedModel path). Ignored otherwise.
        gan_rate: float. Share of each batch that is generated in the GAN conditions.

    Returns:
        A `tf.data.Dataset` of `(images, labels)` batches that repeats forever.

    Raises:
        ValueError: an unknown `condition`, a condition that makes its own batches, or
            a GAN condition without `generator`.

    Example:
    ```python
    ds = training_batches(images, labels, "classic", batch_size=64, seed=0, num_classes=10)
    ```
    """
    entry = registry.get(condition)
    if entry.batches is None:
        raise ValueError(f"condition={condition!r} makes its own batches: see {entry.module}")
    if getattr(entry.batches, "generated", False) and generator is None:
        raise ValueError(f"condition={condition!r} needs a generator (trained by "
                         f"{entry.generator_run})")
    return entry.batches(images, labels, batch_size=batch_size, seed=seed,
                         num_classes=num_classes, generator=generator, gan_rate=gan_rate)
