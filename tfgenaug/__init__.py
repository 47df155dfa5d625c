"""tfgenaug: generative data augmentation for TensorFlow and Keras 3.

Train a class-conditional generator on the few labelled images you have, then feed its
samples into a classifier's `tf.data` pipeline.
"""

__version__ = "0.1.0"
