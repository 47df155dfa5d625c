"""`SameClassMix`: interpolates each image with a partner of the same class (or a near target)."""

import numbers
from collections.abc import Callable
from collections.abc import Sequence

import keras
import tensorflow as tf
from keras import ops

from tfgenaug.data.batch_checks import CLASS_IDS_OR_ONE_HOT
from tfgenaug.data.batch_checks import TARGETS
from tfgenaug.data.batch_checks import BatchSpec
from tfgenaug.data.value_range import check_value_range
from tfgenaug.data.value_range import to_model_range
from tfgenaug.layers.batch_contract import BatchAugmentationLayer
from tfgenaug.layers.batch_contract import class_ids
from tfgenaug.layers.batch_contract import unpack_batch
from tfgenaug.layers.untracked_networks import UntrackedNetworks
from tfgenaug.layers.untracked_networks import deserialize_network
from tfgenaug.layers.untracked_networks import load_layer_variables
from tfgenaug.layers.untracked_networks import load_network_weights
from tfgenaug.layers.untracked_networks import save_network_weights
from tfgenaug.layers.untracked_networks import serialize_network

MODES = ("classification", "regression")
# Up to this many dimensions, nearest neighbours use exact pairwise differences.
_DIRECT_DEPTH = 16


@keras.saving.register_keras_serializable(package="tfgenaug")
class SameClassMix(BatchAugmentationLayer):
    """Mixes each image with a partner of the same class, or with its nearest neighbour.

    Every image `x1` of the batch gets a partner `x2` from the same batch and a weight
    `w` drawn per image from U(0, 1) (`alpha=None`) or Beta(alpha, alpha), and becomes
    `w * x1 + (1 - w) * x2`.

    - `mode="classification"`: the partner has the same class as `x1` and the label is
      unchanged (int class ids `(B,)` or `(B, 1)`, or one-hot `(B, K)` rows whose class
      is the argmax). Within each class of the batch the images are put in a random
      order and each is paired with the next one, cyclically, so the partner is a
      uniformly random *other* image of the class and every image is a partner exactly
      once. An image that is the only one of its class in the batch is paired with
      itself and comes out unchanged (its `w` is set to 1).
    - `mode="regression"`: labels are float targets `(B,)` or `(B, D)`; the partner is
      the nearest other sample in target space (Euclidean), or in the space of
      `feature_fn(images)` when given (ties go to the lower index), and the targets are
      mixed with the same `w`: `(w * x1 + (1 - w) * x2, w * y1 + (1 - w) * y2)`.
      Integer targets come out in the layer's compute dtype (float32).

    Images come out in the layer's compute dtype (float32); the mix of two images in
    `value_range` stays in it. At `training=False` the batch is returned unchanged.

    **Note:** This layer is safe to use inside a `tf.data` pipeline (graph mode, e.g.
    `ds.batch(32).map(layer)`, with `(images, labels)` tuples or dicts), inside a
    functional model (active in `fit()`, the identity in `predict()` and `evaluate()`)
    and, with `alpha=None`, inside a `tf.function(jit_compile=True)` (TensorFlow has no
    XLA kernel for the gamma draws behind Beta(alpha, alpha)). It works on batches (rank-4 NHWC
    images), so batch before mapping; pairs only form within a batch, so small batches
    of many classes leave many images unmixed. It needs the TensorFlow backend.

    References:
        - [Data augmentation by pairing samples for images classification (SamplePairing)](
          https://arxiv.org/abs/1801.02929).
        - [MixUp](https://arxiv.org/abs/1710.09412), whose layer contract this follows.
        - [Intra-class mixup](https://arxiv.org/abs/2207.06018) and
          [C-Mixup for regression](https://arxiv.org/abs/2210.05775) (pairs of close
          targets).

    Args:
        alpha: float > 0 or `None`. Concentration of the Beta(alpha, alpha) distribution
            of `w`; `None` draws `w` from U(0, 1) (which is Beta(1, 1)). Defaults to
            `None`.
        mode: `"classification"` (partners of the same class, labels unchanged) or
            `"regression"` (nearest partners, targets mixed). Defaults to
            `"classification"`.
        value_range: `(low, high)`, the range of the user's images. Mixing does not
            depend on it; `feature_fn` gets the images converted from it to [-1, 1],
            the range of tfgenaug's networks. Defaults to `(0, 255)`, as in Keras image
            layers.
        seed: int. Seed of the pairing and of `w`; the same seed gives the same output for
            a fresh layer. Defaults to `None` (random).
        feature_fn: callable or `None`. Only for `mode="regression"`: maps images
            `(B, H, W, C)` in [-1, 1] to features `(B, ...)` in which the nearest
            neighbour is searched (e.g. the penultimate layer of a classifier). It is
            called with `training=False` when it is a Keras layer or model and gets no
            gradient. A Keras layer or model is saved with the layer; a plain Python
            callable works but makes `get_config` fail. Defaults to `None` (the targets).
        range_check: bool. Whether each training batch's images are checked against
            `value_range` (values up to half its span beyond it pass). Defaults to
            `True`.
        **kwargs: base layer keyword arguments, such as `name` and `dtype`.

    Call arguments:
        data: a dict `{"images": images, "labels": labels}` or a tuple
            `(images, labels)`; `layer(images, labels)` (what `ds.map(layer)` does with
            tuple elements) works too. The output has the same structure.
        training: bool. Mix only when `True`. Defaults to `True` when the layer is
            called directly; inside a model Keras passes the model's mode.

    Example:
    ```python
    mix = SameClassMix(alpha=0.4, value_range=(-1, 1), seed=0)
    train_ds = train_ds.shuffle(1000).batch(64).map(mix).prefetch(tf.data.AUTOTUNE)
    classifier.fit(train_ds, epochs=10)

    # Regression (e.g. age from faces): pair samples of close targets.
    mix = SameClassMix(mode="regression", seed=0)
    images, ages = mix((images, ages))
    ```
    """

    def __init__(
        self,
        alpha: float | None = None,
        mode: str = "classification",
        value_range: Sequence[float] = (0, 255),
        seed: int | None = None,
        feature_fn: Callable | None = None,
        range_check: bool = True,
        **kwargs,
    ):
        super().__init__(range_check=range_check, **kwargs)
        if alpha is not None and (
            isinstance(alpha, bool)
            or not isinstance(alpha, numbers.Real)
            or not 0.0 < float(alpha) < float("inf")
        ):
            raise ValueError(f"alpha must be None or a finite number > 0; got {alpha!r}")
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}; got {mode!r}")
        if feature_fn is not None and not callable(feature_fn):
            raise ValueError(f"feature_fn must be None or a callable; got {feature_fn!r}")
        if feature_fn is not None and mode != "regression":
            raise ValueError(
                "feature_fn is only used with mode='regression' (classification pairs "
                f"by label); got mode={mode!r}"
            )
        self.alpha = None if alpha is None else float(alpha)
        self.mode = mode
        self.value_range = check_value_range(value_range)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        # Untracked: the weights of feature_fn must not become (trainable) weights of a
        # model holding the layer. They are saved by `save_own_variables` instead.
        self._networks = UntrackedNetworks(feature_fn=feature_fn)

    @property
    def feature_fn(self) -> Callable | None:
        return self._networks["feature_fn"]

    # ----------------------------------------------------------------- calling
    def get_random_transformation(self, data, training=True, seed=None):
        """Draws the partners and the mixing weights.

        Returns:
            `None` when not training, else a dict with `partners` int32 `(B,)` (row `i`
            is mixed with row `partners[i]`) and `weights` float `(B,)`, the `w` of each
            row (1 where a row is its own partner).
        """
        if not training:
            return None
        images, labels = (data["images"], data["labels"]) if isinstance(data, dict) else data
        batch_size = ops.shape(images)[0]
        seed = self.seed_generator if seed is None else seed
        if self.mode == "classification":
            keys = keras.random.uniform((batch_size,), seed=seed)
            partners = same_class_partners(class_ids(labels), keys)
        else:
            partners = nearest_partners(self._pairing_points(images, labels))
        if self.alpha is None:
            weights = keras.random.uniform((batch_size,), dtype=self.compute_dtype, seed=seed)
        else:
            weights = keras.random.beta(
                (batch_size,), self.alpha, self.alpha, dtype=self.compute_dtype, seed=seed
            )
        alone = ops.equal(partners, ops.arange(batch_size, dtype="int32"))
        weights = ops.where(alone, ops.ones_like(weights), weights)
        return {"partners": partners, "weights": weights}

    def transform_images(self, images, transformation, training=True):
        images = ops.cast(images, self.compute_dtype)
        if not training or transformation is None:
            return images
        return _mix(images, transformation)

    def transform_labels(self, labels, transformation, training=True):
        if self.mode == "classification":
            return labels
        if not _is_float(labels.dtype):
            labels = ops.cast(labels, self.compute_dtype)
        if not training or transformation is None:
            return labels
        return _mix(labels, transformation)

    def _pairing_points(self, images, labels):
        if self.feature_fn is None:
            points = labels
        else:
            inputs = to_model_range(images, self.value_range)
            if isinstance(self.feature_fn, keras.layers.Layer):
                points = self.feature_fn(inputs, training=False)
            else:
                points = self.feature_fn(inputs)
            points = ops.stop_gradient(points)
        points = ops.cast(points, "float32")
        return ops.reshape(points, (ops.shape(points)[0], -1))

    # ----------------------------------------------------------------- checks
    def _unpack(self, data):
        return unpack_batch(data, "SameClassMix")

    def batch_spec(self) -> BatchSpec:
        return self.spec(
            labels=CLASS_IDS_OR_ONE_HOT if self.mode == "classification" else TARGETS
        )

    def compute_output_spec(self, data, training=True):
        images, labels, pack = self._unpack(data)
        self.check_batch(images, labels)
        labels_dtype = labels.dtype
        if self.mode == "regression" and not _is_float(labels_dtype):
            labels_dtype = self.compute_dtype
        return pack(
            keras.KerasTensor(images.shape, dtype=self.compute_dtype),
            keras.KerasTensor(labels.shape, dtype=labels_dtype),
        )

    # ----------------------------------------------------------------- saving
    def save_own_variables(self, store) -> None:
        super().save_own_variables(store)
        save_network_weights(store, self._networks.weights())

    def load_own_variables(self, store) -> None:
        load_layer_variables(self, store)
        load_network_weights(store, self._networks.weights(), f"SameClassMix '{self.name}'")

    def get_config(self) -> dict:
        config = {
            "alpha": self.alpha,
            "mode": self.mode,
            "value_range": list(self.value_range),
            "seed": self.seed,
            "feature_fn": serialize_network(
                self.feature_fn, "SameClassMix.get_config", "feature_fn"
            ),
        }
        base_config = super().get_config()
        return {**base_config, **config}

    @classmethod
    def from_config(cls, config: dict):
        config = dict(config)
        config["feature_fn"] = deserialize_network(config.get("feature_fn"))
        return cls(**config)


