"""Augmentation layers for `tf.data` pipelines and models: generated samples, mixes, styles."""

from tfgenaug.layers.gan_augment import GANAugment
from tfgenaug.layers.same_class_mix import SameClassMix
from tfgenaug.layers.style_transfer import StyleTransferAugment

__all__ = ["GANAugment", "SameClassMix", "StyleTransferAugment"]
