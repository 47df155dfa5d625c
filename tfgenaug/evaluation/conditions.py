"""Training conditions of the efficacy benchmark: how a classifier's training batches are made.

Every condition feeds the same classifier the same number of batches of the same size;
only what is in the batches differs:

- `plain`: the real training images, shuffled.
- `classic`: Keras 3's own image layers (rotation, translation, zoom, contrast; no flips,
  which change a digit's meaning) on every batch.
- `oversample`: random oversampling, every class resampled with replacement up to the
  largest class.
- `smote`: SMOTE (imbalanced-learn) on flattened pixels, every class filled up to the
  largest class with interpolations between same-class nearest neighbours.
- `wgan_gp`, `dcgan`: `GANAugment` with a generator trained on the same images by that
  trainer; generated classes are uniform on balanced data and proportional to
  `1 / count` on imbalanced data, so that they fill the rare classes.
- `classic+wgan_gp`: `GANAugment` then the classic layers on every row.
- `wgan_gp_diffaug`: like `wgan_gp`, with a generator whose critic saw DiffAugment'ed
  images (`diffaugment="color,translation,cutout"`, Zhao et al. 2020).
- `wgan_gp_long`: like `wgan_gp`, with a generator trained 4x as many steps.
- `wgan_gp_filtered`: the `wgan_gp` generator's samples kept only where a plain
  teacher trained on the same images agrees with confidence (`tfgenaug.evaluation.
  filtered_condition`); half of each batch real, half kept samples.
- `same_class_mix`: `SameClassMix`, each image interpolated with another of its class
  in the batch (w ~ U(0, 1)).
- `fgsm`, `pgd`: half of each batch replaced by adversarial examples against the
  classifier being trained (`tfgenaug.trainers.adversarial`, ε = 16/255 of the range,
  PGD with 3 steps); the batches themselves are the plain ones.
- `self_training`: the rest of the train pool, unlabelled, is pseudo-labelled over
  rounds by the classifier (see `tfgenaug.evaluation.runner`); each fit is a plain one.
- `dada`: `GANAugment` with the generator of a DADA run.
- `dada_classifier`, `dada_classifier_aug`: no classifier is trained here; DADA's
  own EMA discriminator (trained without / with `aug`) is the classifier reported.
- `dada_network_plain`: DADA's discriminator *network* (the DADA runs' widths, its
  data-dependent weight-norm initialisation, its class head, Adam(3e-4, 0.5)) trained
  as a plain classifier on the real batches: what DADA's method adds to its own network.
- `stda`: style-transfer augmentation with pseudo-labels (`tfgenaug.evaluation.
  stda_condition`): the real images and their renderings in other classes' styles,
  labelled by a plain teacher, shuffled together; each fit is a plain one.
"""

import numpy as np
import tensorflow as tf
from keras import layers

from tfgenaug.layers import GANAugment
from tfgenaug.layers import SameClassMix

CONDITIONS = ("plain", "classic", "oversample", "smote", "wgan_gp", "dcgan", "classic+wgan_gp",
              "wgan_gp_diffaug", "wgan_gp_long", "wgan_gp_filtered", "same_class_mix", "fgsm",
              "pgd", "self_training", "dada", "dada_classifier", "dada_classifier_aug",
              "dada_network_plain", "stda")
DIFFAUGMENT_POLICY = "color,translation,cutout"
LONG_STEPS_MULTIPLIER = 4
# The generator runs the GAN conditions sample from: run name -> `TrainConfig` fields.
GENERATOR_RUNS = {
    "wgan_gp": {"trainer": "wgan_gp"},
    "dcgan": {"trainer": "dcgan"},
    "dada": {"trainer": "dada"},
    "wgan_gp_diffaug": {"trainer": "wgan_gp", "diffaugment": DIFFAUGMENT_POLICY},
    # Longer GAN training (issue 5's "find out why"): 4x the generator steps.
    "wgan_gp_long": {"trainer": "wgan_gp", "steps_multiplier": LONG_STEPS_MULTIPLIER},
}
GENERATOR_TRAINERS = tuple(GENERATOR_RUNS)
# Conditions whose classifier is a DADA run's discriminator, not the benchmark's CNN.
DADA_CLASSIFIERS = ("dada_classifier", "dada_classifier_aug")
RESAMPLING = ("oversample", "smote")
# Samples of the wgan_gp run, filtered by a teacher's confidence (its own batches).
FILTERED = "wgan_gp_filtered"
ADVERSARIAL = ("fgsm", "pgd")
# Images are in the trainers' range [-1, 1]; the digits' background is -1.
MODEL_RANGE = (-1.0, 1.0)
BACKGROUND = -1.0


