"""The pool pseudo-labelled by a teacher: what the ssgan-taught rows train on.

`pseudo_labelled_set` asks a teacher classifier (the `ssgan` row's EMA discriminator)
for the class probabilities of the rest of the train pool and keeps the images it
predicts with probability `>= threshold`, the same number per class, most confident
first (`tfgenaug.selftrain.select_confident`, as the `self_training` row selects).
"""

import dataclasses

import numpy as np
import tensorflow as tf

from tfgenaug.evaluation import registry
from tfgenaug.selftrain import select_confident

PSEUDO_LABEL_THRESHOLD = 0.95  # the self_training row's
PREDICT_BATCH_SIZE = 256


@dataclasses.dataclass
class PseudoLabelled:
    """The labelled images followed by the pool images a teacher labelled.

    Attributes:
        images: float32 `(N + M, H, W, C)`.
        labels: int64 `(N + M,)`: the true labels, then the pseudo-labels.
        details: JSON-serialisable: `"added"` (M) and `"pseudo_label_accuracy"` (the
            share of right pseudo-labels; `None` when none were added or the pool's
            labels are unknown, -1).
    """

    images: np.ndarray
    labels: np.ndarray
    details: dict


def pseudo_labelled_set(teacher, training: registry.TrainingSet,
                        threshold: float | None = None) -> PseudoLabelled:
    """`training`'s labelled images plus the pool images `teacher` labels confidently.

    Args:
        teacher: anything with `predict(images) -> logits` (K columns).
        training: the cell's `TrainingSet`, with its pool.
        threshold: the least top probability kept; `None` takes
            `PSEUDO_LABEL_THRESHOLD` (read at call time).

    Returns:
        A `PseudoLabelled`.
    """
    threshold = PSEUDO_LABEL_THRESHOLD if threshold is None else threshold
    pool_images, pool_labels = training.pool
    logits = teacher.predict(pool_images, batch_size=PREDICT_BATCH_SIZE, verbose=0)
    probabilities = tf.nn.softmax(tf.cast(logits, tf.float32)).numpy()
    rows = select_confident(probabilities, threshold, class_balanced=True)
    pseudo = probabilities[rows].argmax(-1)
    known = len(rows) > 0 and pool_labels.min() >= 0
    details = {"added": int(len(rows)),
               "pseudo_label_accuracy": float(np.mean(pseudo == pool_labels[rows]))
               if known else None}
    return PseudoLabelled(
        np.concatenate([training.images, pool_images[rows]]).astype(np.float32),
        np.concatenate([training.labels, pseudo]).astype(np.int64), details)


def teacher_test_accuracy(teacher, section: str):
    """A `Trained.test_details` adding the teacher's test accuracy to `section`."""

    def measure(test_images, test_labels):
        predicted = teacher.predict(test_images, batch_size=PREDICT_BATCH_SIZE,
                                    verbose=0).argmax(-1)
        return {section: {"teacher_test_accuracy": float(np.mean(predicted == test_labels))}}

    return measure
