"""The trainer kernel: what every tfgenaug trainer's `train_step` stands on.

A trainer is a `keras.Model` with its own `train_step`, trained with `fit()`. The
kernel `Trainer` owns everything that is not the trainer's loss maths, once:

- **compile**: optimizers given by keyword, wrapped in a `LossScaleOptimizer` when a
  network computes in float16 (`mixed_float16`); their slot variables are built at
  once (a checkpoint can only restore into slots that exist, and variables created in
  a traced step break it under a strategy). `get_compile_config` records them, so
  `keras.models.load_model` compiles a saved trainer again (`compile_config.py`).
- **the XLA split**: on one device XLA compiles the whole step. Under several replicas
  Keras cannot (XLA refuses the other replicas' mirrored variables), so the kernel
  compiles only the per-replica maths (`xla_maths(fn)`) and the updates run outside.
  Whether XLA is used at all: `jit_compile="auto"` measures it (`compile_path.py`).
- **batches**: `unpack_batch` (tuple or dict, shape checks) and `fit`, which checks
  every batch in the input pipeline with `tfgenaug.data.batch_checks` (shapes and
  dtypes, finite images in `image_value_range`, labels in `[0, num_classes)`) before
  any weight, optimizer step or checkpoint moves; `batch_spec` says what it takes.
- **global-batch averaging** (`average_loss`) and **trackers** (`update_trackers`)
  that report one-device values under any strategy (with shape-(1,) logs under
  `MultiWorkerMirroredStrategy`, keras-team/keras#20585).
- **ordered updates**: `apply_update` applies gradients only after they exist, so the
  optimizer's counter cannot move on a batch whose checks fail.
- **randomness**: stateless, keyed by `(seed, step, draw)`, drawn for the *global*
  batch and sliced per replica (`replica_uniforms`, `replica_normals`): a
  `MirroredStrategy` run sees the noise of a one-device run with the same global
  batch, and a resumed run continues the same stream.
- **one step counter**: `train_steps`, the iterations of the optimizer named by
  `step_optimizer` (the checkpointed variable the run loop, the callbacks and the
  randomness read).
- **staged train functions**: a trainer whose steps come in kinds (DADA's two stages,
  DFG's steps with and without the classifier update) returns them from
  `train_stages()` and says which is next in `current_stage()`; the kernel builds one
  train function per stage and a Python dispatcher that reads the counter before
  each execution (no `tf.cond` around optimizer updates, which neither XLA nor a
  strategy's merge calls accept).

A subclass sets `metric_names` and `step_optimizer`, returns its networks from
`networks()` and its optimizers' defaults and variables from `default_optimizers()`
and `optimizer_variables()`, and writes `train_step` (or `train_stages`).
"""

from collections.abc import Callable

import keras
import numpy as np
import tensorflow as tf

from tfgenaug.data import batch_checks
from tfgenaug.networks import spectral_norm
from tfgenaug.trainers import compile_config
from tfgenaug.trainers import compile_path
from tfgenaug.trainers import fit_arguments
from tfgenaug.trainers import held_out
from tfgenaug.trainers import portable_random
from tfgenaug.trainers import precision
from tfgenaug.trainers import prefit_build
from tfgenaug.validation import check_seed


