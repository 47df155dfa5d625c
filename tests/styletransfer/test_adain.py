"""Tests of `tfgenaug.styletransfer.adain`."""

import numpy as np
import pytest
import tensorflow as tf

from tfgenaug.styletransfer import adain
from tfgenaug.styletransfer import channel_statistics


def _statistics(features):
    features = np.asarray(features, np.float64)
    return features.mean(axis=(1, 2)), features.std(axis=(1, 2))


@pytest.mark.parametrize("style_batch", [3, 1])
def test_output_has_the_style_channel_means_and_stds(style_batch):
    rng = np.random.default_rng(0)
    content = rng.normal(2.0, 3.0, (3, 6, 5, 4)).astype("float32")
    style = (rng.normal(size=(style_batch, 4, 7, 4)) * [0.5, 1.0, 2.0, 4.0] + [-1, 0, 1, 5])
    out = adain(content, style.astype("float32")).numpy()
    assert out.shape == content.shape
    style_mean, style_std = _statistics(style)
    out_mean, out_std = _statistics(out)
    np.testing.assert_allclose(out_mean, np.broadcast_to(style_mean, out_mean.shape), atol=1e-4)
    np.testing.assert_allclose(out_std, np.broadcast_to(style_std, out_std.shape), atol=1e-4)


def test_channel_statistics_of_a_known_map():
    mean, std = channel_statistics(tf.reshape(tf.range(4.0), (1, 2, 2, 1)), eps=0.0)
    assert float(mean[0, 0, 0, 0]) == 1.5
    assert float(std[0, 0, 0, 0]) == pytest.approx(np.std([0, 1, 2, 3]))


def test_shape_mismatches_name_the_argument():
    content = np.zeros((2, 4, 4, 3), np.float32)
    with pytest.raises(ValueError, match="style_features must have as many channels"):
        adain(content, np.zeros((2, 4, 4, 2), np.float32))
    with pytest.raises(ValueError, match="style_features must have batch size 1 or"):
        adain(content, np.zeros((3, 4, 4, 3), np.float32))
    with pytest.raises(ValueError, match="content_features must be feature maps"):
        adain(np.zeros((4, 4, 3), np.float32), content)
