"""Tests of `tfgenaug.styletransfer.encoder`."""

import keras
import numpy as np
import pytest

from tests.styletransfer.tiny_networks import IMAGE_SHAPE
from tests.styletransfer.tiny_networks import tiny_classifier
from tests.styletransfer.tiny_networks import tiny_images
from tfgenaug.styletransfer import encoder_from_classifier
from tfgenaug.styletransfer import mirror_decoder


def test_encoder_is_the_front_of_the_classifier():
    classifier = tiny_classifier()
    encoder = encoder_from_classifier(classifier, "block1_relu0")
    reference = keras.Model(classifier.inputs[0], classifier.get_layer("block1_relu0").output)
    images, _ = tiny_images(2)
    np.testing.assert_allclose(encoder(images), reference(images), atol=1e-6)
    assert encoder.output.shape[1:] == (4, 4, 8)


def test_missing_layer_is_named_with_the_available_ones():
    with pytest.raises(ValueError, match=r"layer_name.*'relu4_1'.*block0_conv0"):
        encoder_from_classifier(tiny_classifier(), "relu4_1")


def test_mirrored_decoder_maps_features_back_to_images():
    encoder = encoder_from_classifier(tiny_classifier(), "block1_relu0")
    decoder = mirror_decoder(encoder)
    assert tuple(decoder.input.shape[1:]) == (4, 4, 8)
    assert tuple(decoder.output.shape[1:]) == IMAGE_SHAPE
    assert decoder.layers[-1].activation.__name__ == "linear"


def test_mirror_decoder_names_a_layer_it_cannot_mirror():
    encoder = keras.Sequential([keras.Input(IMAGE_SHAPE), keras.layers.Flatten(name="flat")])
    with pytest.raises(ValueError, match="'flat' of class Flatten"):
        mirror_decoder(encoder)
