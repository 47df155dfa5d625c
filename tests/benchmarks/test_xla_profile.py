"""Tests for benchmarks.xla_profile's network rewiring and scan (the timings are not run)."""

import keras
import numpy as np

from benchmarks import xla_profile
from tfgenaug.networks import XlaSafeConv2D
from tfgenaug.networks import XlaSafeConv2DTranspose
from tfgenaug.networks import dada_generator


def _layer_classes(model: keras.Model) -> set[type]:
    classes = set()
    for layer in model.layers:
        classes.add(type(layer.layer if isinstance(layer, keras.layers.Wrapper) else layer))
    return classes


def test_plain_keras_is_the_same_network_with_keras_convolutions():
    safe = dada_generator((8, 8, 1), 3, width_multiplier=0.125)
    plain = xla_profile.plain_keras(safe)
    assert XlaSafeConv2DTranspose in _layer_classes(safe)
    assert not {XlaSafeConv2D, XlaSafeConv2DTranspose} & _layer_classes(plain)
    assert keras.layers.Conv2DTranspose in _layer_classes(plain)
    assert [w.path for w in plain.weights] == [w.path for w in safe.weights]
    inputs = [np.random.default_rng(0).normal(size=(2, *t.shape[1:])).astype("float32")
              for t in safe.inputs[:1]] + [np.array([0, 2], "int32")]
    np.testing.assert_allclose(plain(inputs, training=False), safe(inputs, training=False),
                               rtol=1e-5, atol=1e-6)


def test_the_scan_finds_the_plain_keras_layers_left_in_the_library():
    found = xla_profile.library_scan()
    assert all("plain Keras" not in layer for name, layers in found.items()
               if name.startswith(("dada_", "dagan_", "feature_")) for layer in layers)
    assert found["dada_generator (32, 32, 3)"] == [
        "`deconv0` (transposed 5x5 s2, 4x4 -> 8x8)"]
    assert found["reference_critic (32, 32, 3)"] == []
