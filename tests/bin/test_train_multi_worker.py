"""`--strategy=multi_worker`: two worker processes on 127.0.0.1 train, checkpoint and resume."""

import json
import os
import re
import socket
import subprocess
import sys

import pytest
import tensorflow as tf

from tests import launch

TINY = ["--image_size=8", "--width=4", "--critic_width=4", "--noise_dim=8", "--batch_size=16",
        "--judge_epochs=0", "--nojit_compile", "--strategy=multi_worker", "--checkpoint_every=2"]


def free_ports(count):
    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def run_cluster(model_dir, steps, timeout=240):
    """Runs the train binary as both workers of a local cluster; returns their results."""
    workers = [f"127.0.0.1:{port}" for port in free_ports(2)]
    procs = []
    for index in range(2):
        env = {**os.environ, "TF_CONFIG": json.dumps(
            {"cluster": {"worker": workers}, "task": {"type": "worker", "index": index}})}
        procs.append(launch.popen(
            [sys.executable, "-m", "tfgenaug.bin.train", *TINY, f"--steps={steps}",
             f"--model_dir={model_dir}"],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        ))
    results = []
    try:
        for proc in procs:
            out, err = proc.communicate(timeout=timeout)
            results.append((proc.returncode, out, err))
    finally:
        for proc in procs:
            proc.kill()
    return results


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory):
    """A model dir two workers trained for 4 steps, and their results (the first launch).

    The launch and the resume are two tests so that neither holds both clusters' start-up
    (about 15 s each on two cores, most of it importing TensorFlow in each worker).
    """
    model_dir = str(tmp_path_factory.mktemp("multi_worker") / "run")
    return model_dir, run_cluster(model_dir, steps=4)


def test_two_workers_train_and_only_the_chief_keeps_checkpoints(trained_run):
    model_dir, results = trained_run
    for returncode, _, err in results:
        assert returncode == 0, err[-3000:]
    latest = tf.train.latest_checkpoint(os.path.join(model_dir, "checkpoints"))
    assert latest.endswith("ckpt-4")
    # Only the chief (worker 0) keeps files; the other worker's scratch copy is gone.
    assert not os.path.exists(os.path.join(model_dir, ".workers"))
    with open(os.path.join(model_dir, "metrics.json")) as f:
        assert json.load(f)["step"] == 4
    with open(os.path.join(model_dir, "config.json")) as f:
        assert json.load(f)["train_config"]["strategy"] == "multi_worker"


def test_both_workers_resume_from_the_chiefs_checkpoint(trained_run):
    model_dir, first = trained_run
    assert all(returncode == 0 for returncode, _, _ in first), "the first launch failed"
    results = run_cluster(model_dir, steps=6)
    for returncode, out, err in results:
        assert returncode == 0, err[-3000:]
        assert re.search(r"Resuming from step 4 of 6", out), out[-2000:]
    latest = tf.train.latest_checkpoint(os.path.join(model_dir, "checkpoints"))
    assert latest.endswith("ckpt-6")
