"""The `ssgan_self_training` condition: the pool pseudo-labelled by the ssgan row's classifier.

A `tfgenaug.trainers.SemiSupervisedGAN` is trained exactly as the `ssgan` row trains it
(`ssgan.train_ssgan`, the same recipe and budget); its EMA classifier then labels the
rest of the train pool (`pseudo_labels.pseudo_labelled_set`), and the benchmark's
`small_cnn` is fitted, with the `classic` row's augmentation and budget, on the
labelled images plus the pool images it labelled confidently. The section
`"ssgan_self_training"` records how many were added, how many of their pseudo-labels
are right, the teacher's recipe and its test accuracy.
"""

import dataclasses

from tfgenaug.evaluation import registry
from tfgenaug.evaluation.classifier import train_classifier
from tfgenaug.evaluation.conditions import pseudo_labels
from tfgenaug.evaluation.conditions import ssgan

SECTION = "ssgan_self_training"


def train_ssgan_self_training(config, training: registry.TrainingSet) -> registry.Trained:
    """A `Condition.train`: see the module doc."""
    teacher = ssgan.train_ssgan(config, training)
    taught = pseudo_labels.pseudo_labelled_set(teacher.model, training)
    student = train_classifier(dataclasses.replace(config, condition="classic"), taught.images,
                               taught.labels, training.num_classes)
    details = {**taught.details, "teacher": teacher.details["ssgan"]}
    return registry.Trained(student, {SECTION: details},
                            pseudo_labels.teacher_test_accuracy(teacher.model, SECTION))
