"""`--deterministic`: two processes with the same seed give bit-identical losses and samples.

The two runs are new interpreters (`subprocess`), not forks of the tests' zygote
(`tests/launch.py`): forks share the zygote's string-hash seed and imported state, which
could hide an order that only a new interpreter changes.
"""

import glob
import os
import subprocess
import sys

import numpy as np
import tensorflow as tf

from tfgenaug import runs
from tfgenaug.runs import generator_recipes

STEPS = 6
FLAGS = ["--image_size=8", "--width=4", "--critic_width=4", "--noise_dim=8", "--batch_size=16",
         "--judge_epochs=0", f"--steps={STEPS}", "--checkpoint_every=1", "--deterministic",
         "--seed=3"]


def step_losses(model_dir) -> dict[str, list[float]]:
    """Per-step losses from the TensorBoard logs (one step per epoch, so epoch = step)."""
    losses: dict[str, dict[int, float]] = {}
    for path in glob.glob(os.path.join(model_dir, "logs", "train", "events.out.tfevents.*")):
        for event in tf.compat.v1.train.summary_iterator(path):
            for value in event.summary.value:
                if value.tag.startswith("epoch_") and value.HasField("tensor"):
                    losses.setdefault(value.tag, {})[event.step] = float(
                        tf.make_ndarray(value.tensor))
    return {tag: [by_step[s] for s in sorted(by_step)] for tag, by_step in losses.items()}


def checkpoint_tensors(model_dir) -> dict[str, np.ndarray]:
    reader = tf.train.load_checkpoint(os.path.join(model_dir, "checkpoints"))
    return {name: reader.get_tensor(name) for name in reader.get_variable_to_shape_map()}


def test_same_seed_gives_bit_identical_losses_weights_and_samples(tmp_path):
    dirs = [str(tmp_path / "a"), str(tmp_path / "b")]
    procs = [subprocess.Popen([sys.executable, "-m", "tfgenaug.bin.train", *FLAGS,
                               f"--model_dir={d}"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for d in dirs]
    for proc in procs:  # both at once: half the wall time on two cores
        _, stderr = proc.communicate(timeout=400)
        assert proc.returncode == 0, stderr[-3000:]

    losses = [step_losses(d) for d in dirs]
    assert set(losses[0]) >= {"epoch_d_loss", "epoch_g_loss", "epoch_gradient_penalty"}
    # The learning rates the optimizers train with (the run's default), not Keras' unused
    # RMSprop's 0.001 under `epoch_learning_rate`.
    rate = generator_recipes.DEFAULT_LEARNING_RATES["wgan_gp"]
    assert "epoch_learning_rate" not in losses[0]
    for tag in ("epoch_d_learning_rate", "epoch_g_learning_rate"):
        np.testing.assert_allclose(losses[0][tag], [rate] * STEPS, rtol=1e-6, err_msg=tag)
    for tag, values in losses[0].items():
        assert len(values) == STEPS, (tag, values)
        assert values == losses[1][tag], tag  # bit-identical floats, step by step

    first, second = (checkpoint_tensors(d) for d in dirs)
    assert sorted(first) == sorted(second)
    for name in first:
        np.testing.assert_array_equal(first[name], second[name], err_msg=name)

    # Samples: the grid each process wrote, and samples of each restored generator.
    with open(os.path.join(dirs[0], "samples.png"), "rb") as a, \
            open(os.path.join(dirs[1], "samples.png"), "rb") as b:
        assert a.read() == b.read()
    labels = np.arange(10)
    samples = [runs.trainer_from_model_dir(d).sample(labels, seed=0).numpy()
               for d in dirs]
    assert np.isfinite(samples[0]).all()
    np.testing.assert_array_equal(samples[0], samples[1])
