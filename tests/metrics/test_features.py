import numpy as np
import pytest

from tfgenaug.metrics import extract_features
from tfgenaug.metrics import feature_extractor
from tfgenaug.networks import small_cnn


@pytest.fixture(scope="module")
def classifier():
    return small_cnn((8, 8, 1), num_classes=3, width=4)


def test_extractor_gives_the_pool_width(classifier):
    extractor = feature_extractor(classifier)
    assert extractor.output.shape[-1] == 8  # 2 * width
    images = np.random.default_rng(0).uniform(-1, 1, (5, 8, 8, 1)).astype("float32")
    features = extract_features(extractor, images, batch_size=2)
    assert features.shape == (5, 8) and features.dtype == np.float64
    assert np.all(features >= 0)  # average of ReLU maps
    np.testing.assert_allclose(features, extract_features(extractor, images), rtol=1e-5)


def test_other_layer_is_flattened(classifier):
    extractor = feature_extractor(classifier, layer_name="block1_pool")
    images = np.zeros((2, 8, 8, 1), "float32")
    assert extract_features(extractor, images).shape == (2, 2 * 2 * 8)


def test_bad_layer_name_lists_the_layers(classifier):
    with pytest.raises(ValueError, match="layer_name='nope' is not a layer.*available.*'pool'"):
        feature_extractor(classifier, layer_name="nope")


def test_extract_features_errors(classifier):
    extractor = feature_extractor(classifier)
    with pytest.raises(ValueError, match="images must be a non-empty batch"):
        extract_features(extractor, np.zeros((0, 8, 8, 1), "float32"))
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        extract_features(extractor, np.zeros((2, 8, 8, 1), "float32"), batch_size=0)
