"""The `ssgan_augment` condition: `GANAugment` from a generator trained on pseudo-labels.

The semi-supervised route to class-conditional samples (issue 20): the `ssgan` row's
EMA classifier labels the rest of the train pool (`pseudo_labels.pseudo_labelled_set`,
as `ssgan_self_training`), a conditional WGAN-GP is trained on the labelled images plus
those pseudo-labelled ones (the efficacy `wgan_gp` run's recipe and
`PSEUDO_LABEL_GAN_STEPS` steps), and the benchmark's `small_cnn` is fitted like
`classic+wgan_gp` (`GANAugment` with that generator, then the classic layers) on the
same images. Its baseline is `ssgan_self_training`: the same images and classic
augmentation without the generator. The section `"ssgan_augment"` records the
pseudo-labels, the teacher and the generator's final losses.
"""

import dataclasses

import keras
import numpy as np
import tensorflow as tf

from tfgenaug import data
from tfgenaug import runs
from tfgenaug.evaluation import registry
from tfgenaug.evaluation.classifier import train_classifier
from tfgenaug.evaluation.conditions import pseudo_labels
from tfgenaug.evaluation.conditions import ssgan
from tfgenaug.evaluation.generator_runs import generator_run_fields

SECTION = "ssgan_augment"
PSEUDO_LABEL_GAN_STEPS = 1500  # the efficacy benchmark's generator steps
GENERATOR_RUN = "wgan_gp"
# XLA as when its cells were measured (not "auto", whose path may differ by day).
PSEUDO_LABEL_GAN_JIT_COMPILE = True


def train_pseudo_label_generator(images: np.ndarray, labels: np.ndarray, num_classes: int,
                                 seed: int, steps: int):
    """A conditional WGAN-GP (the `wgan_gp` run's recipe) fitted on `images`, `labels`.

    Returns:
        `(trainer, final_losses)`: the trained trainer (what `GANAugment` takes) and
        its last logged losses.
    """
    keras.utils.set_random_seed(seed)
    run = runs.TrainConfig(**generator_run_fields(GENERATOR_RUN, steps), seed=seed,
                           jit_compile=PSEUDO_LABEL_GAN_JIT_COMPILE)
    info = data.DatasetInfo(
        name="pseudo_labelled", num_classes=num_classes, image_shape=tuple(images.shape[1:]),
        class_names=[str(k) for k in range(num_classes)],
        train_counts=tuple(np.bincount(labels, minlength=num_classes).tolist()),
        test_counts=(0,) * num_classes)
    trainer = runs.build_trainer(run, info)
    pairs = tf.data.Dataset.from_tensor_slices((images, labels.astype(np.int32)))
    stream = runs.training_stream(pairs, run.batch_size, seed, 0)
    history = trainer.fit(stream, steps_per_epoch=steps, epochs=1, verbose=0).history
    return trainer, {k: float(v[-1]) for k, v in history.items()}


def train_ssgan_augment(config, training: registry.TrainingSet) -> registry.Trained:
    """A `Condition.train`: see the module doc."""
    teacher = ssgan.train_ssgan(config, training)
    taught = pseudo_labels.pseudo_labelled_set(teacher.model, training)
    generator, losses = train_pseudo_label_generator(
        taught.images, taught.labels, training.num_classes, config.seed,
        PSEUDO_LABEL_GAN_STEPS)
    student = train_classifier(
        dataclasses.replace(config, condition="classic+wgan_gp", generator=generator),
        taught.images, taught.labels, training.num_classes)
    details = {**taught.details, "teacher": teacher.details["ssgan"],
               "generator": {"run": GENERATOR_RUN, "steps": PSEUDO_LABEL_GAN_STEPS,
                             "final_losses": losses}}
    return registry.Trained(student, {SECTION: details},
                            pseudo_labels.teacher_test_accuracy(teacher.model, SECTION))
