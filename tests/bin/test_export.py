"""The export binary as a user runs it: train, export, and flag errors."""

import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

from tests import launch
from tests.bin.usage import assert_usage_errors
from tfgenaug import runs
from tfgenaug import savedmodels

TRAIN = ["--image_size=8", "--width=4", "--noise_dim=8", "--batch_size=16", "--steps=4",
         "--checkpoint_every=2", "--judge_epochs=0"]


def run_bin(name, *flags, timeout=180):
    return launch.run([sys.executable, "-m", f"tfgenaug.bin.{name}", *flags], timeout=timeout)


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory) -> str:
    """A 4-step WGAN-GP run on 8x8 digits, trained once for the module."""
    path = str(tmp_path_factory.mktemp("run"))
    result = run_bin("train", *TRAIN, f"--model_dir={path}", timeout=240)
    assert result.returncode == 0, result.stderr[-3000:]
    return path


@pytest.fixture(scope="module")
def exported(model_dir, tmp_path_factory) -> tuple[str, subprocess.CompletedProcess]:
    export_dir = str(tmp_path_factory.mktemp("exports"))
    result = run_bin("export", f"--model_dir={model_dir}", f"--export_dir={export_dir}")
    return export_dir, result


def test_export_prints_the_version_path(exported):
    export_dir, result = exported
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().splitlines()[-1] == os.path.join(export_dir, "1")
    assert os.listdir(export_dir) == ["1"]


def test_export_holds_the_trained_generator_and_run_metadata(model_dir, exported):
    export_dir, result = exported
    assert result.returncode == 0, result.stderr[-3000:]
    generator = savedmodels.load(export_dir)
    metadata = generator.metadata
    assert metadata["class_names"] == [str(k) for k in range(10)]
    assert metadata["trainer"] == "WGANGP"
    assert metadata["image_shape"] == [8, 8, 1] and metadata["noise_dim"] == 8
    training_data = metadata["training_data"]
    assert training_data["dataset"] == "digits"
    assert training_data["steps"] == 4
    assert len(training_data["train_counts"]) == 10 and sum(training_data["train_counts"]) == 1258

    # The export holds the checkpoint's weights (the generator after 4 steps).
    trainer = runs.trainer_from_model_dir(model_dir)
    assert int(trainer.g_optimizer.iterations) == 4
    labels = np.arange(10, dtype="int32")
    noise = np.random.default_rng(0).normal(size=(10, 8)).astype("float32")
    want = (np.asarray(trainer.generator([noise, labels], training=False)) + 1) / 2
    np.testing.assert_allclose(generator(labels, noise=noise).numpy(), want, atol=1e-5)


def test_second_export_is_version_2(model_dir, exported, tmp_path):
    export_dir = str(tmp_path)
    assert runs.export_from_model_dir(model_dir, export_dir) == os.path.join(
        export_dir, "1")
    assert runs.export_from_model_dir(model_dir, export_dir) == os.path.join(
        export_dir, "2")


def copy_of_the_run(model_dir, destination, **changes) -> str:
    """A copy of `model_dir` (its checkpoints restore into the original's trainer) whose
    config.json records other trainer settings: `changes` on top of the config, or of
    its `trainer_config` for keys the config itself lacks."""
    shutil.copytree(model_dir, destination)
    path = os.path.join(destination, "config.json")
    with open(path) as f:
        config = json.load(f)
    for key, value in changes.items():
        (config if key in config else config["trainer_config"])[key] = value
    with open(path, "w") as f:
        json.dump(config, f)
    return str(destination)


def test_checkpoint_flag_exports_that_step_also_from_a_copy_of_the_run(model_dir, tmp_path):
    copy = copy_of_the_run(model_dir, tmp_path / "copy")  # the same trainer: allowed
    result = run_bin("export", f"--model_dir={model_dir}", f"--export_dir={tmp_path / 'e'}",
                     f"--checkpoint={copy}/checkpoints/ckpt-2")
    assert result.returncode == 0, result.stderr[-3000:]
    assert savedmodels.load(str(tmp_path / "e")).metadata["training_data"]["steps"] == 2


def test_bad_flags_name_the_flag(model_dir, exported, tmp_path):
    export_dir, _ = exported
    # Another run's checkpoint with the same variables would restore without an error and
    # be labelled with this run's trainer: refused, naming the run it came from.
    dcgan_run = copy_of_the_run(model_dir, tmp_path / "dcgan_run", trainer_class="DCGAN")
    wider_run = copy_of_the_run(model_dir, tmp_path / "wider_run", width=8)
    cases = [
        ([f"--model_dir={model_dir}", "--export_dir=y",
          f"--checkpoint={dcgan_run}/checkpoints/ckpt-4"],
         f"belongs to the train run {dcgan_run}, a DCGAN run (--model_dir={model_dir} is a "
         f"WGANGP run): export with --model_dir={dcgan_run}"),
        ([f"--model_dir={model_dir}", "--export_dir=y",
          f"--checkpoint={wider_run}/checkpoints/ckpt-4"],
         f"whose WGANGP differs from --model_dir={model_dir}'s (width: 4 -> 8)"),
        (["--export_dir=x"], "--model_dir is required"),
        (["--model_dir=x"], "--export_dir is required"),
        ([f"--model_dir={model_dir}", "--export_dir=y", "--version=-1"],
         "--version must be >= 0; got -1"),
        ([f"--model_dir={model_dir}", f"--export_dir={export_dir}", "--version=1"],
         f"--version=1 already exists in {export_dir}"),
        ([f"--model_dir={tmp_path}", f"--export_dir={tmp_path / 'e'}"],
         f"--model_dir={tmp_path}: '{tmp_path}/config.json' does not exist"),
        ([f"--model_dir={tmp_path / 'no'}", "--export_dir=y"],
         f"--model_dir={tmp_path / 'no'} is not a directory"),
        ([f"--model_dir={model_dir}", "--export_dir=y", f"--checkpoint={tmp_path}/ckpt-9"],
         f"--checkpoint={tmp_path}/ckpt-9 is not a checkpoint"),
        (["--model_dir=x", "--export_dir=y", "extra"], "Unexpected arguments: ['extra']"),
        (["--model_dir=x", "--export_dir=y", "--version=v1"], "flag --version=v1"),
    ]
    assert_usage_errors("tfgenaug.bin.export", cases)
    assert os.listdir(export_dir) == ["1"]
    assert not os.path.exists(tmp_path / "e")
