import keras
import numpy as np
import pytest

from tfgenaug.layers.generator_source import resolve_generator
from tfgenaug.networks import WeightNormalization
from tfgenaug.networks import dada_discriminator
from tfgenaug.networks import dada_generator

NUM_CLASSES = 3


@pytest.mark.parametrize("size", [8, 16, 32])
@pytest.mark.parametrize("channels", [1, 3])
def test_shapes_and_range(size, channels):
    shape = (size, size, channels)
    generator = dada_generator(shape, NUM_CLASSES, noise_dim=8, width_multiplier=0.05)
    discriminator = dada_discriminator(shape, NUM_CLASSES, width_multiplier=0.05)
    noise = np.random.default_rng(0).uniform(size=(4, 8)).astype("float32")
    images = np.asarray(generator([noise, np.array([0, 1, 2, 0])]))
    assert images.shape == (4, *shape)
    assert np.all(np.abs(images) <= 1.0)
    outputs = discriminator(images)
    assert tuple(outputs["logits"].shape) == (4, 2 * NUM_CLASSES)
    assert tuple(outputs["features"].shape) == (4, max(1, round(192 * 0.05)))


def test_reference_widths_and_structure():
    discriminator = dada_discriminator((32, 32, 3), 10)
    assert discriminator.get_layer("conv0_0_wn").layer.filters == 96
    assert discriminator.get_layer("nin1_wn").layer.filters == 192
    # 32 px: 8x8 -> 6x6 through the valid 3x3 convolution, as in the reference.
    assert discriminator.get_layer("conv2_0_lrelu").output.shape[1:3] == (6, 6)
    wrapped = [layer for layer in discriminator.layers if isinstance(layer, WeightNormalization)]
    assert len(wrapped) == 10  # 9 convolutions and the dense layer
    generator = dada_generator((32, 32, 3), 10)
    assert generator.get_layer("to_map").output.shape[1:] == (4, 4, 512)
    # The label is tiled as 10 channels before each transposed convolution.
    assert generator.get_layer("labels0").output.shape[-1] == 512 + 10


def test_label_changes_output_and_layers_find_num_classes():
    generator = dada_generator((8, 8, 1), NUM_CLASSES, noise_dim=4, width_multiplier=0.05)
    noise = np.full((2, 4), 0.5, "float32")
    images = np.asarray(generator([noise, np.array([0, 2])]))
    assert not np.allclose(images[0], images[1])
    source = resolve_generator(generator, noise_distribution="uniform")
    assert source.num_classes == NUM_CLASSES and source.image_shape == (8, 8, 1)


def test_serialises():
    discriminator = dada_discriminator((8, 8, 1), NUM_CLASSES, width_multiplier=0.05)
    clone = keras.Model.from_config(discriminator.get_config())
    clone.set_weights(discriminator.get_weights())
    images = np.zeros((2, 8, 8, 1), "float32")
    np.testing.assert_allclose(clone(images)["logits"], discriminator(images)["logits"])


@pytest.mark.parametrize(
    "builder,kwargs,match",
    [
        (dada_generator, {"width_multiplier": 0}, "width_multiplier must be a number > 0"),
        (dada_generator, {"image_shape": (12, 4, 1)}, "image_shape must have height and width"),
        (dada_discriminator, {"dropout": 1.0}, r"dropout must be in \[0, 1\)"),
        (dada_discriminator, {"gaussian_noise": -1.0}, "gaussian_noise must be >= 0"),
    ],
)
def test_bad_arguments(builder, kwargs, match):
    args = {"image_shape": (8, 8, 1), "num_classes": NUM_CLASSES, **kwargs}
    with pytest.raises(ValueError, match=match):
        builder(**args)
