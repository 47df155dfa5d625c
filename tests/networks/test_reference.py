import keras
import numpy as np
import pytest

from tfgenaug.networks.reference import reference_critic
from tfgenaug.networks.reference import reference_generator


@pytest.mark.parametrize("channels", [1, 3])
def test_shapes_parameters_and_label_channels(channels):
    generator = reference_generator((32, 32, channels), num_classes=10, noise_dim=128)
    critic = reference_critic((32, 32, channels), num_classes=10)
    images = np.asarray(generator([np.zeros((2, 128), "float32"), np.array([0, 9])]))
    assert tuple(images.shape) == (2, 32, 32, channels)
    assert np.all(np.abs(images) <= 1.0)
    logits = critic([images, np.array([0, 9])])["logits"]
    assert tuple(logits.shape) == (2,)
    # The critic's first convolution sees C image channels and K = 10 label planes.
    assert critic.get_layer("down0").kernel.shape == (4, 4, channels + 10, 64)
    assert [critic.get_layer(f"down{i}").filters for i in range(3)] == [64, 128, 256]
    assert generator.get_layer("project").units == 4 * 4 * 256
    a = critic([images[:1], np.array([0])])["logits"]
    b = critic([images[:1], np.array([1])])["logits"]
    assert not np.allclose(a, b)


def test_serialises_and_checks_the_shape():
    critic = reference_critic((32, 32, 1))
    clone = keras.Model.from_config(critic.get_config())
    assert clone.count_params() == critic.count_params()
    with pytest.raises(ValueError, match=r"image_shape must be \(32, 32, 1\) or \(32, 32, 3\)"):
        reference_generator((16, 16, 1))
