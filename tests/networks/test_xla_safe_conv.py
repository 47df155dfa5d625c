import re

import keras
import numpy as np
import pytest
import tensorflow as tf

from tfgenaug.networks.dada_networks import dada_discriminator
from tfgenaug.networks.dada_networks import dada_generator
from tfgenaug.networks.dagan_networks import dagan_critic
from tfgenaug.networks.dagan_networks import dagan_generator
from tfgenaug.networks.dfg_networks import feature_critic
from tfgenaug.networks.dfg_networks import feature_generator
from tfgenaug.networks.weight_norm import WeightNormalization
from tfgenaug.networks.xla_safe_conv import XlaSafeConv2D
from tfgenaug.networks.xla_safe_conv import XlaSafeConv2DTranspose
from tfgenaug.networks.xla_safe_conv import swap_prone
from tfgenaug.networks.xla_safe_conv import tracing_for_xla
from tfgenaug.networks.xla_safe_conv import window_exceeds_map

# (map side, kernel, stride, padding): every one has a window larger than the map XLA
# convolves over (the output map of a Conv2D, the input map of a Conv2DTranspose).
CONV_CASES = [(4, 5, 2, "same"), (4, 3, 1, "valid"), (3, 3, 1, "same"), (7, 5, 2, "same"),
              (5, 5, 1, "valid")]
TRANSPOSED_CASES = [(4, 5, 2, "same"), (4, 5, 2, "valid"), (2, 3, 1, "same"),
                    (3, 4, 2, "same"), (1, 5, 2, "same")]


def _pair(safe_cls, plain_cls, side, kernel, stride, padding, wrap=False):
    """A safe and a plain layer with the same weights, and an input batch."""
    kwargs = dict(filters=5, kernel_size=kernel, strides=stride, padding=padding,
                  use_bias=True, activation="relu")
    safe, plain = safe_cls(**kwargs), plain_cls(**kwargs)
    if wrap:
        safe, plain = WeightNormalization(safe), WeightNormalization(plain)
    x = tf.random.stateless_normal((3, side, side, 4), [0, side + kernel])
    safe(x), plain(x)
    plain.set_weights([np.random.default_rng(1).normal(size=w.shape).astype("float32")
                       for w in safe.get_weights()])
    safe.set_weights(plain.get_weights())
    return safe, plain, x


