"""The DADA conditions whose classifier is DADA's: its discriminator, or its network.

- `dada_classifier`, `dada_classifier_aug`: no classifier is trained here; the EMA
  discriminator of a DADA run (trained without / with `aug`) is the classifier
  reported (`train_dada_classifier`).
- `dada_network_plain`: DADA's discriminator *network* (the DADA runs' widths, its
  data-dependent weight-norm initialisation, its class head, Adam(3e-4, 0.5)) trained
  as a plain classifier on the real batches (`dada_network`): what DADA's method adds
  to its own network.

(`dada` itself, `GANAugment` with a DADA run's generator, is a plain `BatchStream`.)
"""

import keras
import numpy as np
import tensorflow as tf

from tfgenaug.evaluation import registry
from tfgenaug.networks import dada_discriminator
from tfgenaug.networks import data_dependent_init
from tfgenaug.runs import trainer_from_model_dir
from tfgenaug.trainers import dada_heads

# DADA's discriminator network as a plain classifier: the DADA runs' optimiser.
DADA_LEARNING_RATE = 3e-4


def dada_network_classifier(images: np.ndarray, num_classes: int,
                            width_multiplier: float = 0.25) -> keras.Model:
    """DADA's discriminator network as an images -> K class logits classifier.

    The network the DADA runs use (`width_multiplier`, Gaussian input noise 0.2,
    dropout 0.5, weight normalisation initialised from up to 500 of `images`), read
    through DADA's class head (`l_r,k + l_f,k`).

    Args:
        images: float32 training images `(N, H, W, C)` in [-1, 1].
        num_classes: int. K.
        width_multiplier: float. Width of DADA's discriminator.

    Returns:
        An uncompiled `keras.Model` named `dada_network_classifier`.
    """
    discriminator = dada_discriminator(images.shape[1:], num_classes,
                                       width_multiplier=width_multiplier)
    data_dependent_init(discriminator, tf.constant(images[:500], tf.float32))
    inputs = keras.Input(images.shape[1:])
    logits = discriminator(inputs)["logits"]
    class_logits = keras.layers.Lambda(
        lambda x: dada_heads.class_logits(x, num_classes), name="class_head"
    )(logits)
    return keras.Model(inputs, class_logits, name="dada_network_classifier")


def dada_network(config, images: np.ndarray,
                 num_classes: int) -> tuple[keras.Model, keras.optimizers.Optimizer]:
    """A `Condition.network`: DADA's discriminator network and the DADA runs' Adam."""
    model = dada_network_classifier(images, num_classes, config.dada_width_multiplier)
    return model, keras.optimizers.Adam(DADA_LEARNING_RATE, beta_1=0.5)


def train_dada_classifier(config, data: registry.TrainingSet) -> registry.Trained:
    """A `Condition.train`: the EMA discriminator of the DADA run `config.generator`.

    `config.generator` is the run's `model_dir` (read with `trainer_from_model_dir`)
    or a trained `DADA` trainer.
    """
    trainer = config.generator
    if isinstance(trainer, str):
        trainer = trainer_from_model_dir(trainer)
    return registry.Trained(trainer.classifier())