# --------------------------------------------------------------------- pairing maths
def same_class_partners(classes, keys):
    """Pairs every row with another row of the same class, as a random cyclic shift.

    Rows are sorted by `(class, key)`; inside each class's run the row at offset `o` of
    a run of length `m` is paired with the row at offset `(o + 1) % m`. A class with one
    row pairs it with itself.

    Args:
        classes: int32 `(B,)` class ids.
        keys: float `(B,)` distinct random keys that order the rows within a class.

    Returns:
        int32 `(B,)`: the partner of each row; `classes[partners] == classes`.

    Example:

    >>> same_class_partners(tf.constant([0, 1, 0, 0]), tf.constant([0.1, 0.5, 0.3, 0.2]))
    <tf.Tensor: shape=(4,), dtype=int32, numpy=array([3, 1, 0, 2], dtype=int32)>
    """
    classes = tf.convert_to_tensor(classes, tf.int32)
    by_key = tf.argsort(keys, stable=True)
    order = tf.gather(by_key, tf.argsort(tf.gather(classes, by_key), stable=True))
    sorted_classes = tf.gather(classes, order)
    batch_size = tf.shape(classes)[0]
    positions = tf.range(batch_size)
    starts_run = tf.concat(
        [tf.ones([1], tf.bool), sorted_classes[1:] != sorted_classes[:-1]], axis=0
    )
    run = tf.cumsum(tf.cast(starts_run, tf.int32)) - 1
    run_start = tf.gather(tf.math.unsorted_segment_min(positions, run, batch_size), run)
    run_length = tf.gather(
        tf.math.unsorted_segment_sum(tf.ones_like(positions), run, batch_size), run
    )
    partner_position = run_start + tf.math.floormod(positions - run_start + 1, run_length)
    partner_of_sorted = tf.gather(order, partner_position)
    # Row order[i] is paired with partner_of_sorted[i]; undo the sort.
    return tf.gather(partner_of_sorted, tf.argsort(order))


