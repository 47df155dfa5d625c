"""Tests of `tfgenaug.styletransfer.gatys_transfer` on a tiny random feature model."""

import keras
import numpy as np
import pytest

from tfgenaug.styletransfer import gatys_transfer

SHAPE = (8, 8, 3)


def _feature_model() -> keras.Model:
    keras.utils.set_random_seed(0)
    return keras.Sequential([
        keras.Input(SHAPE),
        keras.layers.Conv2D(8, 3, padding="same", activation="relu", name="conv1"),
        keras.layers.Conv2D(8, 3, padding="same", activation="relu", name="conv2"),
    ])


def _images(count, seed):
    return np.random.default_rng(seed).uniform(0, 255, (count, *SHAPE)).astype("float32")


def test_loss_decreases_and_output_keeps_shape_and_range():
    content, style = _images(2, 0), _images(1, 1)
    out, losses = gatys_transfer(
        content, style, _feature_model(), content_layer="conv2", style_layers=["conv1", "conv2"],
        content_weight=0.025, style_weight=1.0, tv_weight=8.5e-5, steps=15,
        learning_rate=0.05, value_range=(0, 255), preprocess=lambda x: x / 127.5 - 1.0,
        return_losses=True,
    )
    assert out.shape == content.shape and out.dtype == np.float32
    assert out.min() >= 0.0 and out.max() <= 255.0
    assert len(losses) == 16
    assert losses[-1] < 0.5 * losses[0]
    assert not np.allclose(out, content)


def test_single_image_in_single_image_out():
    out = gatys_transfer(
        _images(1, 2)[0] / 127.5 - 1, _images(1, 3)[0] / 127.5 - 1, _feature_model(),
        content_layer="conv2", style_layers=["conv1"], steps=2,
    )
    assert out.shape == SHAPE
    assert out.min() >= -1.0 and out.max() <= 1.0


def test_bad_arguments_are_named():
    model, content = _feature_model(), _images(2, 0) / 127.5 - 1
    with pytest.raises(ValueError, match="style must have as many channels as content"):
        gatys_transfer(content, content[..., :1], model, "conv2", ["conv1"], steps=1)
    with pytest.raises(ValueError, match="style must hold 1 image or one per content"):
        gatys_transfer(content, np.concatenate([content] * 2), model, "conv2", ["conv1"])
    with pytest.raises(ValueError, match=r"content_layer/style_layers.*'block5_conv2'"):
        gatys_transfer(content, content, model, "block5_conv2", ["conv1"], steps=1)
    with pytest.raises(ValueError, match="steps"):
        gatys_transfer(content, content, model, "conv2", ["conv1"], steps=0)