def _forward_backward(layer, jit):
    @tf.function(jit_compile=jit)
    def run(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = layer(x)
            loss = tf.reduce_sum(y * tf.cos(y))  # not linear, so every term counts
        return [y, *tape.gradient(loss, [x, *layer.trainable_variables])]

    return run


def _assert_same(safe, plain, x, jit):
    got, want = _forward_backward(safe, jit)(x), _forward_backward(plain, jit)(x)
    for a, b in zip(got, want, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5 * float(np.abs(b).max()))


@pytest.mark.parametrize("jit", [True, False], ids=["xla", "graph"])
@pytest.mark.parametrize("case", CONV_CASES, ids=str)
def test_conv2d_outputs_and_gradients_equal_keras(case, jit):
    _assert_same(*_pair(XlaSafeConv2D, keras.layers.Conv2D, *case), jit)


@pytest.mark.parametrize("jit", [True, False], ids=["xla", "graph"])
@pytest.mark.parametrize("case", TRANSPOSED_CASES, ids=str)
def test_conv2d_transpose_outputs_and_gradients_equal_keras(case, jit):
    _assert_same(*_pair(XlaSafeConv2DTranspose, keras.layers.Conv2DTranspose, *case), jit)


@pytest.mark.parametrize("safe_cls,plain_cls", [
    (XlaSafeConv2D, keras.layers.Conv2D),
    (XlaSafeConv2DTranspose, keras.layers.Conv2DTranspose),
])
def test_weight_normalized_layers_equal_keras_under_xla(safe_cls, plain_cls):
    _assert_same(*_pair(safe_cls, plain_cls, 4, 5, 2, "same", wrap=True), jit=True)


def _swapped_convolutions(layer, x) -> int:
    """Operand-swapped (`rhs_reversal`) convolutions in the optimized HLO of a step."""
    hlo = _forward_backward(layer, True).experimental_get_compiler_ir(x)(
        stage="optimized_hlo")
    return sum("rhs_reversal" in line for line in re.findall(r"= \S+ convolution\(.*", hlo))


@pytest.mark.parametrize("safe_cls,plain_cls,wrap", [
    (XlaSafeConv2D, keras.layers.Conv2D, False),
    (XlaSafeConv2DTranspose, keras.layers.Conv2DTranspose, False),
    (XlaSafeConv2DTranspose, keras.layers.Conv2DTranspose, True),
], ids=["conv", "transposed", "transposed_weight_normalized"])
def test_xla_swaps_the_plain_layer_but_not_the_safe_one(safe_cls, plain_cls, wrap):
    safe, plain, x = _pair(safe_cls, plain_cls, 4, 5, 2, "same", wrap=wrap)
    assert _swapped_convolutions(plain, x) >= 1  # else this test no longer tests the fix
    assert _swapped_convolutions(safe, x) == 0


def test_the_native_op_runs_where_xla_would_not_swap():
    conv = XlaSafeConv2D(4, 3, padding="same")
    assert not conv.rewrite_under_xla((None, 8, 8, 2))
    assert conv.rewrite_under_xla((None, 2, 2, 2))
    deconv = XlaSafeConv2DTranspose(4, 5, strides=2, padding="same")
    assert not deconv.rewrite_under_xla((None, 8, 8, 2))
    assert deconv.rewrite_under_xla((None, 4, 4, 2))
    assert not deconv.rewrite_under_xla((None, None, None, 2))  # unknown sides


def test_tracing_for_xla():
    seen = {}

    def probe(key):
        seen[key] = tracing_for_xla()
        return tf.constant(0.0)

    tf.function(lambda: probe("xla"), jit_compile=True)()
    tf.function(lambda: probe("graph"))()
    probe("eager")
    assert seen == {"xla": True, "graph": False, "eager": False}


def test_window_exceeds_map():
    assert window_exceeds_map((5, 5), (4, 4)) and not window_exceeds_map((3, 3), (3, 3))
    assert not window_exceeds_map((5, 5), (None, 2))


@pytest.mark.parametrize("cls", [XlaSafeConv2D, XlaSafeConv2DTranspose])
def test_config_and_keras_serialization_round_trip(cls):
    layer = cls(3, 5, strides=2, padding="same", name="deconv0")
    assert cls.from_config(layer.get_config()).get_config() == layer.get_config()
    config = keras.saving.serialize_keras_object(layer)
    assert config["registered_name"] == f"tfgenaug>{cls.__name__}"
    restored = keras.saving.deserialize_keras_object(config)
    assert type(restored) is cls and restored.get_config() == layer.get_config()


def test_a_saved_model_file_reloads_with_the_safe_layers(tmp_path):
    model = feature_critic((8, 8, 6), width=4)
    path = str(tmp_path / "critic.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert type(loaded.get_layer("conv1")) is XlaSafeConv2D
    x = np.random.default_rng(0).normal(size=(2, 8, 8, 6)).astype("float32")
    np.testing.assert_allclose(loaded(x), model(x), rtol=1e-6)


def test_swap_prone_finds_the_small_maps():
    names = [layer.name for layer in swap_prone(feature_critic((14, 14, 6)))]
    assert names == ["conv1", "conv2"]
    names = [layer.name for layer in swap_prone(dada_generator((8, 8, 1), 10, 16, 0.1))]
    assert names == ["deconv0", "deconv1", "deconv2_wn"]
    assert swap_prone(dada_discriminator((32, 32, 3), 10, 0.1)) == []


@pytest.mark.parametrize("build", [
    lambda: dada_generator((32, 32, 3), 10, width_multiplier=0.1),
    lambda: dada_discriminator((16, 16, 1), 10, width_multiplier=0.1),
    lambda: feature_generator((14, 14, 6), 10, width=8),
    lambda: feature_critic((14, 14, 6), width=4),
    lambda: dagan_generator((16, 16, 1), width=4),
    lambda: dagan_critic((16, 16, 1), width=4),
], ids=["dada_g", "dada_d", "dfg_g", "dfg_d", "dagan_g", "dagan_c"])
def test_builders_use_only_the_safe_convolutions(build):
    model = build()
    convs = [layer.layer if isinstance(layer, keras.layers.Wrapper) else layer
             for layer in model.layers]
    convs = [c for c in convs if isinstance(c, keras.layers.Conv2D | keras.layers.Conv2DTranspose)]
    assert convs and all(type(c) in (XlaSafeConv2D, XlaSafeConv2DTranspose) for c in convs)