def nearest_partners(points):
    """The index of each row's nearest *other* row (Euclidean), ties to the lower index.

    Args:
        points: float `(B, D)`.

    Returns:
        int32 `(B,)`; a single row is its own partner.

    Example:

    >>> nearest_partners(tf.constant([[0.0], [10.0], [1.0], [8.0]]))
    <tf.Tensor: shape=(4,), dtype=int32, numpy=array([2, 3, 0, 1], dtype=int32)>
    """
    points = tf.convert_to_tensor(points, tf.float32)
    depth = points.shape[-1]
    if depth is not None and depth <= _DIRECT_DEPTH:
        # Few dimensions (targets): exact differences, (B, B, D) is small.
        differences = points[:, None, :] - points[None, :, :]
        distances = tf.reduce_sum(tf.square(differences), axis=-1)
    else:
        # Many dimensions (features): |a|^2 + |b|^2 - 2 a.b, after centring for accuracy.
        points = points - tf.reduce_mean(points, axis=0, keepdims=True)
        squared = tf.reduce_sum(tf.square(points), axis=-1)
        distances = (
            squared[:, None] + squared[None, :]
            - 2.0 * tf.matmul(points, points, transpose_b=True)
        )
    batch_size = tf.shape(points)[0]
    self_pair = tf.eye(batch_size, dtype=tf.bool)
    distances = tf.where(self_pair, tf.fill(tf.shape(distances), float("inf")), distances)
    partners = tf.argmin(distances, axis=-1, output_type=tf.int32)
    # A batch of one row: every distance is +inf and argmin gives 0, the row itself.
    return partners


def _mix(values, transformation):
    partners, weights = transformation["partners"], transformation["weights"]
    weights = ops.cast(weights, values.dtype)
    weights = ops.reshape(weights, (-1,) + (1,) * (len(values.shape) - 1))
    return weights * values + (1.0 - weights) * ops.take(values, partners, axis=0)


def _is_float(dtype) -> bool:
    return tf.as_dtype(keras.backend.standardize_dtype(dtype)).is_floating

