"""DFG's networks: split classifiers, the feature generator and critic, class attention."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from tfgenaug.networks import lenet5
from tfgenaug.networks.dfg_networks import ClassAttention
from tfgenaug.networks.dfg_networks import feature_critic
from tfgenaug.networks.dfg_networks import feature_generator
from tfgenaug.networks.dfg_networks import lenet5_split
from tfgenaug.networks.dfg_networks import resnet50_split
from tfgenaug.networks.dfg_networks import split_model
from tfgenaug.networks.dfg_networks import vgg16_split


@pytest.mark.parametrize(
    "image_shape,feature_shape",
    [((8, 8, 1), (4, 4, 6)), ((16, 16, 1), (8, 8, 6)), ((28, 28, 1), (14, 14, 6)),
     ((32, 32, 1), (14, 14, 6))],
)
def test_lenet5_split_is_conv1_relu_pool(image_shape, feature_shape):
    extractor, classifier = lenet5_split(image_shape, num_classes=5)
    assert extractor.output_shape[1:] == feature_shape
    assert classifier.input_shape[1:] == feature_shape
    assert classifier.output_shape == (None, 5)
    images = np.random.default_rng(0).uniform(-1, 1, (2, *image_shape)).astype("float32")
    kernel, bias = (np.asarray(w) for w in extractor.get_layer("conv1").weights)
    padding = "VALID" if image_shape[0] >= 32 else "SAME"
    expected = tf.nn.max_pool2d(
        tf.nn.relu(tf.nn.conv2d(images, kernel, 1, padding) + bias), 2, 2, "VALID"
    )
    np.testing.assert_allclose(extractor(images), expected, rtol=1e-5, atol=1e-5)


def test_lenet5_split_loads_a_whole_lenet5_weights_file(tmp_path):
    model = lenet5((16, 16, 1), num_classes=4)
    path = str(tmp_path / "lenet5.weights.h5")
    model.save_weights(path)
    extractor, classifier = lenet5_split((16, 16, 1), num_classes=4, weights=path)
    images = np.random.default_rng(1).uniform(-1, 1, (3, 16, 16, 1)).astype("float32")
    np.testing.assert_allclose(classifier(extractor(images)), model(images), rtol=1e-5,
                               atol=1e-5)


def test_split_model_names_the_missing_layer():
    with pytest.raises(ValueError, match="layer_name must name a layer"):
        split_model(lenet5((8, 8, 1), 3), "conv9")


@pytest.mark.parametrize(
    "builder,image_shape,feature_shape",
    [(vgg16_split, (32, 32, 1), (16, 16, 64)), (resnet50_split, (32, 32, 3), (8, 8, 256))],
    ids=["vgg16-block1", "resnet50-conv2_x"],
)
def test_application_splits(builder, image_shape, feature_shape):
    extractor, classifier = builder(image_shape, num_classes=4)
    assert extractor.output_shape[1:] == feature_shape
    assert classifier.output_shape == (None, 4)
    images = np.zeros((1, *image_shape), "float32")
    assert classifier(extractor(images)).shape == (1, 4)


@pytest.mark.parametrize("builder", [lenet5_split, vgg16_split, resnet50_split])
@pytest.mark.parametrize("weights", ["imagenet", "/no/such/file.h5", 3])
def test_weights_are_never_downloaded(builder, weights):
    with pytest.raises(ValueError, match="weights must be None or the path of an existing"):
        builder((32, 32, 3), num_classes=4, weights=weights)


@pytest.mark.parametrize(
    "feature_shape,critic_map",
    [((4, 4, 6), (1, 1)), ((6, 6, 3), (1, 1)), ((7, 7, 2), (1, 1)), ((14, 14, 6), (2, 2)),
     ((16, 16, 64), (2, 2))],
)
def test_generator_and_critic_fit_any_feature_map(feature_shape, critic_map):
    generator = feature_generator(feature_shape, num_classes=3, noise_dim=8, width=8)
    critic = feature_critic(feature_shape, width=4)
    noise = np.random.default_rng(0).uniform(-1, 1, (2, 8)).astype("float32")
    features = generator([noise, np.array([0, 2], "int32")])
    assert tuple(features.shape) == (2, *feature_shape)
    assert tuple(critic(features).shape) == (2, 1)
    # Three 'same' stride-2 convolutions: ceil(size / 8); 14x14 gives the reference's 2x2.
    assert critic.get_layer("conv2").output.shape[1:3] == critic_map
    assert critic.get_layer("conv2").output.shape[-1] == 16


def test_leaky_relu_slope_is_0_2_not_the_reference_slope_1():
    generator = feature_generator((14, 14, 6), 3, noise_dim=8, width=8)
    critic = feature_critic((14, 14, 6), width=4)
    x = np.array([-1.0, 2.0], "float32")
    for layer in (generator.get_layer("up0_act"), critic.get_layer("conv0_act")):
        np.testing.assert_allclose(layer(x), [-0.2, 2.0])


def test_class_attention_multiplies_each_example_by_its_class_row():
    layer = ClassAttention(num_classes=3, channels=2)
    np.testing.assert_allclose(layer.attention, np.full((3, 2), 0.5))  # uniform start
    table = np.array([[1.0, 0.0], [0.5, 2.0], [0.0, 3.0]], "float32")
    layer.attention.assign(table)
    features = np.random.default_rng(2).normal(size=(4, 2, 3, 2)).astype("float32")
    labels = np.array([2, 0, 1, 2], "int32")
    expected = features * table[labels][:, None, None, :]
    np.testing.assert_allclose(layer([features, labels]), expected, rtol=1e-6)


def test_generator_output_is_scaled_by_the_attention_and_round_trips_config():
    generator = feature_generator((4, 4, 6), 3, noise_dim=8, width=8)
    attention = generator.get_layer("class_attention").attention
    table = np.zeros((3, 6), "float32")
    table[1, 2] = 1.0
    attention.assign(table)
    noise = np.random.default_rng(3).uniform(-1, 1, (2, 8)).astype("float32")
    features = np.asarray(generator([noise, np.array([0, 1], "int32")]))
    np.testing.assert_array_equal(features[0], 0.0)
    np.testing.assert_array_equal(features[1][..., [0, 1, 3, 4, 5]], 0.0)
    assert np.abs(features[1][..., 2]).max() > 0.0
    clone = keras.Model.from_config(generator.get_config())
    assert clone.count_params() == generator.count_params()
    assert clone.get_layer("class_attention").attention.shape == (3, 6)


def test_bad_feature_shape():
    with pytest.raises(ValueError, match="feature_shape must be"):
        feature_generator((4, 4), 3)
    with pytest.raises(ValueError, match="feature_shape must be"):
        feature_critic((0, 4, 6))
