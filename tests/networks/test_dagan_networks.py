"""DAGAN's networks: any image size, outputs in range, per-example (batch-free), bad args."""

import numpy as np
import pytest
import tensorflow as tf

from tfgenaug.networks.dagan_networks import dagan_critic
from tfgenaug.networks.dagan_networks import dagan_generator


@pytest.mark.parametrize("shape", [(8, 8, 1), (13, 21, 3), (28, 28, 1)])
def test_the_generator_keeps_the_image_shape_and_range_and_the_critic_gives_one_logit(shape):
    generator, critic = dagan_generator(shape, noise_dim=8, width=4), dagan_critic(shape, 4)
    images = tf.random.uniform((3, *shape), -1.0, 1.0, seed=0)
    outputs = generator([images, tf.random.normal((3, 8), seed=1)])
    assert outputs.shape == (3, *shape) and outputs.dtype == tf.float32
    assert float(tf.reduce_max(tf.abs(outputs))) <= 1.0
    logits = critic([images, outputs])["logits"]
    assert logits.shape == (3,) and logits.dtype == tf.float32


def test_the_noise_and_the_source_image_both_change_the_output():
    generator = dagan_generator((8, 8, 1), noise_dim=8, width=4)
    images = tf.random.uniform((2, 8, 8, 1), -1.0, 1.0, seed=0)
    noise = tf.random.normal((2, 8), seed=1)
    base = generator([images, noise]).numpy()
    assert np.abs(base - generator([images, noise + 1.0]).numpy()).max() > 1e-4
    assert np.abs(base - generator([images[::-1], noise]).numpy()).max() > 1e-4


def test_each_output_depends_on_its_own_row_only():
    """Layer normalisation, not batch norm: the gradient penalty and replicas need it."""
    generator, critic = dagan_generator((8, 8, 1), 8, 4), dagan_critic((8, 8, 1), 4)
    images = tf.random.uniform((4, 8, 8, 1), -1.0, 1.0, seed=2)
    noise = tf.random.normal((4, 8), seed=3)
    whole = generator([images, noise], training=True).numpy()
    first = generator([images[:1], noise[:1]], training=True).numpy()
    np.testing.assert_allclose(first, whole[:1], atol=1e-5)
    pair = critic([images, images[::-1]], training=True)["logits"].numpy()
    alone = critic([images[:2], images[::-1][:2]], training=True)["logits"].numpy()
    np.testing.assert_allclose(alone, pair[:2], atol=1e-5)


@pytest.mark.parametrize("builder,kwargs,match", [
    (dagan_generator, {"image_shape": (4, 4, 1)}, "image_shape"),
    (dagan_generator, {"image_shape": (8, 8, 1), "noise_dim": 0}, "noise_dim"),
    (dagan_critic, {"image_shape": (8, 8, 2)}, "image_shape"),
    (dagan_critic, {"image_shape": (8, 8, 1), "width": -1}, "width"),
])
def test_bad_arguments_are_named(builder, kwargs, match):
    with pytest.raises(ValueError, match=match):
        builder(**kwargs)
