"""Tests of `tfgenaug.layers.untracked_networks`: inner networks Keras does not track."""

import keras
import numpy as np
import pytest

from tfgenaug.layers.untracked_networks import UntrackedNetworks
from tfgenaug.layers.untracked_networks import deserialize_network
from tfgenaug.layers.untracked_networks import load_layer_variables
from tfgenaug.layers.untracked_networks import load_network_weights
from tfgenaug.layers.untracked_networks import network_weights
from tfgenaug.layers.untracked_networks import save_network_weights
from tfgenaug.layers.untracked_networks import serialize_network


def dense(units: int = 2, seed: int = 0) -> keras.layers.Dense:
    layer = keras.layers.Dense(units, kernel_initializer=keras.initializers.RandomNormal(seed=seed))
    layer.build((None, 3))
    return layer


class _Holder(keras.layers.Layer):
    """A layer with one variable of its own and an untracked network, saved with it."""

    def __init__(self, network=None, **kwargs):
        super().__init__(**kwargs)
        self.scale = self.add_weight(shape=(), initializer="ones", name="scale")
        self._networks = UntrackedNetworks(network=network)

    def call(self, x):
        return self.scale * self._networks["network"](x)

    def save_own_variables(self, store):
        super().save_own_variables(store)
        save_network_weights(store, self._networks.weights())

    def load_own_variables(self, store):
        load_layer_variables(self, store)
        load_network_weights(store, self._networks.weights(), f"_Holder '{self.name}'")


def test_holder_is_a_read_only_mapping_keras_does_not_track():
    network = dense()
    holder = _Holder(network)

    assert dict(holder._networks) == {"network": network}
    assert len(holder._networks) == 1 and "network" in holder._networks
    assert holder.weights == [holder.scale]  # not the network's kernel and bias
    with pytest.raises(TypeError):
        holder._networks["network"] = None


def test_network_weights_of_every_kind_of_network():
    network = dense()
    assert network_weights(network) == list(network.weights)
    assert network_weights(lambda x: x) == []
    assert network_weights(None) == []
    assert UntrackedNetworks(a=network, b=None).weights() == {"a": list(network.weights),
                                                               "b": []}


def test_save_and_load_round_trip_through_a_store():
    source, target = dense(seed=0), dense(seed=1)
    store = {}
    save_network_weights(store, {"encoder": source.weights, "teacher": []})
    assert sorted(store) == ["encoder_0", "encoder_1"]

    load_network_weights(store, {"encoder": target.weights, "teacher": []}, "Owner 'x'")

    for a, b in zip(source.weights, target.weights, strict=True):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_load_checks_the_count_naming_the_owner_and_the_network():
    store = {}
    save_network_weights(store, {"decoder": dense().weights})
    with pytest.raises(
        ValueError,
        match=r"^Owner 'x': the file holds 2 decoder weights but the decoder has 0$",
    ):
        load_network_weights(store, {"decoder": []}, "Owner 'x'")
    with pytest.raises(ValueError, match="holds 0 encoder weights but the encoder has 2"):
        load_network_weights(store, {"encoder": dense().weights}, "Owner 'x'")


def test_weights_file_round_trip_of_a_layer_with_an_untracked_network(tmp_path):
    holder = _Holder(dense(seed=0), name="holder")
    inputs = keras.Input((3,))
    model = keras.Model(inputs, holder(inputs))
    assert len(model.weights) == 1
    holder.scale.assign(3.0)
    path = str(tmp_path / "holder.weights.h5")
    model.save_weights(path)

    fresh = _Holder(dense(seed=1), name="holder")
    fresh_model = keras.Model(inputs, fresh(inputs))
    fresh_model.load_weights(path)

    x = np.ones((2, 3), "float32")
    np.testing.assert_allclose(fresh_model(x), model(x), atol=1e-6)
    assert float(fresh.scale.numpy()) == 3.0


def test_load_layer_variables_reads_the_numbered_keys():
    holder = _Holder(None)
    load_layer_variables(holder, {"0": np.float32(5.0), "network_0": "ignored"})
    assert float(holder.scale.numpy()) == 5.0


def test_serialize_and_deserialize_a_network():
    network = dense()
    config = serialize_network(network, "Owner.get_config", "feature_fn")
    kept = dict(config)

    restored = deserialize_network(config)

    assert isinstance(restored, keras.layers.Dense) and restored.units == network.units
    assert config == kept  # deserialising works on a copy
    assert serialize_network(None, "Owner.get_config", "teacher") is None
    assert deserialize_network(None) is None
    assert deserialize_network("/models/gen") == "/models/gen"


def test_serialize_refuses_a_plain_callable_naming_owner_and_argument():
    with pytest.raises(ValueError, match=r"^Owner\.get_config: decoder must be a Keras layer"):
        serialize_network(lambda x: x, "Owner.get_config", "decoder")
