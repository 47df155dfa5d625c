"""The train binary as a user runs it: flags, errors, and resume after a SIGKILL."""

import json
import os
import sys

import pytest
import tensorflow as tf

from tests import launch
from tests.bin.usage import assert_usage_errors

TINY = ["--image_size=8", "--width=4", "--critic_width=4", "--noise_dim=8", "--batch_size=16",
        "--judge_epochs=0"]


def run_train(*flags, timeout=240):
    return launch.run(
        [sys.executable, "-m", "tfgenaug.bin.train", *flags],
        capture_output=True, text=True, timeout=timeout,
    )


def read(path):
    with open(path) as f:
        return f.read()


def generator_weights(model_dir):
    """Generator variables of the newest checkpoint, read without building anything.

    The object graph reaches the generator's trainable variables through its optimizer
    first (`g_optimizer/_trainable_variables/<i>`), so they are saved under that path;
    its batch-norm statistics under `generator/`.
    """
    reader = tf.train.load_checkpoint(os.path.join(model_dir, "checkpoints"))
    names = [n for n in reader.get_variable_to_shape_map() if "OPTIMIZER_SLOT" not in n and (
        "trainer/g_optimizer/_trainable_variables/" in n or "trainer/generator/" in n)]
    trainable = [n for n in names if "_trainable_variables/" in n]
    assert len(trainable) >= 4, f"the generator's trainable variables are missing: {names}"
    return [reader.get_tensor(n) for n in sorted(names)]


# SIGKILL mid-run, rerun, resume from the last checkpoint with the weights of an
# uninterrupted run: tests/benchmarks/test_fault_injection.py (two kills, bit-equal).


def test_bad_flags_fail_with_a_message(tmp_path):
    model_dir = f"--model_dir={tmp_path}"
    assert_usage_errors("tfgenaug.bin.train", [
        ([*TINY, "--steps=-1", model_dir], "--steps must be a positive integer; got -1"),
        ([*TINY, "--trainer=vae", model_dir], "flag --trainer=vae: value should be one of"),
        ([*TINY, "--image_size=4", model_dir],
         "--image_size must be 'auto' (16 for digits and tfds, native for folder: and npz:), "
         "'native' (or 0), a side >= 8"),
        ([*TINY, "--count=1000", model_dir], "count=1000 is larger than the smallest class"),
        ([*TINY, "--dataset=no_such_dataset_xyz", model_dir],
         "dataset='no_such_dataset_xyz' cannot be loaded"),
        ([*TINY, "--strategy=horovod", model_dir],
         "flag --strategy=horovod: value should be one of"),
        # A flag the trainer does not read (DADA trained for hours on --steps=3).
        (["--trainer=dada", "--steps=3", model_dir],
         "--steps does not apply to --trainer=dada; of --steps, --width, --critic_width, "
         "--width_multiplier, --gan_epochs, --epochs, --aug, --aug_flip it reads "
         "--gan_epochs, --epochs, --width_multiplier, --aug, --aug_flip"),
        ([*TINY, "--epochs=3", model_dir], "--epochs does not apply to --trainer=wgan_gp; "),
        ([*TINY, "--trainer=ssgan", model_dir], "--width does not apply to --trainer=ssgan; "),
        ([*TINY, "--trainer=dagan", "--aug", model_dir],
         "--aug does not apply to --trainer=dagan; "),
        ([*TINY, "--ada_speed=400", model_dir],
         "--ada_speed tunes --ada_target, which is not set: set --ada_target too"),
    ])
    assert not os.path.exists(os.path.join(tmp_path, "checkpoints"))


ADA_RUN = [*TINY, "--nojit_compile", "--ada_target=0.6", "--ada_speed=400",
           "--diffaugment=translation", "--spectral_norm", "--g_ema_decay=0.99",
           "--n_critic=2"]


@pytest.fixture(scope="module")
def ada_run(tmp_path_factory) -> str:
    """A 2-step WGAN-GP run with ADA, DiffAugment, spectral norm and EMA."""
    model_dir = str(tmp_path_factory.mktemp("ada"))
    result = run_train(*ADA_RUN, "--steps=2", "--checkpoint_every=2", f"--model_dir={model_dir}")
    assert result.returncode == 0, result.stderr[-2000:]
    return model_dir


def test_another_run_s_settings_do_not_resume_the_run(ada_run):
    """Nothing is lost: the run's config.json and checkpoints stay as they were."""
    config = read(os.path.join(ada_run, "config.json"))
    model_dir = f"--model_dir={ada_run}"
    assert_usage_errors("tfgenaug.bin.train", [
        ([*TINY, "--trainer=dcgan", "--steps=4", model_dir],
         f"cannot resume the run in {ada_run}: it trains a WGANGP, and this run a DCGAN. "
         "Choose another model_dir for a new run"),
        ([*ADA_RUN, "--width=8", "--steps=4", model_dir],
         f"cannot resume the run in {ada_run}: its WGANGP was begun with other settings "
         "(width: 4 -> 8)"),
        ([*ADA_RUN, "--steps=4", "--count=5", model_dir], "(training_counts: [125, 127"),
    ])
    assert read(os.path.join(ada_run, "config.json")) == config
    assert tf.train.latest_checkpoint(os.path.join(ada_run, "checkpoints")).endswith("ckpt-2")


def test_ada_diffaugment_and_ema_flags_reach_the_trainer(ada_run):
    trainer_config = json.loads(read(os.path.join(ada_run, "config.json")))["trainer_config"]
    assert trainer_config["ada_target"] == 0.6 and trainer_config["ada_speed"] == 400
    assert trainer_config["spectral_norm"] is True
    assert trainer_config["diffaugment"] == "translation"
    assert trainer_config["g_ema_decay"] == 0.99
    assert trainer_config["n_critic"] == 2
