"""DFG's experimental protocol: which classes are rare, which images measure the
attention, and how the source network is pretrained (Suh et al. 2020, opensuh/DFG).
"""

import keras
import numpy as np
import tensorflow as tf
from absl import logging

from tfgenaug.validation import check_positive_int


def choose_minority_classes(num_classes: int, minor_class_num: int, seed: int = 0) -> list[int]:
    """DFG's imbalance protocol: the first `minor_class_num` classes of a seeded shuffle.

    Pass the result to `tfgenaug.data.imbalance(ds, minority_classes, ratio)` (which keeps
    `int(majority * ratio)` images of each) and to `DFG(minority_classes=...)`.

    Args:
        num_classes: int. K.
        minor_class_num: int in [1, K]. How many classes become rare.
        seed: int. Seed of the shuffle. Defaults to 0.

    Returns:
        Sorted list of class ids.

    Raises:
        ValueError: `minor_class_num` outside [1, num_classes].

    Example:
    ```python
    minority = choose_minority_classes(10, 3, seed=0)
    ```
    """
    check_positive_int(num_classes, "num_classes")
    if (
        isinstance(minor_class_num, bool)
        or not isinstance(minor_class_num, int)
        or not 1 <= minor_class_num <= num_classes
    ):
        raise ValueError(
            f"minor_class_num must be an int in [1, {num_classes}] (num_classes); "
            f"got {minor_class_num!r}"
        )
    order = np.random.default_rng(seed).permutation(num_classes)
    return sorted(int(k) for k in order[:minor_class_num])


def attention_sample(images, labels, per_class: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """The first `per_class` images of each class (fewer if a class has fewer).

    Args:
        images: array `(N, ...)`.
        labels: int array `(N,)`.
        per_class: int. Defaults to 10 (the reference).

    Returns:
        `(images, labels)` NumPy arrays of the chosen examples, in their input order.
    """
    check_positive_int(per_class, "per_class")
    images, labels = np.asarray(images), np.asarray(labels).reshape(-1)
    if len(images) != len(labels):
        raise ValueError(
            f"images and labels must have the same length; got {len(images)} and {len(labels)}"
        )
    keep = np.zeros(len(labels), dtype=bool)
    for class_id in np.unique(labels):
        keep[np.flatnonzero(labels == class_id)[:per_class]] = True
    return images[keep], labels[keep]


def pretrain_source(
    extractor: keras.Model,
    classifier: keras.Model,
    images,
    labels,
    steps: int,
    batch_size: int = 64,
    seed: int = 0,
    learning_rate: float = 1e-3,
) -> dict[str, float]:
    """Trains E and C together on source data with cross-entropy (Adam).

    Batches are drawn by a seeded shuffle, so the run is reproducible for given
    initial weights.

    Args:
        extractor: E, images to feature maps.
        classifier: C, feature maps to logits `(N, K)`.
        images: float array `(N, H, W, C)`.
        labels: int array `(N,)`.
        steps: int. Optimizer steps.
        batch_size: int. Defaults to 64.
        seed: int. Seed of the shuffle. Defaults to 0.
        learning_rate: float. Adam's learning rate. Defaults to 1e-3.

    Returns:
        `{"loss": ..., "accuracy": ...}` averaged over the steps.

    Raises:
        ValueError: bad `steps` or `batch_size`, or images and labels of different
            lengths.

    Example:
    ```python
    extractor, classifier = lenet5_split((16, 16, 1), 10)
    pretrain_source(extractor, classifier, images, labels, steps=500)
    ```
    """
    check_positive_int(steps, "steps")
    check_positive_int(batch_size, "batch_size")
    images = np.asarray(images, dtype=np.float32)
    labels = np.asarray(labels).reshape(-1).astype(np.int32)
    if len(images) != len(labels):
        raise ValueError(
            f"images and labels must have the same length; got {len(images)} and {len(labels)}"
        )
    inputs = keras.Input(tuple(extractor.input_shape[1:]), name="images")
    model = keras.Model(inputs, classifier(extractor(inputs)), name="source_model")
    model.compile(
        keras.optimizers.Adam(learning_rate),
        keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    data = (
        tf.data.Dataset.from_tensor_slices((images, labels))
        .shuffle(len(labels), seed=seed, reshuffle_each_iteration=True)
        .repeat()
        .batch(batch_size, drop_remainder=len(labels) >= batch_size)
    )
    history = model.fit(data, steps_per_epoch=steps, epochs=1, verbose=0, shuffle=False).history
    if history["loss"] and not np.isfinite(history["loss"][-1]):
        logging.warning("pretrain_source: the loss is not finite")
    return {"loss": float(history["loss"][-1]), "accuracy": float(history["accuracy"][-1])}
