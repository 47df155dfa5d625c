"""DFG's pure losses: channel ablation, class attention, DELTA weights and Omega, GP."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from tfgenaug.trainers import dfg_losses


def log_softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def softmax(values: np.ndarray) -> np.ndarray:
    return np.exp(log_softmax(values))


def cross_entropy(logits: np.ndarray, labels: np.ndarray) -> np.ndarray:
    return -log_softmax(logits)[np.arange(len(labels)), labels]


def linear_classifier(kernel: np.ndarray, bias: np.ndarray, feature_shape) -> keras.Model:
    """A hand-built C: logits = flatten(features) @ kernel + bias."""
    inputs = keras.Input(feature_shape)
    dense = keras.layers.Dense(kernel.shape[1])
    model = keras.Model(inputs, dense(keras.layers.Flatten()(inputs)))
    dense.set_weights([kernel.astype("float32"), bias.astype("float32")])
    return model


def test_channel_ablation_losses_match_a_numpy_loop():
    rng = np.random.default_rng(0)
    shape = (2, 2, 3)
    kernel, bias = rng.normal(size=(12, 4)), rng.normal(size=4)
    classifier = linear_classifier(kernel, bias, shape)
    features = rng.normal(size=(5, *shape)).astype("float32")
    labels = np.array([0, 1, 2, 3, 1])

    def loss(f):
        return cross_entropy(f.reshape(len(f), -1) @ kernel + bias, labels)

    expected = np.stack(
        [loss(features * (np.arange(3) != j)) - loss(features) for j in range(3)], axis=1
    )
    increases = dfg_losses.channel_ablation_losses(features, classifier, labels)
    np.testing.assert_allclose(increases, expected, rtol=1e-4, atol=1e-4)
    compiled = tf.function(dfg_losses.channel_ablation_losses, jit_compile=True)
    np.testing.assert_allclose(compiled(features, classifier, labels), expected, rtol=1e-4,
                               atol=1e-4)


def test_attention_finds_the_one_channel_carrying_the_class():
    """Channel 0 holds the class as a one-hot over the width; channels 1 and 2 are noise
    that C ignores. Without channel 0, C's bias predicts class 0 with a margin of 10,
    so for classes 1 and 2 zeroing channel 0 costs ~10 nats and their attention is
    ~[1, 0, 0]; class 0 loses nothing without any channel, so its row stays uniform."""
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(3), 10)
    features = np.zeros((30, 1, 3, 3), "float32")
    features[np.arange(30), 0, labels, 0] = 1.0
    features[..., 1:] = rng.uniform(-1, 1, (30, 1, 3, 2))
    kernel = np.zeros((9, 3))
    kernel[[0, 3, 6], [0, 1, 2]] = 20.0  # flatten order (w, c): channel 0 at w = k
    classifier = linear_classifier(kernel, np.array([10.0, 0.0, 0.0]), (1, 3, 3))

    increases = dfg_losses.channel_ablation_losses(features, classifier, labels)
    attention = np.asarray(dfg_losses.class_attention(increases, labels, num_classes=3))
    np.testing.assert_allclose(attention[1:], [[1.0, 0.0, 0.0]] * 2, atol=1e-3)
    np.testing.assert_allclose(attention[0], [1 / 3] * 3, atol=1e-3)
    # The kept weight is exactly the class mean of the per-example softmaxes.
    cost = np.log1p(2 * np.exp(-10.0)) - np.log1p(np.exp(-10.0) + np.exp(-20.0))
    expected = np.exp(10.0 + cost) / (np.exp(10.0 + cost) + 2.0)
    np.testing.assert_allclose(attention[1, 0], expected, rtol=1e-4)


def test_class_attention_thresholds_relative_to_uniform_and_fills_absent_classes():
    increases = np.array([[np.log(4.0), 0.0, 0.0, np.log(2.0)],   # softmax 4/8, 1/8, 1/8, 2/8
                          [0.0, 0.0, 0.0, 0.0],                   # uniform 1/4
                          [0.0, np.log(3.0), 0.0, 0.0]], "float32")  # 1/6, 1/2, 1/6, 1/6
    labels = np.array([0, 0, 1])
    attention = np.asarray(dfg_losses.class_attention(increases, labels, 3, threshold=0.9))
    class0 = (np.array([4, 1, 1, 2]) / 8 + 0.25) / 2  # [0.375, 0.1875, 0.1875, 0.25]
    expected0 = np.where(4 * class0 >= 0.9, class0, 0.0)
    np.testing.assert_allclose(attention[0], expected0, rtol=1e-6)
    assert (attention[0] > 0).tolist() == [True, False, False, True]
    np.testing.assert_allclose(attention[1], [0.0, 0.5, 0.0, 0.0], rtol=1e-6)
    np.testing.assert_allclose(attention[2], [0.25] * 4, rtol=1e-6)  # no example of class 2


def test_delta_channel_weights_are_a_softmax_of_z_scores_over_five():
    increases = np.array([[1.0, 2.0, 6.0], [3.0, 0.0, 2.0]], "float32")
    mean = increases.mean(axis=0)  # [2, 1, 4]
    z = (mean - mean.mean()) / mean.std()
    np.testing.assert_allclose(dfg_losses.delta_channel_weights(increases), softmax(z / 5.0),
                               rtol=1e-5)
    np.testing.assert_allclose(dfg_losses.delta_channel_weights(np.ones((2, 4), "float32")),
                               [0.25] * 4)


def test_delta_regularizer_equals_its_formula():
    rng = np.random.default_rng(1)
    target = rng.normal(size=(2, 3, 2, 4)).astype("float32")
    source = rng.normal(size=(2, 3, 2, 4)).astype("float32")
    weights = np.array([0.1, 0.2, 0.3, 0.4], "float32")
    kernel = rng.normal(size=(5, 3)).astype("float32")
    maps = 0.5 * (((target - source) ** 2).sum(axis=(1, 2)) / 6.0 * weights).sum(axis=1)
    np.testing.assert_allclose(dfg_losses.delta_regularizer(target, source, weights), maps,
                               rtol=1e-5)
    np.testing.assert_allclose(
        dfg_losses.delta_regularizer(target, source, weights, kernel),
        maps + 0.5 * (kernel**2).sum(), rtol=1e-5,
    )


def test_delta_regularizer_is_zero_at_the_source_and_stops_its_gradient():
    maps = tf.constant(np.random.default_rng(2).normal(size=(3, 2, 2, 4)), tf.float32)
    weights = tf.fill([4], 0.25)
    np.testing.assert_array_equal(dfg_losses.delta_regularizer(maps, maps, weights), 0.0)
    kernel = tf.constant([[1.0, -2.0], [0.5, 0.0]])
    np.testing.assert_allclose(dfg_losses.delta_regularizer(maps, maps, weights, kernel),
                               [0.5 * 5.25] * 3)
    target = maps + 1.0
    with tf.GradientTape(persistent=True) as tape:
        tape.watch([target, maps])
        omega = tf.reduce_sum(dfg_losses.delta_regularizer(target, maps, weights))
    assert tape.gradient(omega, maps) is None
    # d/dtarget of 0.5 * w_j * sum (t - s)^2 / (H W) = w_j * (t - s) / 4
    np.testing.assert_allclose(tape.gradient(omega, target), np.full((3, 2, 2, 4), 0.25 / 4),
                               rtol=1e-6)


def test_gradient_penalty_on_feature_maps():
    rng = np.random.default_rng(3)
    real = rng.normal(size=(3, 2, 2, 2)).astype("float32")
    fake = rng.normal(size=(3, 2, 2, 2)).astype("float32")
    alpha = np.array([0.0, 0.5, 1.0], "float32")
    a = rng.normal(size=(2, 2, 2)).astype("float32")

    def linear(x):  # gradient a everywhere
        return tf.reduce_sum(x * a, axis=[1, 2, 3])

    np.testing.assert_allclose(
        dfg_losses.feature_gradient_penalty(linear, real, fake, alpha),
        [(np.linalg.norm(a) - 1.0) ** 2] * 3, rtol=1e-5,
    )

    def quadratic(x):  # gradient x: pins the interpolation real + alpha (fake - real)
        return 0.5 * tf.reduce_sum(tf.square(x), axis=[1, 2, 3])

    interpolated = real + alpha[:, None, None, None] * (fake - real)
    norms = np.linalg.norm(interpolated.reshape(3, -1), axis=1)
    np.testing.assert_allclose(
        dfg_losses.feature_gradient_penalty(quadratic, real, fake, alpha), (norms - 1.0) ** 2,
        rtol=1e-5,
    )


def test_unknown_channel_axis_is_refused():
    with pytest.raises(ValueError, match="extractor_features must have a known channel"):
        tf.function(
            lambda f: dfg_losses.channel_ablation_losses(f, lambda x: x, [0]),
            input_signature=[tf.TensorSpec([None, 2, 2, None])],
        ).get_concrete_function()