def check_condition(condition: str) -> str:
    """Returns `condition` if known; otherwise raises a ValueError listing the known ones."""
    if condition not in CONDITIONS:
        raise ValueError(f"condition must be one of {list(CONDITIONS)}; got {condition!r}")
    return condition


def generator_trainer(condition: str) -> str | None:
    """The generator run a `condition` samples from (a key of `GENERATOR_RUNS`) or None."""
    check_condition(condition)
    if condition in DADA_CLASSIFIERS:
        return "dada"
    if condition == FILTERED:
        return "wgan_gp"
    name = condition.split("+")[-1]
    return name if name in GENERATOR_TRAINERS else None


def generator_run_fields(run: str, steps: int | None = None) -> dict:
    """The `TrainConfig` fields (`trainer`, maybe `diffaugment`, `steps`) of a generator run.

    Args:
        run: a key of `GENERATOR_RUNS`.
        steps: the benchmark's generator steps; the run's `steps` field is this times
            its `steps_multiplier` (1 for most runs). `None` leaves `steps` out.

    Raises:
        ValueError: naming `run` and the known runs.
    """
    if run not in GENERATOR_RUNS:
        raise ValueError(f"run must be one of {list(GENERATOR_RUNS)}; got {run!r}")
    fields = dict(GENERATOR_RUNS[run])
    multiplier = fields.pop("steps_multiplier", 1)
    if steps is not None:
        fields["steps"] = int(steps) * multiplier
    return fields


def uses_classic(condition: str) -> bool:
    """Whether `condition` applies the classic Keras image layers."""
    return check_condition(condition).split("+")[0] == "classic"


def classic_augmentation(seed: int | None = None) -> layers.Pipeline:
    """The classic augmentation of the benchmark, as a `keras.layers.Pipeline`.

    Rotation by up to 10 degrees, translation and zoom by up to 10 %, contrast by up to
    20 %, on images in [-1, 1] whose background is -1 (it fills what comes into view).

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
        condition: one of `CONDITIONS`.
        batch_size: int. Images per batch, generated ones included.
        seed: int. Seed of the shuffling, resampling and augmentation.
        num_classes: int. Number of classes K.
        generator: for the GAN conditions, what `GANAugment` accepts (a trainer, a
            generator model or a SavedModel path). Ignored otherwise.
        gan_rate: float. Share of each batch that is generated in the GAN conditions.

    Returns:
        A `tf.data.Dataset` of `(images, labels)` batches that repeats forever.

    Raises:
        ValueError: an unknown `condition`, or a GAN condition without `generator`.
    """
    check_condition(condition)
    if condition == FILTERED:
        raise ValueError(f"condition={condition!r} makes its own batches: see "
                         "tfgenaug.evaluation.filtered_condition")
    if condition in RESAMPLING:
        images, labels = resample(images, labels, condition, seed=seed)
    ds = tf.data.Dataset.from_tensor_slices((images.astype(np.float32), labels.astype(np.int32)))
    ds = ds.shuffle(len(labels), seed=seed, reshuffle_each_iteration=True).repeat()
    ds = ds.batch(batch_size, drop_remainder=True)
    trainer = generator_trainer(condition)
    if trainer is not None:
        if generator is None:
            raise ValueError(f"condition={condition!r} needs a generator (trained by {trainer})")
        counts = np.bincount(labels, minlength=num_classes)
        balanced = counts.min() == counts.max()
        augment = GANAugment(
            generator,
            rate=gan_rate,
            class_probs=None if balanced else "balanced",
            class_counts=None if balanced else [max(int(c), 1) for c in counts],
            value_range=MODEL_RANGE,
            seed=seed,
            num_classes=num_classes,
        )
        ds = ds.map(augment, num_parallel_calls=1)
    if condition == "same_class_mix":
        ds = ds.map(SameClassMix(value_range=MODEL_RANGE, seed=seed), num_parallel_calls=1)
    if uses_classic(condition):
        augment_images = classic_augmentation(seed)
        ds = ds.map(lambda x, y: (augment_images(x, training=True), y), num_parallel_calls=1)
    return ds.prefetch(tf.data.AUTOTUNE)
