"""The `self_training` condition: the unlabelled rest of the train pool, pseudo-labelled.

`tfgenaug.selftrain.self_train` runs the rounds: each round fits the benchmark
classifier from scratch (`config.steps` plain steps, the global seeds set to
`config.seed` every round, batch norm recalibrated on the round's training set), then
moves the pool images it predicts with probability `>= SELF_TRAINING_THRESHOLD` (the
same number per class, most confident first, float32 softmax) into the labelled set with
their predicted class. After
`SELF_TRAINING_ROUNDS` rounds the last fit is the classifier reported, so it had the
same budget as every other condition.
"""

import dataclasses

import numpy as np
import tensorflow as tf

from tfgenaug.evaluation import registry
from tfgenaug.evaluation.classifier import build_classifier
from tfgenaug.evaluation.classifier import fit_classifier
from tfgenaug.evaluation.classifier import train_classifier
from tfgenaug.evaluation.config import EvalConfig
from tfgenaug.selftrain import self_train

SELF_TRAINING_ROUNDS = 2
SELF_TRAINING_THRESHOLD = 0.95
PREDICT_BATCH_SIZE = 256


def pool_probabilities(model, images: np.ndarray) -> np.ndarray:
    """The classifier's float32 softmax probabilities of `images` (ranked as float32)."""
    logits = model.predict(images, batch_size=PREDICT_BATCH_SIZE, verbose=0)
    return tf.nn.softmax(logits).numpy()


def self_training(config: EvalConfig, images: np.ndarray, labels: np.ndarray,
                  pool: tuple[np.ndarray, np.ndarray], num_classes: int):
    """Self-training of the benchmark classifier with `tfgenaug.selftrain.self_train`.

    Args:
        config: the cell's `EvalConfig`; every fit is its `plain` classifier.
        images: float32 labelled training images `(N, H, W, C)` in [-1, 1].
        labels: their int class ids `(N,)`.
        pool: `(pool_images, pool_labels)`, the train images left out by the selection;
            the labels are never trained on, only used to score the pseudo-labels.
        num_classes: int. K.

    Returns:
        `(model, history)`: the last fit and, per round that added images, a dict with
        `"round"`, `"added"` and `"pseudo_label_accuracy"` (the share of its
        pseudo-labels that are right).

    Example:
    ```python
    config = EvalConfig(condition="self_training", count=10)
    images, labels, _, _, info, pool = select_training_data(config, with_pool=True)
    model, history = self_training(config, images, labels, pool, info.num_classes)
    ```
    """
    plain = dataclasses.replace(config, condition="plain")
    pool_images, pool_labels = pool
    if not len(pool_labels):  # every train image is labelled: one plain fit
        return train_classifier(plain, images, labels, num_classes), []
    result = self_train(
        lambda: build_classifier(plain, images, num_classes),
        (images, labels),
        pool_images,
        rounds=SELF_TRAINING_ROUNDS,
        threshold=SELF_TRAINING_THRESHOLD,
        class_balanced=True,
        # Another dataset's images (`EvalConfig.unlabelled`) carry -1: nothing to score.
        unlabelled_labels=pool_labels if pool_labels.min() >= 0 else None,
        fit=lambda model, x, y: fit_classifier(model, plain, x, y, num_classes),
        predict_probabilities=pool_probabilities,
        seed=config.seed,
        vary_seed=False,
    )
    history = [
        {"round": entry["round"], "added": entry["added"],
         "pseudo_label_accuracy": entry["pseudo_label_accuracy"]}
        for entry in result.history if entry["added"]
    ]
    return result.model, history


def train_self_training(config: EvalConfig, data: registry.TrainingSet) -> registry.Trained:
    """A `Condition.train`: `self_training`, its rounds under `"self_training"`."""
    model, history = self_training(config, data.images, data.labels, data.pool,
                                   data.num_classes)
    return registry.Trained(model, {"self_training": history})
