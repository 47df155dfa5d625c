"""Augmentation layers for `tf.data` pipelines and models: generated samples, mixes, styles."""

from tfgenaug.layers.gan_augment import GANAugment

__all__ = ["GANAugment"]
