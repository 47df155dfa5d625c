"""`tf.distribute` strategies by name, and which worker of a cluster writes the files.

The train binary's `--strategy` flag maps onto TensorFlow's own strategies; the trainers
need nothing else to run on them (their losses are averaged over the global batch and
their random draws are sliced per replica, see `tfgenaug.trainers.base`).
"""

import contextlib
import json
import os
import shutil

import tensorflow as tf

STRATEGIES = ("default", "mirrored", "multi_worker", "tpu")


def make_strategy(name: str, tpu: str | None = None) -> tf.distribute.Strategy:
    """Returns the `tf.distribute` strategy called `name`.

    Args:
        name: one of `STRATEGIES`:
            - `"default"`: one device (TensorFlow's default strategy).
            - `"mirrored"`: `MirroredStrategy` over all local GPUs (or CPU).
            - `"multi_worker"`: `MultiWorkerMirroredStrategy`; every worker runs the
              same command with a `TF_CONFIG` environment variable naming the cluster
              and its own task, e.g.
              `{"cluster": {"worker": ["host1:12345", "host2:12345"]},
              "task": {"type": "worker", "index": 0}}`.
            - `"tpu"`: `TPUStrategy` on the TPU named by `tpu` (or the local one).
        tpu: TPU name or gRPC address for `"tpu"`; `None` finds the local TPU.

    Returns:
        The strategy. Build and compile trainers inside its `scope()`.

    Raises:
        ValueError: `name` is unknown, `TF_CONFIG` is missing or not JSON for
            `"multi_worker"`, or no TPU is found for `"tpu"`.

    Example:
    ```python
    strategy = make_strategy("mirrored")
    with strategy.scope():
        trainer = WGANGP((16, 16, 1), num_classes=10)
        trainer.compile()
    ```
    """
    if name == "default":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    if name == "multi_worker":
        raw = os.environ.get("TF_CONFIG")
        if not raw:
            raise ValueError(
                "strategy='multi_worker' needs the TF_CONFIG environment variable, e.g. "
                '{"cluster": {"worker": ["host1:12345", "host2:12345"]}, '
                '"task": {"type": "worker", "index": 0}}; it is not set'
            )
        try:
            json.loads(raw)
        except json.JSONDecodeError as error:
            raise ValueError(f"TF_CONFIG must be JSON; got {raw!r} ({error})") from error
        return tf.distribute.MultiWorkerMirroredStrategy()
    if name == "tpu":
        try:
            resolver = tf.distribute.cluster_resolver.TPUClusterResolver(tpu=tpu or "")
            tf.config.experimental_connect_to_cluster(resolver)
            tf.tpu.experimental.initialize_tpu_system(resolver)
        except (ValueError, RuntimeError, tf.errors.OpError) as error:
            raise ValueError(
                f"strategy='tpu' found no TPU (tpu={tpu!r}): {error}"
            ) from error
        return tf.distribute.TPUStrategy(resolver)
    raise ValueError(f"strategy must be one of {STRATEGIES}; got {name!r}")


def is_chief(strategy: tf.distribute.Strategy) -> bool:
    """Whether this process writes the run's files (checkpoints, logs, samples, exports).

    True everywhere except on the non-chief workers of a multi-worker cluster: the
    task typed `chief`, or worker 0 when the cluster has no chief, is the chief.
    """
    resolver = getattr(strategy, "cluster_resolver", None)
    if not isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy) or resolver is None:
        return True
    task_type, task_id = resolver.task_type, resolver.task_id
    if not task_type:
        return True
    if task_type == "chief":
        return True
    has_chief = "chief" in resolver.cluster_spec().as_dict()
    return task_type == "worker" and task_id == 0 and not has_chief


def task_name(strategy: tf.distribute.Strategy) -> str:
    """`"<type>-<index>"` of this process in a cluster, `"local"` outside one."""
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or not getattr(resolver, "task_type", None):
        return "local"
    return f"{resolver.task_type}-{resolver.task_id}"


def write_dir(model_dir: str, strategy: tf.distribute.Strategy) -> str:
    """`model_dir` on the chief, a scratch directory under it on the other workers.

    Every worker of `MultiWorkerMirroredStrategy` must take part in saving a checkpoint
    (TensorFlow's multi-worker recipe), but only the chief's copy is kept: the others
    write to `model_dir/.workers/<task>` and `remove_scratch` deletes it afterwards.
    """
    if is_chief(strategy):
        return model_dir
    return os.path.join(model_dir, ".workers", task_name(strategy))


def remove_scratch(model_dir: str, strategy: tf.distribute.Strategy) -> None:
    """Deletes this worker's scratch directory (a no-op on the chief)."""
    if not is_chief(strategy):
        shutil.rmtree(write_dir(model_dir, strategy), ignore_errors=True)
        with contextlib.suppress(OSError):  # removed when no other worker's is left
            os.rmdir(os.path.join(model_dir, ".workers"))
