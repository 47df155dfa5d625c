"""The train binary runs a trainer known only by its registry entry (the test LSGAN)."""

import json
import os
import pathlib
import sys

from tests import launch

ROOT = pathlib.Path(__file__).resolve().parents[2]
# What a user with their own trainer writes: import the module that registers it, then
# hand over to the binary.
LAUNCHER = ("import tests.trainers.lsgan as lsgan; lsgan.register(); "
            "from tfgenaug.bin import train; train.run()")


def train(model_dir, steps):
    command = [sys.executable, "-c", LAUNCHER, "--trainer=lsgan", "--image_size=8",
               "--width=4", "--critic_width=4", "--noise_dim=8", "--batch_size=16",
               "--judge_epochs=0", f"--steps={steps}", f"--checkpoint_every={steps}",
               "--nojit_compile", f"--model_dir={model_dir}"]
    run = launch.run(command, cwd=ROOT, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    return run.stdout


def test_binary_trains_and_resumes_a_registered_trainer_by_name(tmp_path):
    train(tmp_path, steps=3)
    config = json.loads((tmp_path / "config.json").read_text())
    assert config["trainer_class"] == "LSGAN" and config["train_config"]["trainer"] == "lsgan"
    assert os.path.exists(tmp_path / "samples.png")
    assert "Resuming from step 3 of 4" in train(tmp_path, steps=4)
