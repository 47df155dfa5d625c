"""A diverging run stops, naming the loss and the step; its last good checkpoint stays newest."""

import os
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

from tests import launch
from tfgenaug import callbacks
from tfgenaug.runs import TrainConfig
from tfgenaug.runs import generator_run
from tfgenaug.runs import train_generator

TINY = dict(image_size=8, width=4, critic_width=4, noise_dim=8, batch_size=16, judge_epochs=0,
            jit_compile=False)
# The critic's learning rate jumps from the default to 1e30 at the first critic step of
# generator step 6 (after n_critic critic updates per generator step, whatever the default).
DIVERGE_AT = 6


def huge_learning_rate_from(generator_step: int):
    def build_trainer(config, info, gan_steps=None):
        trainer = real_build_trainer(config, info, gan_steps=gan_steps)
        critic_update = trainer.n_critic * (generator_step - 1)
        schedule = keras.optimizers.schedules.PiecewiseConstantDecay(
            [critic_update], [5e-4, 1e30])
        d_optimizer = keras.optimizers.Adam(schedule, beta_1=0.5, beta_2=0.9)
        trainer.compile(d_optimizer=d_optimizer, g_optimizer=trainer.g_optimizer,
                        jit_compile=False)
        return trainer

    return build_trainer


real_build_trainer = generator_run.build_trainer


def listed_checkpoints(directory):
    state = tf.train.get_checkpoint_state(directory)
    return [os.path.join(directory, os.path.basename(p)) for p in state.all_model_checkpoint_paths]


def test_diverging_run_stops_and_keeps_the_last_finite_checkpoint(tmp_path, monkeypatch):
    monkeypatch.setattr(generator_run, "build_trainer",
                        huge_learning_rate_from(DIVERGE_AT))
    model_dir = str(tmp_path / "run")
    config = TrainConfig(**TINY, steps=12, checkpoint_every=2, model_dir=model_dir)
    with pytest.raises(callbacks.NonFiniteLossError) as raised:
        train_generator(config, verbose=0)
    error = raised.value
    assert error.step == DIVERGE_AT
    assert error.name in ("d_loss", "g_loss", "gradient_penalty", "wasserstein")
    message = str(error)
    assert f"Training diverged: {error.name} is " in message
    assert f"at step {DIVERGE_AT} " in message
    directory = os.path.join(model_dir, "checkpoints")
    assert f"The newest checkpoint, {directory}/ckpt-4, holds the last finite weights" in message
    # No checkpoint at or after the bad step; every listed one is finite and readable.
    assert tf.train.latest_checkpoint(directory).endswith("ckpt-4")
    assert not [n for n in os.listdir(directory) if n.startswith(("ckpt-6", "ckpt-8"))]
    for prefix in listed_checkpoints(directory):
        reader = tf.train.load_checkpoint(prefix)
        for name in reader.get_variable_to_shape_map():
            value = np.asarray(reader.get_tensor(name))
            if value.dtype.kind == "f":
                assert np.all(np.isfinite(value)), (prefix, name)
    assert not os.path.exists(os.path.join(model_dir, "metrics.json"))


def test_train_binary_exits_1_with_the_loss_and_the_step(tmp_path):
    model_dir = str(tmp_path / "run")
    result = launch.run(
        [sys.executable, "-m", "tfgenaug.bin.train", "--image_size=8", "--width=4",
         "--critic_width=4", "--noise_dim=8", "--batch_size=16", "--judge_epochs=0",
         "--steps=4", "--checkpoint_every=2", "--learning_rate=1e30", "--nojit_compile",
         f"--model_dir={model_dir}"],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 1, result.stderr[-3000:]
    assert "FATAL: Training diverged: d_loss is nan at step 1 " in result.stderr
    assert "No checkpoint was written before it" in result.stderr
    assert tf.train.latest_checkpoint(os.path.join(model_dir, "checkpoints")) is None
