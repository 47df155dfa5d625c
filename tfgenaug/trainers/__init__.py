"""Trainers: `keras.Model` subclasses with their own `train_step`, trained with `fit()`.

`Trainer` (`core.py`) is the kernel they all stand on; `TRAINERS` holds the
class-conditional GAN trainers the train binary runs by name (`register`);
`AdversarialTrainer` wraps a classifier for adversarial-example training,
`StyleDecoderTrainer` trains ST-DA's AdaIN decoder, `DFG` generates features (not
images) for imbalanced classes and `SemiSupervisedGAN` learns from unlabelled images.
"""

from tfgenaug.trainers.adversarial import AdversarialTrainer
from tfgenaug.trainers.base import ConditionalGANTrainer
from tfgenaug.trainers.core import Trainer
from tfgenaug.trainers.dada import DADA
from tfgenaug.trainers.dagan import DAGAN
from tfgenaug.trainers.dcgan import DCGAN
from tfgenaug.trainers.dfg import DFG
from tfgenaug.trainers.dfg_callbacks import AttentionUpdate
from tfgenaug.trainers.dfg_protocol import pretrain_source
from tfgenaug.trainers.registry import TRAINERS
from tfgenaug.trainers.registry import get
from tfgenaug.trainers.registry import register
from tfgenaug.trainers.registry import unregister
from tfgenaug.trainers.ssgan import SemiSupervisedGAN
from tfgenaug.trainers.style_decoder import StyleDecoderTrainer
from tfgenaug.trainers.wgan_gp import WGANGP

__all__ = [
    "DADA",
    "DAGAN",
    "DCGAN",
    "DFG",
    "TRAINERS",
    "WGANGP",
    "AdversarialTrainer",
    "AttentionUpdate",
    "ConditionalGANTrainer",
    "SemiSupervisedGAN",
    "StyleDecoderTrainer",
    "Trainer",
    "get",
    "register",
    "unregister",
    "pretrain_source",
]
