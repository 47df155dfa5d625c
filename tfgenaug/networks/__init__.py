"""Pure builders of keras.Model graphs: conditional generators, critics, classifiers."""

from tfgenaug.networks.classifiers import lenet5
from tfgenaug.networks.classifiers import small_cnn
from tfgenaug.networks.discriminators import ProjectionHead
from tfgenaug.networks.discriminators import conditional_critic
from tfgenaug.networks.generators import conditional_generator

__all__ = ["ProjectionHead", "conditional_critic", "conditional_generator", "lenet5", "small_cnn"]
