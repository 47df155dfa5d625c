"""Tests of `tfgenaug.trainers.style_decoder.StyleDecoderTrainer` on 8x8 images."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from tests.styletransfer.tiny_networks import IMAGE_SHAPE
from tests.styletransfer.tiny_networks import tiny_encoder_decoder
from tests.styletransfer.tiny_networks import tiny_images
from tfgenaug.trainers.style_decoder import StyleDecoderTrainer


def test_xla_training_lowers_the_loss_and_leaves_the_encoder_alone():
    encoder, _ = tiny_encoder_decoder()
    trainer = StyleDecoderTrainer(encoder, style_weight=1.0, seed=0)
    assert trainer.style_layers == ["block0_relu0", "block0_relu1", "block1_relu0"]
    trainer.compile(optimizer=keras.optimizers.Adam(3e-3), jit_compile=True)
    assert trainer.jit_compile
    images, labels = tiny_images(32)
    encoder_before = [w.numpy().copy() for w in encoder.weights]
    history = trainer.fit(images, labels, batch_size=16, epochs=8, verbose=0).history
    assert set(history) == {"loss", "content_loss", "style_loss"}
    assert history["loss"][-1] < history["loss"][0]
    for before, after in zip(encoder_before, encoder.weights, strict=True):
        np.testing.assert_array_equal(before, after.numpy())


def test_content_and_style_pairs_and_transfer():
    encoder, decoder = tiny_encoder_decoder()
    trainer = StyleDecoderTrainer(encoder, decoder, style_layers=["block1_relu0"])
    trainer.compile(jit_compile=False)
    content, _ = tiny_images(8, seed=1)
    style, _ = tiny_images(8, seed=2)
    ds = tf.data.Dataset.from_tensor_slices({"content": content, "style": style}).batch(4)
    trainer.fit(ds, epochs=1, verbose=0, shuffle=False)
    out = trainer.transfer(content, style[:1], alpha=0.5)
    assert out.shape == (8, *IMAGE_SHAPE)
    assert float(tf.reduce_min(out)) >= -1.0 and float(tf.reduce_max(out)) <= 1.0
    with pytest.raises(ValueError, match="alpha"):
        trainer.transfer(content, style, alpha=2.0)


def test_config_round_trip():
    encoder, _ = tiny_encoder_decoder()
    trainer = StyleDecoderTrainer(encoder, style_layers=["block1_relu0"], style_weight=2.0,
                                  seed=3)
    restored = StyleDecoderTrainer.from_config(trainer.get_config())
    assert restored.style_layers == ["block1_relu0"]
    assert restored.style_weight == 2.0 and restored.seed == 3
    assert restored.decoder.output_shape == trainer.decoder.output_shape


def test_unknown_style_layer_is_named():
    encoder, _ = tiny_encoder_decoder()
    with pytest.raises(ValueError, match=r"style_layers.*'relu9'"):
        StyleDecoderTrainer(encoder, style_layers=["relu9"])


def test_mirrored_strategy_matches_one_device(mirrored_strategy):
    content, _ = tiny_images(16, seed=1)
    style, _ = tiny_images(16, seed=2)
    ds = tf.data.Dataset.from_tensor_slices({"content": content, "style": style}).batch(8)
    losses = {}
    for name, strategy in (("one", tf.distribute.get_strategy()), ("two", mirrored_strategy)):
        with strategy.scope():
            encoder, decoder = tiny_encoder_decoder()
            trainer = StyleDecoderTrainer(encoder, decoder)
            trainer.compile(optimizer=keras.optimizers.Adam(1e-3), jit_compile=True)
        losses[name] = trainer.fit(ds, epochs=1, verbose=0, shuffle=False).history["loss"]
    assert trainer.xla_per_replica
    np.testing.assert_allclose(losses["two"], losses["one"], rtol=1e-4)
