"""Trainers: `keras.Model` subclasses with their own `train_step`, trained with `fit()`.

`TRAINERS` holds the class-conditional GAN trainers the train binary runs;
`AdversarialTrainer` wraps a classifier for adversarial-example training,
`StyleDecoderTrainer` trains ST-DA's AdaIN decoder and `DFG` generates features (not
images) for imbalanced classes.
"""

from tfgenaug.trainers.adversarial import AdversarialTrainer
from tfgenaug.trainers.base import ConditionalGANTrainer
from tfgenaug.trainers.dada import DADA
from tfgenaug.trainers.dcgan import DCGAN
from tfgenaug.trainers.dfg import DFG
from tfgenaug.trainers.dfg import AttentionUpdate
from tfgenaug.trainers.dfg import pretrain_source
from tfgenaug.trainers.style_decoder import StyleDecoderTrainer
from tfgenaug.trainers.wgan_gp import WGANGP

TRAINERS = {"wgan_gp": WGANGP, "dcgan": DCGAN, "dada": DADA}


def get(name: str) -> type[ConditionalGANTrainer]:
    """Returns the trainer class registered under `name`.

    Raises:
        ValueError: naming `trainer` and the known names.
    """
    if name not in TRAINERS:
        raise ValueError(f"trainer must be one of {sorted(TRAINERS)}; got {name!r}")
    return TRAINERS[name]


__all__ = [
    "DADA",
    "DCGAN",
    "DFG",
    "TRAINERS",
    "WGANGP",
    "AdversarialTrainer",
    "AttentionUpdate",
    "ConditionalGANTrainer",
    "StyleDecoderTrainer",
    "get",
    "pretrain_source",
]
