"""Inner networks that an augmentation layer uses but Keras must not track.

`GANAugment`'s generator, `SameClassMix`'s `feature_fn` and `StyleTransferAugment`'s
encoder, decoder and teacher run inside the layer with `training=False` and get no
gradient. Were they attributes Keras tracks, their weights would become (trainable)
weights of every model holding the layer, and `fit()` would update them. So the layers
keep them in an `UntrackedNetworks` holder, save their weights in
`save_own_variables` under the keys `"{name}_{i}"` with `save_network_weights`, load
them back with `load_network_weights` and put the networks in their config with
`serialize_network` / `deserialize_network`.
"""

import copy
from collections.abc import Iterator
from collections.abc import Mapping
from collections.abc import Sequence
from typing import Any

import keras


class UntrackedNetworks(Mapping):
    """A read-only mapping from names to networks that Keras does not track.

    Keras tracks layers, variables, lists and dicts assigned to a layer's attributes;
    it does not look inside other objects, so networks held here stay out of the
    layer's (and its models') weights.

    Args:
        **networks: the networks (Keras layers or models, plain callables or `None`),
            by name.

    Example:

    >>> networks = UntrackedNetworks(encoder=keras.layers.Dense(2), teacher=None)
    >>> list(networks), networks["teacher"]
    (['encoder', 'teacher'], None)
    """

    def __init__(self, **networks: Any):
        self._networks = dict(networks)

    def __getitem__(self, name: str) -> Any:
        return self._networks[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._networks)

    def __len__(self) -> int:
        return len(self._networks)

    def __repr__(self) -> str:
        return f"UntrackedNetworks({', '.join(self._networks)})"

    def weights(self) -> dict[str, list]:
        """The weights of each network, by name (see `network_weights`)."""
        return {name: network_weights(network) for name, network in self._networks.items()}


def network_weights(network) -> list:
    """The weights of `network` when it is a Keras layer or model, else `[]`.

    Args:
        network: a Keras layer or model, a plain callable or `None`.

    Returns:
        A list of `keras.Variable`s (empty for a network that is not a Keras layer).
    """
    return list(network.weights) if isinstance(network, keras.layers.Layer) else []


def save_network_weights(store, weights: Mapping[str, Sequence]) -> None:
    """Writes the weights of inner networks into a layer's variable store.

    Call it in `save_own_variables`, after the layer's own variables (stored under the
    keys `"0"`, `"1"`, ...).

    Args:
        store: the dict-like store `save_own_variables` gets.
        weights: the weights of each network, by name; weight `i` of network `name` is
            stored under the key `"{name}_{i}"`.
    """
    for name, network_weights_ in weights.items():
        for i, weight in enumerate(network_weights_):
            store[f"{name}_{i}"] = weight


def load_network_weights(store, weights: Mapping[str, Sequence], owner: str) -> None:
    """Assigns the weights `save_network_weights` stored to the networks' variables.

    The networks are loaded in the order of `weights`; each is checked to have as many
    variables as the store holds for it before any of them is assigned.

    Args:
        store: the dict-like store `load_own_variables` gets.
        weights: the variables of each network, by name, to assign from the keys
            `"{name}_{i}"`.
        owner: how errors name the layer, e.g. `"GANAugment 'gan_augment'"`.

    Raises:
        ValueError: naming `owner` and the network, when the store holds a different
            number of weights for a network than it has.
    """
    # `.keys()`: a store need not be iterable.
    keys = [str(key) for key in store.keys()]  # noqa: SIM118
    for name, variables in weights.items():
        stored = sum(key.startswith(f"{name}_") for key in keys)
        if stored != len(variables):
            raise ValueError(
                f"{owner}: the file holds {stored} {name} weights but the {name} has "
                f"{len(variables)}"
            )
        for i, variable in enumerate(variables):
            variable.assign(store[f"{name}_{i}"])


def load_layer_variables(layer: keras.layers.Layer, store) -> None:
    """Assigns a layer's own variables from the keys `"0"`, `"1"`, ... of `store`.

    This is `keras.layers.Layer.load_own_variables` without its check that the store
    holds nothing else: the store also holds the networks' weights.

    Args:
        layer: the layer whose own (tracked) variables to load.
        store: the dict-like store `load_own_variables` gets.
    """
    own = layer._trainable_variables + layer._non_trainable_variables
    for i, variable in enumerate(own):
        variable.assign(store[f"{i}"])


def serialize_network(network, owner: str, name: str) -> dict | None:
    """The config of an inner network, for the layer's `get_config`.

    Args:
        network: a Keras layer or model, or `None`.
        owner: how errors name the layer, e.g. `"SameClassMix.get_config"`.
        name: the argument that took the network, e.g. `"feature_fn"`.

    Returns:
        `keras.saving.serialize_keras_object(network)`, or `None` for `None`.

    Raises:
        ValueError: naming `owner` and `name`, when `network` is not a Keras layer.
    """
    if network is None:
        return None
    if not isinstance(network, keras.layers.Layer):
        raise ValueError(
            f"{owner}: {name} must be a Keras layer or model to be serialised; got "
            f"{network!r}"
        )
    return keras.saving.serialize_keras_object(network)


def deserialize_network(value):
    """The network of a config value `serialize_network` made (other values as given).

    Args:
        value: a serialised Keras object (a dict), or anything else (e.g. `None`).

    Returns:
        The deserialised network, or `value` when it is not a dict.
    """
    if not isinstance(value, dict):
        return value
    # Deserialising consumes the dict it is given: work on a copy.
    return keras.saving.deserialize_keras_object(copy.deepcopy(value))
