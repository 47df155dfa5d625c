"""Pure builders of keras.Model graphs: conditional generators, critics, classifiers."""

from tfgenaug.networks.classifiers import lenet5
from tfgenaug.networks.classifiers import small_cnn
from tfgenaug.networks.dada_networks import dada_discriminator
from tfgenaug.networks.dada_networks import dada_generator
from tfgenaug.networks.dagan_networks import dagan_critic
from tfgenaug.networks.dagan_networks import dagan_generator
from tfgenaug.networks.discriminators import ProjectionHead
from tfgenaug.networks.discriminators import conditional_critic
from tfgenaug.networks.generators import conditional_generator
from tfgenaug.networks.source_bank import SourceBank
from tfgenaug.networks.source_bank import label_conditioned
from tfgenaug.networks.spectral_norm import SpectralNormalization
from tfgenaug.networks.spectral_norm import SpectralNormUpdate
from tfgenaug.networks.weight_norm import WeightNormalization
from tfgenaug.networks.weight_norm import data_dependent_init
from tfgenaug.networks.xla_safe_conv import XlaSafeConv2D
from tfgenaug.networks.xla_safe_conv import XlaSafeConv2DTranspose
from tfgenaug.networks.xla_safe_conv import swap_prone

__all__ = [
    "ProjectionHead",
    "SourceBank",
    "SpectralNormUpdate",
    "SpectralNormalization",
    "WeightNormalization",
    "XlaSafeConv2D",
    "XlaSafeConv2DTranspose",
    "conditional_critic",
    "conditional_generator",
    "dada_discriminator",
    "dada_generator",
    "dagan_critic",
    "dagan_generator",
    "data_dependent_init",
    "label_conditioned",
    "lenet5",
    "small_cnn",
    "swap_prone",
]
