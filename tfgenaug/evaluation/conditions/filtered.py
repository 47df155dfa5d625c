"""The `wgan_gp_filtered` condition: GAN samples kept only where a teacher agrees.

When generative augmentation misses its goals, does filtering the generated samples by
a classifier's confidence help? Everything here sees the few-shot
training images only (the judge of `train_generator`, trained on the whole train pool,
would leak); the real test split scores the final classifier once, in
`tfgenaug.evaluation.evaluate_condition`. For one `EvalConfig`:

1. **Teacher**: the benchmark's `small_cnn` trained plain on the training images (the
   `plain` row's classifier, same seed and budget).
2. **Pool**: `FILTER_POOL_PER_CLASS` samples per class from the `wgan_gp` generator
   (the condition's SavedModel), fixed noise from the seed.
3. **Filter**: a sample is kept when the teacher's most likely class is the class it was
   generated for, with probability `>= FILTER_THRESHOLD`; the rest are dropped (and
   counted per class).
4. **Classifier**: a fresh `small_cnn`, `config.steps` batches of `config.batch_size`:
   half of each batch real images, half kept samples (both shuffled, each stream
   drawn uniformly), as `GANAugment(rate=0.5)` makes the `wgan_gp` row's batches. With
   no sample kept it trains on real batches only, and says so.
"""

import dataclasses

import keras
import numpy as np
import tensorflow as tf

from tfgenaug import savedmodels
from tfgenaug.data.autotuning import without_autotuning
from tfgenaug.evaluation import registry
from tfgenaug.evaluation.classifier import train_classifier
from tfgenaug.evaluation.config import EvalConfig

FILTER_POOL_PER_CLASS = 200
FILTER_THRESHOLD = 0.9


def filter_by_teacher(images: np.ndarray, labels: np.ndarray, teacher: keras.Model,
                      threshold: float) -> np.ndarray:
    """Which generated images `teacher` assigns to their own class with enough confidence.

    Args:
        images: generated images `(N, H, W, C)` in the teacher's input range.
        labels: the classes they were generated for, `(N,)`.
        teacher: a classifier returning logits `(N, K)`.
        threshold: float in (0, 1]. Softmax probability of the generated class needed.

    Returns:
        A boolean mask `(N,)`: argmax is the generated class and its probability
        `>= threshold`.

    Raises:
        ValueError: `threshold` outside (0, 1], or images and labels of other lengths.
    """
    if isinstance(threshold, bool) or not 0.0 < float(threshold) <= 1.0:
        raise ValueError(f"threshold must be a number in (0, 1]; got {threshold!r}")
    labels = np.asarray(labels).reshape(-1)
    if len(images) != len(labels):
        raise ValueError(f"images and labels must have the same length; got {len(images)} "
                         f"and {len(labels)}")
    probabilities = tf.nn.softmax(teacher.predict(images, batch_size=256, verbose=0)).numpy()
    predicted = probabilities.argmax(axis=-1)
    confidence = probabilities[np.arange(len(labels)), labels]
    return (predicted == labels) & (confidence >= threshold)


def half_and_half_batches(real: tuple[np.ndarray, np.ndarray],
                          generated: tuple[np.ndarray, np.ndarray], batch_size: int,
                          seed: int) -> tf.data.Dataset:
    """Endless batches, the first `batch_size // 2` rows real, the rest generated.

    Each half is drawn from its own shuffled, repeated stream.
    """
    def stream(images, labels, size, offset):
        ds = tf.data.Dataset.from_tensor_slices((images.astype(np.float32),
                                                 labels.astype(np.int32)))
        ds = ds.shuffle(len(labels), seed=seed + offset, reshuffle_each_iteration=True)
        return ds.repeat().batch(size, drop_remainder=True)

    half = batch_size // 2
    ds = tf.data.Dataset.zip(stream(*real, batch_size - half, 0),
                             stream(*generated, half, 1))
    ds = ds.map(lambda a, b: (tf.concat([a[0], b[0]], 0), tf.concat([a[1], b[1]], 0)))
    return without_autotuning(ds.prefetch(tf.data.AUTOTUNE))


def train_filtered(config: EvalConfig, images: np.ndarray, labels: np.ndarray,
                   num_classes: int) -> tuple[keras.Model, dict]:
    """Trains the `wgan_gp_filtered` classifier (see the module docstring).

    Args:
        config: the cell's `EvalConfig`; `config.generator` is the `wgan_gp` export.
        images: float32 training images `(N, H, W, C)` in [-1, 1].
        labels: their int class ids `(N,)`.
        num_classes: int. K.

    Returns:
        `(classifier, details)`; `details` (JSON-serialisable) has `pool`, `kept`,
        `kept_per_class`, `threshold` and `teacher_train_accuracy`.

    Example:
    ```python
    config = EvalConfig(condition="wgan_gp_filtered", count=5, generator="runs/x/export")
    images, labels, _, _, info = select_training_data(config)
    classifier, details = train_filtered(config, images, labels, info.num_classes)
    ```
    """
    plain = dataclasses.replace(config, condition="plain")
    teacher = train_classifier(plain, images, labels, num_classes)
    generator = savedmodels.load(config.generator)
    wanted = np.repeat(np.arange(num_classes, dtype=np.int32), FILTER_POOL_PER_CLASS)
    pool = generator(wanted, seed=config.seed).numpy() * 2.0 - 1.0  # [0, 1] -> [-1, 1]
    keep = filter_by_teacher(pool, wanted, teacher, FILTER_THRESHOLD)
    kept_images, kept_labels = pool[keep], wanted[keep]
    real = (images.astype(np.float32), labels.astype(np.int32))
    if len(kept_labels) >= config.batch_size // 2:
        batches = half_and_half_batches(real, (kept_images, kept_labels), config.batch_size,
                                        config.seed)
    else:
        batches = None  # too few kept: train on the real batches only
    classifier = train_classifier(plain, images, labels, num_classes, batches=batches)
    details = {
        "pool": int(len(wanted)),
        "kept": int(len(kept_labels)),
        "kept_per_class": np.bincount(kept_labels, minlength=num_classes).tolist(),
        "threshold": FILTER_THRESHOLD,
        "generated_share": 0.5 if batches is not None else 0.0,
    }
    return classifier, details


def train_filtered_condition(config: EvalConfig, data: registry.TrainingSet) -> registry.Trained:
    """A `Condition.train`: `train_filtered`, its details under `"filtered"`."""
    classifier, details = train_filtered(config, data.images, data.labels, data.num_classes)
    return registry.Trained(classifier, {"filtered": details})
