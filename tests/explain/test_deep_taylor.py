"""Tests of `tfgenaug.explain.deep_taylor`: conservation, gradient x input, folding, errors."""

import keras
import numpy as np
import pytest
import tensorflow as tf
from keras import layers

from tfgenaug.explain import deep_taylor
from tfgenaug.networks import small_cnn

K = 3


def _images(count=6, shape=(8, 8, 1), low=-1.0, high=1.0, seed=0):
    rng = np.random.default_rng(seed)
    return rng.uniform(low, high, (count, *shape)).astype("float32")


def _no_bias_cnn() -> keras.Model:
    """Every supported layer kind, no biases: conservation must hold exactly."""
    keras.utils.set_random_seed(1)
    return keras.Sequential([
        keras.Input((8, 8, 1)),
        layers.Conv2D(4, 3, padding="same", activation="relu", use_bias=False),
        layers.MaxPooling2D(2),
        layers.Conv2D(6, 3, padding="same", use_bias=False),
        layers.ReLU(),
        layers.AveragePooling2D(2),
        layers.Flatten(),
        layers.Dense(8, use_bias=False),
        layers.Activation("relu"),
        layers.Dropout(0.5),
        layers.Dense(K, use_bias=False),
    ])


def test_relevance_sums_to_the_target_logit_without_biases():
    model = _no_bias_cnn()
    images = _images()
    logits = model.predict(images, verbose=0)
    relevance = deep_taylor(model, images)
    assert relevance.shape == images.shape
    predicted = logits.argmax(-1)
    np.testing.assert_allclose(
        relevance.sum(axis=(1, 2, 3)), logits[np.arange(len(images)), predicted], atol=1e-4
    )
    # Every class: with a non-negative logit layer each logit has a positive contribution
    # (condition 3 of the docstring) as soon as one hidden unit is active.
    last = model.layers[-1]
    last.kernel.assign(np.abs(last.kernel.numpy()))
    logits = model.predict(images, verbose=0)
    for target in range(K):
        relevance = deep_taylor(model, images, target_class=target)
        np.testing.assert_allclose(relevance.sum(axis=(1, 2, 3)), logits[:, target], atol=1e-4)


def test_positive_logit_gives_non_negative_hidden_relevance_on_global_pooling_net():
    # Functional model with global average pooling and a softmax head: relevance starts
    # from the pre-softmax logit.
    keras.utils.set_random_seed(2)
    inputs = keras.Input((8, 8, 1))
    x = layers.Conv2D(4, 3, activation="relu", use_bias=False)(inputs)
    x = layers.GlobalAveragePooling2D()(x)
    outputs = layers.Dense(K, activation="softmax", use_bias=False)(x)
    model = keras.Model(inputs, outputs)
    logit_model = keras.Model(inputs, x @ model.layers[-1].kernel)
    images = _images(seed=3)
    logits = logit_model.predict(images, verbose=0)
    relevance = deep_taylor(model, images, target_class=np.arange(6) % K)
    np.testing.assert_allclose(
        relevance.sum(axis=(1, 2, 3)), logits[np.arange(6), np.arange(6) % K], atol=1e-4
    )


def test_equals_gradient_times_input_for_one_layer_relu_net():
    keras.utils.set_random_seed(4)
    model = keras.Sequential([
        keras.Input((4, 4, 1)),
        layers.Flatten(),
        layers.Dense(2, activation="relu", use_bias=False,
                     kernel_initializer=keras.initializers.RandomUniform(0.0, 1.0)),
    ])
    images = tf.constant(_images(5, (4, 4, 1), low=0.0, high=1.0, seed=5))
    with tf.GradientTape() as tape:
        tape.watch(images)
        outputs = model(images)[:, 1]
    gradient_x_input = (tape.gradient(outputs, images) * images).numpy()
    relevance = deep_taylor(model, images.numpy(), target_class=1, value_range=(0, 1))
    np.testing.assert_allclose(relevance, gradient_x_input, atol=1e-6)


def test_batch_norm_is_folded_into_the_convolution():
    keras.utils.set_random_seed(6)
    model = small_cnn((8, 8, 1), K, width=4)
    rng = np.random.default_rng(7)
    for layer in model.layers:
        if isinstance(layer, layers.BatchNormalization):
            channels = layer.gamma.shape[0]
            layer.gamma.assign(rng.uniform(0.5, 1.5, channels))
            layer.beta.assign(rng.uniform(-0.5, 0.0, channels))
            layer.moving_mean.assign(rng.uniform(-0.2, 0.2, channels))
            layer.moving_variance.assign(rng.uniform(0.5, 2.0, channels))
    # The same network with each BN folded by hand into a biased convolution.
    inputs = keras.Input((8, 8, 1))
    x = inputs
    for layer in model.layers[1:]:
        if isinstance(layer, layers.Conv2D):
            conv = layers.Conv2D(layer.filters, 3, padding="same")
            x = conv(x)
            kernel = layer.kernel.numpy()
        elif isinstance(layer, layers.BatchNormalization):
            scale = layer.gamma.numpy() / np.sqrt(layer.moving_variance.numpy() + layer.epsilon)
            conv.kernel.assign(kernel * scale)
            conv.bias.assign(layer.beta.numpy() - layer.moving_mean.numpy() * scale)
        else:
            x = layer.__class__.from_config(layer.get_config())(x)
            if layer.weights:
                x_layer = x._keras_history.operation
                x_layer.set_weights(layer.get_weights())
    folded = keras.Model(inputs, x)
    images = _images(4, seed=8)
    np.testing.assert_allclose(
        folded.predict(images, verbose=0), model.predict(images, verbose=0), atol=1e-5
    )
    np.testing.assert_allclose(
        deep_taylor(model, images), deep_taylor(folded, images), atol=1e-5
    )


def test_unsupported_layer_is_named():
    model = keras.Sequential([
        keras.Input((8, 8, 1)), layers.Conv2D(2, 3), layers.LayerNormalization(name="ln"),
        layers.Flatten(), layers.Dense(K),
    ])
    with pytest.raises(ValueError, match="'ln' of class LayerNormalization"):
        deep_taylor(model, _images(1))
    model = keras.Sequential([
        keras.Input((8, 8, 1)), layers.Flatten(), layers.Dense(4, activation="tanh", name="d"),
        layers.Dense(K),
    ])
    with pytest.raises(ValueError, match="'d' of class Dense.*tanh"):
        deep_taylor(model, _images(1))


def test_bad_target_class_is_named():
    model = _no_bias_cnn()
    with pytest.raises(ValueError, match="target_class"):
        deep_taylor(model, _images(2), target_class=K)
    with pytest.raises(ValueError, match="target_class"):
        deep_taylor(model, _images(2), target_class=[0, 1, 2])
