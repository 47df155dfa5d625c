"""Tests of `tfgenaug.strategies`: strategies by name and which process writes files."""

import pytest
import tensorflow as tf

from tfgenaug import strategies


def test_default_and_mirrored():
    assert strategies.make_strategy("default") is tf.distribute.get_strategy()
    mirrored = strategies.make_strategy("mirrored")
    assert isinstance(mirrored, tf.distribute.MirroredStrategy)
    assert mirrored.num_replicas_in_sync >= 1


def test_unknown_name():
    with pytest.raises(ValueError, match=r"strategy must be one of \('default', 'mirrored', "
                                         r"'multi_worker', 'tpu'\); got 'horovod'"):
        strategies.make_strategy("horovod")


def test_multi_worker_needs_tf_config(monkeypatch):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    with pytest.raises(ValueError, match=r"multi_worker' needs the TF_CONFIG environment"):
        strategies.make_strategy("multi_worker")
    monkeypatch.setenv("TF_CONFIG", "{cluster")
    with pytest.raises(ValueError, match=r"TF_CONFIG must be JSON; got '\{cluster'"):
        strategies.make_strategy("multi_worker")


def test_tpu_without_a_tpu_is_a_clear_error():
    with pytest.raises(ValueError, match=r"strategy='tpu' found no TPU"):
        strategies.make_strategy("tpu")


def test_one_process_is_the_chief_and_writes_to_model_dir(tmp_path):
    for strategy in (tf.distribute.get_strategy(), tf.distribute.MirroredStrategy()):
        assert strategies.is_chief(strategy)
        assert strategies.task_name(strategy) == "local"
        assert strategies.write_dir(str(tmp_path), strategy) == str(tmp_path)
        strategies.remove_scratch(str(tmp_path), strategy)
        assert tmp_path.exists()  # never deletes the chief's directory


class FakeResolver:
    def __init__(self, task_type, task_id, cluster):
        self.task_type, self.task_id, self._cluster = task_type, task_id, cluster

    def cluster_spec(self):
        return tf.train.ClusterSpec(self._cluster)


class FakeMultiWorker(tf.distribute.MultiWorkerMirroredStrategy):
    """Only `cluster_resolver` is read; no cluster is started."""

    def __init__(self, resolver):  # noqa: D107 - deliberately skips the real constructor
        self._resolver = resolver

    @property
    def cluster_resolver(self):
        return self._resolver


@pytest.mark.parametrize("task_type,task_id,cluster,chief", [
    ("worker", 0, {"worker": ["a:1", "b:1"]}, True),
    ("worker", 1, {"worker": ["a:1", "b:1"]}, False),
    ("chief", 0, {"chief": ["c:1"], "worker": ["a:1"]}, True),
    ("worker", 0, {"chief": ["c:1"], "worker": ["a:1"]}, False),
])
def test_the_chief_of_a_cluster(tmp_path, task_type, task_id, cluster, chief):
    strategy = FakeMultiWorker(FakeResolver(task_type, task_id, cluster))
    assert strategies.is_chief(strategy) is chief
    expected = str(tmp_path) if chief else str(tmp_path / ".workers" / f"{task_type}-{task_id}")
    assert strategies.write_dir(str(tmp_path), strategy) == expected
