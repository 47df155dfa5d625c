import keras
import numpy as np
import pytest
import tensorflow as tf

from tfgenaug.networks import WeightNormalization
from tfgenaug.networks import data_dependent_init


def by_hand(v: np.ndarray, g: np.ndarray, out_axis: int) -> np.ndarray:
    axes = tuple(a for a in range(v.ndim) if a != out_axis % v.ndim)
    norm = np.sqrt(np.sum(v**2, axis=axes, keepdims=True) + 1e-6)
    shape = [1] * v.ndim
    shape[out_axis] = -1
    return v * g.reshape(shape) / norm


@pytest.mark.parametrize(
    "layer,inputs,out_axis",
    [
        (keras.layers.Dense(4, activation="relu"), (3, 5), -1),
        (keras.layers.Conv2D(4, 3, padding="same"), (2, 6, 6, 3), -1),
        (keras.layers.Conv2DTranspose(4, 5, strides=2, padding="same"), (2, 3, 3, 3), -2),
    ],
    ids=["dense", "conv2d", "conv2d_transpose"],
)
def test_forward_equals_g_v_over_norm(layer, inputs, out_axis):
    rng = np.random.default_rng(0)
    x = rng.normal(size=inputs).astype("float32")
    wrapped = WeightNormalization(layer)
    wrapped.build(inputs)
    v = layer.kernel.numpy()
    # g starts at ||v||: the wrapped layer first computes what the plain layer would.
    np.testing.assert_allclose(wrapped(x), layer(x), atol=1e-5)
    g = rng.uniform(0.5, 2.0, size=wrapped.g.shape).astype("float32")
    wrapped.g.assign(g)
    layer.bias.assign(rng.normal(size=layer.bias.shape).astype("float32"))
    kernel = by_hand(v, g, out_axis)
    np.testing.assert_allclose(wrapped.normalized_kernel(), kernel, rtol=1e-5, atol=1e-6)
    # The wrapped layer's output with the hand-computed kernel put in its place.
    layer.kernel.assign(kernel)
    expected = layer(x).numpy()
    layer.kernel.assign(v)
    np.testing.assert_allclose(wrapped(x), expected, rtol=1e-4, atol=1e-5)


def test_runs_under_xla_and_gradients_reach_v_and_g():
    wrapped = WeightNormalization(keras.layers.Conv2D(2, 3))
    x = tf.random.normal((2, 5, 5, 1))
    wrapped.build(x.shape)

    @tf.function(jit_compile=True)
    def step(x):
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(wrapped(x) ** 2)
        return tape.gradient(loss, wrapped.trainable_variables)

    grads = step(x)
    assert len(grads) == 3  # v (the kernel), bias, g
    assert all(np.all(np.isfinite(g)) for g in grads)


def test_save_and_load_model_gives_the_same_outputs(tmp_path):
    inputs = keras.Input((8, 8, 1))
    x = WeightNormalization(keras.layers.Conv2D(3, 3, activation="relu"))(inputs)
    x = WeightNormalization(keras.layers.Conv2DTranspose(2, 3, strides=2))(x)
    x = keras.layers.Flatten()(x)
    outputs = WeightNormalization(keras.layers.Dense(2), init_scale=0.1)(x)
    model = keras.Model(inputs, outputs)
    images = np.random.default_rng(1).normal(size=(4, 8, 8, 1)).astype("float32")
    data_dependent_init(model, images)
    path = str(tmp_path / "model.keras")
    model.save(path)
    loaded = keras.models.load_model(path)
    np.testing.assert_allclose(loaded(images), model(images), atol=1e-6)
    assert loaded.layers[-1].init_scale == 0.1


def test_data_dependent_init_standardises_pre_activations():
    inputs = keras.Input((6,))
    hidden = WeightNormalization(keras.layers.Dense(5, activation="relu"))(inputs)
    outputs = WeightNormalization(keras.layers.Dense(3), init_scale=0.1)(hidden)
    model = keras.Model(inputs, outputs)
    x = np.random.default_rng(2).normal(3.0, 2.0, size=(256, 6)).astype("float32")
    assert data_dependent_init(model, x) == 2
    logits = model(x).numpy()  # the last layer has no activation
    np.testing.assert_allclose(logits.mean(axis=0), 0.0, atol=1e-4)
    np.testing.assert_allclose(logits.std(axis=0), 0.1, rtol=1e-3)


@pytest.mark.parametrize("layer", [keras.layers.ReLU(), keras.layers.Dropout(0.5),
                                   keras.layers.BatchNormalization()])
def test_layer_without_kernel_is_refused(layer):
    with pytest.raises(ValueError, match="layer must be a layer with a kernel"):
        WeightNormalization(layer)


def test_bad_arguments():
    with pytest.raises(ValueError, match="layer must be a keras.layers.Layer"):
        WeightNormalization("dense")
    with pytest.raises(ValueError, match="init_scale must be > 0"):
        WeightNormalization(keras.layers.Dense(2), init_scale=0.0)
