"""The `ssgan` condition: Improved-GAN's EMA discriminator, trained on the unlabelled pool too.

No classifier is trained on batches here: a `tfgenaug.trainers.SemiSupervisedGAN` learns
from the selection's labelled images and, unlabelled, every train image (the selection's
and the rest of the pool, as Improved-GAN's reference uses the whole train set), and its
EMA discriminator is the classifier reported. Its budget is its own (`SSGAN_STEPS_PER`
train steps per classifier step of the cell, batches of `SSGAN_BATCH_SIZE`, half
labelled), as DADA's runs have theirs; the section `"ssgan"` of the cell records it.
"""

import keras
import numpy as np
import tensorflow as tf

from tfgenaug import data
from tfgenaug.evaluation import registry
from tfgenaug.trainers import SemiSupervisedGAN

SSGAN_STEPS_PER = 2  # 3000 SSGAN steps for the cells' 1500 classifier steps
SSGAN_BATCH_SIZE = 100  # the reference's labelled and unlabelled batches of 100, together
SSGAN_WIDTH_MULTIPLIER = 0.5
SSGAN_INIT_IMAGES = 500  # the reference's data-dependent initialisation batch


def train_ssgan(config, training: registry.TrainingSet) -> registry.Trained:
    """A `Condition.train`: a `SemiSupervisedGAN`'s EMA classifier (see the module doc)."""
    keras.utils.set_random_seed(config.seed)
    pool_images = training.pool[0] if training.pool is not None else training.images[:0]
    unlabelled = np.concatenate([training.images, pool_images]).astype(np.float32)
    steps = SSGAN_STEPS_PER * config.steps
    trainer = SemiSupervisedGAN(training.images.shape[1:], training.num_classes,
                                width_multiplier=SSGAN_WIDTH_MULTIPLIER, seed=config.seed)
    trainer.initialize(unlabelled[:SSGAN_INIT_IMAGES])
    trainer.compile(jit_compile=True)
    batches = data.semi_supervised_batches(
        tf.data.Dataset.from_tensor_slices((training.images, training.labels)),
        tf.data.Dataset.from_tensor_slices(unlabelled), SSGAN_BATCH_SIZE, seed=config.seed)
    history = trainer.fit(batches, steps_per_epoch=steps, epochs=1, verbose=0).history
    details = {"steps": steps, "batch_size": SSGAN_BATCH_SIZE,
               "width_multiplier": SSGAN_WIDTH_MULTIPLIER, "unlabelled_images": len(unlabelled),
               "final_losses": {k: float(v[-1]) for k, v in history.items()}}
    return registry.Trained(trainer.classifier(), {"ssgan": details})
