"""The `ssgan_self_training` condition: the pool pseudo-labelled by the ssgan row's classifier.

A `tfgenaug.trainers.SemiSupervisedGAN` is trained exactly as the `ssgan` row trains it
(`ssgan.train_ssgan`, the same recipe and budget); its EMA classifier then labels the
rest of the train pool, and the benchmark's `small_cnn` is fitted, with the `classic`
row's augmentation and budget, on the labelled images plus the pool images it predicts
with probability `>= PSEUDO_LABEL_THRESHOLD` (the same number per class, most confident
first: `tfgenaug.selftrain.select_confident`, as the `self_training` row selects). The
section `"ssgan_self_training"` records how many were added, how many of their
pseudo-labels are right, and the teacher's test accuracy.
"""

import dataclasses

import numpy as np
import tensorflow as tf

from tfgenaug.evaluation import registry
from tfgenaug.evaluation.classifier import train_classifier
from tfgenaug.evaluation.conditions import ssgan
from tfgenaug.selftrain import select_confident

PSEUDO_LABEL_THRESHOLD = 0.95  # the self_training row's
PREDICT_BATCH_SIZE = 256


def train_ssgan_self_training(config, training: registry.TrainingSet) -> registry.Trained:
    """A `Condition.train`: see the module doc."""
    teacher = ssgan.train_ssgan(config, training)
    pool_images, pool_labels = training.pool
    logits = teacher.model.predict(pool_images, batch_size=PREDICT_BATCH_SIZE, verbose=0)
    probabilities = tf.nn.softmax(tf.cast(logits, tf.float32)).numpy()
    rows = select_confident(probabilities, PSEUDO_LABEL_THRESHOLD, class_balanced=True)
    pseudo = probabilities[rows].argmax(-1)
    images = np.concatenate([training.images, pool_images[rows]]).astype(np.float32)
    labels = np.concatenate([training.labels, pseudo]).astype(np.int64)
    student = train_classifier(dataclasses.replace(config, condition="classic"), images,
                               labels, training.num_classes)
    details = {"added": int(len(rows)),
               "pseudo_label_accuracy": float(np.mean(pseudo == pool_labels[rows]))
               if len(rows) else None,
               "teacher": teacher.details["ssgan"]}

    def teacher_accuracy(test_images, test_labels):
        predicted = teacher.model.predict(test_images, batch_size=PREDICT_BATCH_SIZE,
                                          verbose=0).argmax(-1)
        return {"ssgan_self_training": {
            "teacher_test_accuracy": float(np.mean(predicted == test_labels))}}

    return registry.Trained(student, {"ssgan_self_training": details}, teacher_accuracy)