class Trainer(compile_config.CompileConfigMixin, compile_path.CompilePathMixin,
              fit_arguments.FitArgumentsMixin, held_out.HeldOutMixin, keras.Model):
    """Base class of every tfgenaug trainer (see the module docstring).

    Args:
        seed: int. Seed of all randomness in training. Defaults to 0.
        **kwargs: passed to `keras.Model`.
    """

    metric_names: tuple[str, ...] = ()
    # The optimizer (attribute name) whose iterations count train steps.
    step_optimizer: str = "g_optimizer"
    # Draw numbers each step reserves in the stateless seed `step * draws_per_step + draw`.
    draws_per_step: int = 1024
    # The range `fit` checks images against (with `batch_checks.RANGE_SLACK`).
    image_value_range: tuple[float, float] | None = (-1.0, 1.0)

    def __init__(self, seed: int = 0, **kwargs):
        super().__init__(**kwargs)
        self.seed = check_seed(seed)
        self.xla_per_replica = False
        self.jit_requested = False
        self.compile_path: compile_path.CompilePath | None = None
        self._compiled_cache: dict[str, Callable] = {}
        self._path_functions, self._jit_path = {}, None  # see compile_path.CompilePathMixin
        self._vector_logs = False

    def init_trackers(self, names) -> None:
        """Creates one `keras.metrics.Mean` tracker per name (the progress bar's logs)."""
        self.trackers = {name: keras.metrics.Mean(name=name) for name in names}

    # ----------------------------------------------------------------- hooks
    def networks(self) -> tuple[keras.Model, ...]:
        """The trained networks: checked for float16 layers and synchronized batch norm."""
        return ()

    def xla_networks(self) -> tuple[keras.Model, ...]:
        """The networks `xla_maths` runs (checked for synchronized batch norm)."""
        return self.networks()

    def default_optimizers(self) -> dict[str, keras.optimizers.Optimizer]:
        """`{attribute name: optimizer}` used for every optimizer `compile` gets none of."""
        return {}

    def optimizer_variables(self) -> dict[str, list]:
        """`{attribute name: variables}`: what each optimizer updates (to build its slots)."""
        return {}

    # ----------------------------------------------------------------- compile
    def compile_trainer(self, optimizers: dict, jit_compile: bool | str = "auto", **kwargs) -> None:
        """Sets the optimizers and the compile path, then `keras.Model.compile(**kwargs)`.

        Subclasses call this from a `compile` with keyword-only optimizer arguments.

        Args:
            optimizers: `{attribute name: optimizer or None}`; `None` takes the
                default from `default_optimizers()`. The key `"optimizer"` is Keras'
                own optimizer, passed to `keras.Model.compile` (Keras wraps it for
                float16 itself).
            jit_compile: `True` (XLA: the whole step on one device, the per-replica
                maths, `xla_maths`, under several replicas), `False` or `"auto"` (see
                `tfgenaug.trainers.compile_path`; any other value is a ValueError).
            **kwargs: passed to `keras.Model.compile`.
        """
        jit_compile = compile_path.check_jit_compile(jit_compile)
        self._optimizer_names, self._jit_compile_request = tuple(optimizers), jit_compile
        defaults = self.default_optimizers()
        float16 = self.computes_in_float16()
        keras_optimizer = None
        for name, optimizer in optimizers.items():
            optimizer = optimizer if optimizer is not None else defaults[name]
            if name == "optimizer":
                keras_optimizer = optimizer
            else:
                setattr(self, name, precision.loss_scaled(optimizer, float16))
        # Without an optimizer of its own Keras' is None, not its default RMSprop: Keras'
        # callbacks (BackupAndRestore) would build that one on every weight.
        kwargs["optimizer"] = keras_optimizer if "optimizer" in optimizers else None
        auto = jit_compile == compile_path.AUTO
        super().compile(jit_compile=False if auto else jit_compile, **kwargs)
        self._vector_logs = isinstance(
            self.distribute_strategy, tf.distribute.MultiWorkerMirroredStrategy
        )
        self._path_functions, self._compiled_cache, self._jit_path = {}, {}, None
        self.compile_path = None
        self._set_jit(not auto and jit_compile)  # the graph until "auto" decides
        if not auto:
            self.compile_path = compile_path.CompilePath(jit_compile, "forced")
        with self.distribute_strategy.scope():
            for name, variables in self.optimizer_variables().items():
                getattr(self, name).build(variables)

    def computes_in_float16(self) -> bool:
        """Whether any layer of the networks computes in float16 (`mixed_float16`)."""
        return precision.computes_in_float16(self.networks())

    def loss_scaled(self, optimizer: keras.optimizers.Optimizer) -> keras.optimizers.Optimizer:
        """`optimizer` wrapped in a `LossScaleOptimizer` when the networks use float16."""
        return precision.loss_scaled(optimizer, self.computes_in_float16())

    def per_replica_xla_blocker(self) -> str | None:
        """Why the maths cannot compile per replica (a cross-replica call), or None."""
        if any(
            isinstance(layer, keras.layers.BatchNormalization) and layer.synchronized
            for network in self.xla_networks()
            for layer in network._flatten_layers(include_self=False)
        ):
            return ("Synchronized batch normalization needs cross-replica calls that XLA "
                    "cannot compile per replica")
        return None

    def xla_maths(self, fn: Callable) -> Callable:
        """Returns `fn` compiled per replica with XLA when the step itself is not."""
        return compiled_per_replica(fn, self._compiled_cache, self.xla_per_replica)

    # ----------------------------------------------------------------- updates
    @staticmethod
    def gradients(tape: tf.GradientTape, loss: tf.Tensor, target,
                  optimizer: keras.optimizers.Optimizer) -> list:
        """Gradients of a float32 `loss` for `target` (a network or a variable list),
        times `optimizer`'s loss scale (see `precision.scaled_gradients`)."""
        return precision.scaled_gradients(tape, loss, _variables_of(target), optimizer)

    @staticmethod
    def apply_update(optimizer: keras.optimizers.Optimizer, grads: list, target) -> None:
        """Applies `grads` to `target` (a network or a variable list) with `optimizer`.

        The update (the optimizer's step counter included) waits for the gradients,
        so when the input pipeline fails a batch's check nothing, not even the
        counter, moves: the counter has no data dependency of its own.
        """
        apply_after_gradients(optimizer, grads, _variables_of(target))

    # ----------------------------------------------------------------- metrics
    @property
    def metrics(self) -> list[keras.metrics.Metric]:
        """The trackers; a trainer without them (compiled loss and metrics) has Keras'."""
        trackers = getattr(self, "trackers", None)
        return super().metrics if trackers is None else list(trackers.values())

    def update_trackers(self, values: dict[str, tf.Tensor]) -> dict[str, tf.Tensor]:
        """Updates the trackers with losses averaged over the global batch.

        Under a strategy each replica holds its share of the global average; the
        trackers sum the replicas' updates with weight 1 each, so the share is
        multiplied back by the number of replicas to report the one-device value.
        """
        num_replicas = self.distribute_strategy.num_replicas_in_sync
        for name, value in values.items():
            self.trackers[name].update_state(tf.cast(value, tf.float32) * num_replicas)
        logs = {name: tracker.result() for name, tracker in self.trackers.items()}
        if self._vector_logs:
            logs = {name: tf.reshape(value, [1]) for name, value in logs.items()}
        return logs

    def replica_share(self, value: float) -> tf.Tensor:
        """A constant `value` as a replica's share, which `update_trackers` scales back."""
        return tf.constant(value / self.distribute_strategy.num_replicas_in_sync, tf.float32)

    def average_loss(self, per_example: tf.Tensor, batch_size: tf.Tensor) -> tf.Tensor:
        """Sums per-example losses and divides by the *global* batch size."""
        global_batch = batch_size * self.distribute_strategy.num_replicas_in_sync
        per_example = tf.cast(per_example, tf.float32)
        return tf.reduce_sum(per_example) / tf.cast(global_batch, tf.float32)

    # ----------------------------------------------------------------- steps
    @property
    def train_steps(self) -> int:
        """Train steps taken: the iterations of the `step_optimizer` (0 before compile)."""
        optimizer = getattr(self, self.step_optimizer, None)
        if optimizer is None:
            return 0
        return int(keras.ops.convert_to_numpy(optimizer.iterations))

    def step_counter(self) -> tf.Tensor:
        """The step counter as a tensor, for use inside a train step."""
        return tf.convert_to_tensor(getattr(self, self.step_optimizer).iterations)

    def train_stages(self) -> dict[str, Callable] | None:
        """`{stage name: step function}` for a trainer with several kinds of step."""
        return None

    def current_stage(self) -> str:
        """The name of the stage the next train step is in (see `train_stages`)."""
        raise NotImplementedError(f"{type(self).__name__} has no train stages")

    def stage_compiles_whole(self, stage: str) -> bool:
        """Whether stage `stage` lets Keras compile its whole step when `jit_compile`."""
        return True

    def train_step(self, data):
        """One step of the current stage (eager use; `fit` uses the stage functions)."""
        stages = self.train_stages()
        if not stages:
            raise NotImplementedError(f"{type(self).__name__} must implement train_step")
        return stages[self.current_stage()](data)

    def make_train_function(self, force: bool = False):
        """Keras' train function, or one per stage and a dispatcher between them."""
        stages = self.train_stages()
        if not stages:
            return super().make_train_function(force)
        if self.train_function is not None and not force:
            return self.train_function
        functions = {}
        whole_step_jit = self.jit_compile
        try:
            for name, step in stages.items():
                # `_make_function` is how Keras wraps a step into its (distributed,
                # compiled) train function.
                self.jit_compile = whole_step_jit and self.stage_compiles_whole(name)
                functions[name] = self._make_function(step)
        finally:
            self.jit_compile = whole_step_jit

        def train_function(iterator):
            return functions[self.current_stage()](iterator)

        self.train_function = train_function
        return train_function

    # ----------------------------------------------------------------- randomness
    def stateless_seed(self, draw: int, step: tf.Tensor | None = None) -> tf.Tensor:
        """The seed of draw `draw` of step `step` (default: the current step)."""
        step = self.step_counter() if step is None else step
        step = tf.cast(step, tf.int64)
        return tf.stack([tf.constant(self.seed, tf.int64), step * self.draws_per_step + draw])

    def for_replica(self, draw_global: Callable[[tf.Tensor], tf.Tensor],
                    local_batch: tf.Tensor) -> tf.Tensor:
        """This replica's rows of `draw_global(global batch)`."""
        context = tf.distribute.get_replica_context()
        num_replicas = context.num_replicas_in_sync if context is not None else 1
        if num_replicas == 1:
            return draw_global(local_batch)
        values = draw_global(local_batch * num_replicas)
        start = tf.cast(context.replica_id_in_sync_group, tf.int32) * local_batch
        return values[start : start + local_batch]

    def replica_uniforms(self, local_batch: tf.Tensor, width: int, draw: int,
                         step: tf.Tensor | None = None) -> tf.Tensor:
        """U[0, 1) values `(local_batch, width)`: this replica's slice of the global draw."""
        seed = self.stateless_seed(draw, step)
        return self.for_replica(
            lambda n: portable_random.uniform(tf.stack([n, width]), seed), local_batch
        )

    def replica_uniform(self, local_batch: tf.Tensor, draw: int,
                        step: tf.Tensor | None = None) -> tf.Tensor:
        """U[0, 1) values `(local_batch,)`, sliced per replica like `replica_uniforms`."""
        seed = self.stateless_seed(draw, step)
        return self.for_replica(
            lambda n: portable_random.uniform(tf.reshape(n, [1]), seed), local_batch
        )

    def replica_normals(self, local_batch: tf.Tensor, width: int, draw: int,
                        step: tf.Tensor | None = None) -> tf.Tensor:
        """N(0, 1) values `(local_batch, width)`, sliced per replica."""
        seed = self.stateless_seed(draw, step)
        return self.for_replica(
            lambda n: portable_random.normal(tf.stack([n, width]), seed), local_batch
        )

    # ----------------------------------------------------------------- batches
    def batch_spec(self, range_check: bool = True) -> batch_checks.BatchSpec:
        """What `fit` takes: `(images, labels)` of `image_shape` and class ids (`fit_spec`)."""
        return self.fit_spec(
            range_check,
            image_shape=tuple(self.image_shape),
            image_shape_source=f"{type(self).__name__}'s image_shape",
            labels=batch_checks.CLASS_IDS,
            num_classes=self.num_classes,
        )

    def fit_spec(self, range_check: bool, **fields) -> batch_checks.BatchSpec:
        """`BatchSpec(**fields)` of `<class>.fit`, its range checked if `range_check`."""
        value_range = fields.pop("value_range", self.image_value_range)
        return batch_checks.BatchSpec(
            owner=f"{type(self).__name__}.fit",
            value_range=value_range if range_check else None,
            range_off="fit(..., range_check=False)",
            **fields,
        )

    def unpack_batch(self, data) -> tuple[tf.Tensor, tf.Tensor]:
        """Returns float32 images and int32 labels from a `(images, labels)` tuple or a dict.

        Raises:
            ValueError: the images' shape differs from the trainer's, or the labels
                are not a vector of class ids.
        """
        images, labels = batch_checks.images_and_labels(data)
        batch_checks.check_static(self.batch_spec(), images, labels)
        labels = tf.cast(tf.reshape(labels, [-1]), tf.int32)
        # float32 whatever the dtype policy: the networks cast their inputs.
        return tf.cast(images, tf.float32), labels

    def checked_batch(self, batch, spec: batch_checks.BatchSpec):
        """`batch` checked by `spec` (see `tfgenaug.data.batch_checks`), same structure.

        Eagerly (arrays) a bad batch raises a `ValueError`; in a `Dataset.map` the
        returned tensors fail when the batch is consumed, before the step runs.
        """
        images, labels = batch_checks.images_and_labels(batch)
        self.check_batch_weights(batch)
        batch_checks.check_static(spec, images, labels)
        images, labels = batch_checks.checked(spec, images, labels)
        if isinstance(batch, dict):
            return {**batch, "images": images, "labels": labels}
        return (images, labels, *batch[2:])

    def fit(self, x=None, y=None, *, range_check: bool = True, **kwargs):
        """`keras.Model.fit` with every batch checked before any training work.

        A `tf.data.Dataset` is not reshuffled (it shuffles itself). Its batches are
        checked in the input pipeline and arrays at once (see `batch_spec`): shapes and
        dtypes, finite images, images within `image_value_range` (by up to half its
        span: overshoot passes, `[0, 255]` pixels do not), labels in `[0, num_classes)`.

        Args:
            x: a `tf.data.Dataset` of batches, or an array of images.
            y: the labels of array `x`.
            range_check: bool. Whether images are checked against
                `image_value_range`; pass `False` for data you know is right that lies
                further out. Defaults to `True`.
            **kwargs: the rest of `keras.Model.fit` (the first call chooses the
                `"auto"` compile path: `choose_compile_path`, whose probe iterates `x`
                from its start; a dataset that reshuffles per iteration then trains on
                its next order. For the same batches as a forced path, choose the path
                first on a second copy of the dataset).
        """
        self.check_fit_arguments(kwargs)
        if self.compile_path is None:
            self.choose_path_for_fit(x, y, range_check, kwargs)
        spec = self.batch_spec(range_check=range_check)
        if isinstance(x, tf.data.Dataset):
            kwargs.setdefault("shuffle", False)
            x = x.map(tf.autograph.experimental.do_not_convert(
                lambda *batch: self.checked_batch(batch[0] if len(batch) == 1 else batch,
                                                  spec)))
        elif isinstance(x, np.ndarray | tf.Tensor | list):
            arrays = (np.asarray(x),) if y is None else (np.asarray(x), np.asarray(y))
            self.checked_batch(arrays, spec)
        kwargs["callbacks"] = spectral_norm.with_estimate_updates(  # pure forward passes
            self.networks(), kwargs.get("callbacks"))
        return super().fit(x, y, **kwargs)

    def _maybe_symbolic_build(self, iterator=None, data_batch=None):
        """Keras' pre-fit build, reading a batch only if it needs one, and one that every
        strategy can produce (`prefit_build` says why)."""
        if (iterator is not None and self._distribute_strategy is not None
                and prefit_build.needs_a_batch(self)):
            data_batch = prefit_build.first_local_batch(iterator)
        return super()._maybe_symbolic_build(data_batch=data_batch)


def compiled_per_replica(fn: Callable, cache: dict, enabled: bool) -> Callable:
    """`fn` compiled with XLA (once per name, kept in `cache`) if `enabled`, else `fn`.

    Used where a multi-replica strategy keeps the whole step from being compiled: the
    per-replica maths compile, the all-reduce and the updates run outside.
    """
    if not enabled:
        return fn
    key = fn.__name__
    if key not in cache:
        cache[key] = tf.function(fn, jit_compile=True)
    return cache[key]


def apply_after_gradients(optimizer: keras.optimizers.Optimizer, grads: list,
                          variables: list) -> None:
    """`optimizer.apply_gradients`, ordered after the gradients are computed.

    The optimizer's step counter has no data dependency on the gradients; without the
    control dependency it could move on a batch whose checks fail.
    """
    if not optimizer.built:
        # Slots are made before the ordered block: variables cannot be created (lifted
        # out of a traced step) under a control dependency.
        optimizer.build(variables)
    with tf.control_dependencies([grad for grad in grads if grad is not None]):
        optimizer.apply_gradients(zip(grads, variables, strict=True))


def _variables_of(target) -> list:
    if isinstance(target, keras.Model | keras.layers.Layer):
        return target.trainable_variables
    return list(target)
