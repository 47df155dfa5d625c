"""The part DFG and FineTuner share: split-network checks and the helpers."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from tests.trainers.conftest import IMAGE_SHAPE
from tests.trainers.conftest import NUM_CLASSES
from tfgenaug.networks.dfg_networks import lenet5_split
from tfgenaug.trainers import source_regularized
from tfgenaug.trainers.dfg import DFG
from tfgenaug.trainers.fine_tune import FineTuner


def test_check_split_networks_returns_the_feature_shape():
    extractor, classifier = lenet5_split(IMAGE_SHAPE, NUM_CLASSES)
    shape = source_regularized.check_split_networks(extractor, classifier, NUM_CLASSES)
    assert shape == tuple(extractor.output_shape[1:]) and len(shape) == 3


def test_check_split_networks_names_the_bad_network():
    extractor, classifier = lenet5_split(IMAGE_SHAPE, NUM_CLASSES)
    flat = keras.Sequential([keras.Input(IMAGE_SHAPE), keras.layers.Flatten()])
    with pytest.raises(ValueError, match=r"extractor must map images to feature maps"):
        source_regularized.check_split_networks(flat, classifier, NUM_CLASSES)
    other = keras.Sequential([keras.Input((3, 3, 2)), keras.layers.Flatten(),
                              keras.layers.Dense(NUM_CLASSES)])
    with pytest.raises(ValueError, match=r"classifier must take the extractor's feature maps"):
        source_regularized.check_split_networks(extractor, other, NUM_CLASSES)
    with pytest.raises(ValueError, match=r"classifier must output num_classes = 7 logits"):
        source_regularized.check_split_networks(extractor, classifier, 7)
    with pytest.raises(ValueError, match="num_classes"):
        source_regularized.check_split_networks(extractor, classifier, 0)


@pytest.mark.parametrize("trainer", [DFG, FineTuner])
@pytest.mark.parametrize("delta_weight", [-0.1, float("nan"), True, "0.01"])
def test_both_trainers_refuse_a_bad_delta_weight(trainer, delta_weight):
    extractor, classifier = lenet5_split(IMAGE_SHAPE, NUM_CLASSES)
    with pytest.raises(ValueError, match="delta_weight must be a number >= 0"):
        trainer(extractor, classifier, NUM_CLASSES, delta_weight=delta_weight)


def test_frozen_copy_keeps_weights_and_does_not_follow_the_original():
    extractor, _ = lenet5_split(IMAGE_SHAPE, NUM_CLASSES)
    copy = source_regularized.frozen_copy(extractor, "source")
    assert copy.name == "source" and not copy.trainable_weights
    for a, b in zip(extractor.get_weights(), copy.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    extractor.weights[0].assign(extractor.weights[0] + 1.0)
    assert not np.allclose(extractor.weights[0], copy.weights[0])


def test_last_kernel_is_the_output_layers_kernel():
    _, classifier = lenet5_split(IMAGE_SHAPE, NUM_CLASSES)
    kernel = source_regularized.last_kernel(classifier)
    assert tuple(kernel.shape)[-1] == NUM_CLASSES
    assert source_regularized.last_kernel(keras.Sequential([keras.Input((2,))])) is None


def test_cross_entropy_matches_keras():
    logits = tf.constant([[2.0, 0.0, -1.0], [0.1, 0.2, 0.3]])
    labels = tf.constant([0, 2])
    expected = keras.losses.sparse_categorical_crossentropy(labels, logits, from_logits=True)
    np.testing.assert_allclose(source_regularized.cross_entropy(labels, logits), expected,
                               rtol=1e-6)


def test_classifier_models_are_named_by_their_trainer():
    extractor, classifier = lenet5_split(IMAGE_SHAPE, NUM_CLASSES)
    tuner = FineTuner(extractor, classifier, NUM_CLASSES)
    assert tuner.classifier_model().name == "fine_tuned_classifier"
    images = tf.random.stateless_uniform((3, *IMAGE_SHAPE), seed=[1, 2], minval=-1)
    np.testing.assert_allclose(tuner.classifier_model()(images), tuner(images), rtol=1e-6)
    extractor, classifier = lenet5_split(IMAGE_SHAPE, NUM_CLASSES)
    assert DFG(extractor, classifier, NUM_CLASSES, noise_dim=8, generator_width=8,
               critic_width=4).classifier_model().name == "dfg_classifier"
