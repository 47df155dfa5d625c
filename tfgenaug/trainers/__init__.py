"""GAN trainers: `keras.Model` subclasses trained with `fit()`."""

from tfgenaug.trainers.base import ConditionalGANTrainer
from tfgenaug.trainers.dada import DADA
from tfgenaug.trainers.dcgan import DCGAN
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


__all__ = ["DADA", "DCGAN", "TRAINERS", "WGANGP", "ConditionalGANTrainer", "get"]
