"""`jit_compile="auto"`: the timing probe picks the faster path and leaves no trace."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from tfgenaug.trainers import compile_path
from tfgenaug.trainers.wgan_gp import WGANGP

SHAPE = (8, 8, 1)
NUM_CLASSES = 3
# Iterations of a 96x96 matmul chain added to the slowed path's step: tens of ms on
# a 2-core CPU, far above the tiny WGAN-GP's own step and the machine's jitter.
BUSY_ITERATIONS = 1500


def tiny_batches() -> tf.data.Dataset:
    rng = np.random.default_rng(0)
    images = rng.uniform(-1, 1, (64, *SHAPE)).astype("float32")
    labels = (np.arange(64) % NUM_CLASSES).astype("int32")
    return tf.data.Dataset.from_tensor_slices((images, labels)).batch(16, drop_remainder=True)


class SlowedWGANGP(WGANGP):
    """A WGAN-GP whose step does extra work on one path (`slow_xla` or not)."""

    def __init__(self, *args, slow_xla: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.slow_xla = slow_xla

    def train_step(self, data):
        logs = super().train_step(data)
        if bool(self.jit_compile) == self.slow_xla:  # read at trace time: one path only
            matrix = tf.eye(96) * 0.5 + 0.01
            busy = tf.while_loop(lambda i, x: i < BUSY_ITERATIONS,
                                 lambda i, x: (i + 1, tf.tanh(x @ matrix)),
                                 (tf.constant(0), tf.ones([96, 96])))[1]
            logs = {**logs, "busy": tf.reduce_mean(busy)}
        return logs


def wgan(cls=WGANGP, **kwargs) -> WGANGP:
    keras.utils.set_random_seed(1)
    return cls(SHAPE, num_classes=NUM_CLASSES, noise_dim=4, width=4, critic_width=4,
               n_critic=1, **kwargs)


@pytest.mark.parametrize("slow_xla", [True, False], ids=["xla_slowed", "graph_slowed"])
def test_auto_picks_the_path_that_was_not_slowed(slow_xla):
    trainer = wgan(SlowedWGANGP, slow_xla=slow_xla)
    trainer.compile()  # "auto" is the default
    path = trainer.choose_compile_path(tiny_batches())
    assert path.reason == "measured"
    assert path.jit_compile is (not slow_xla), path.describe()
    slow, fast = ((path.xla_seconds, path.graph_seconds) if slow_xla
                  else (path.graph_seconds, path.xla_seconds))
    assert slow > fast
    assert trainer.jit_compile is (not slow_xla)
    assert "ms/step" in path.describe()


def test_the_probe_leaves_training_as_a_forced_run_on_the_chosen_path():
    probed = wgan()
    probed.compile()
    before = [v.numpy().copy() for v in probed.variables]
    path = probed.choose_compile_path(tiny_batches())
    # The probe's steps are undone: weights, optimizer counters and slots as before.
    assert probed.train_steps == 0 and int(probed.d_optimizer.iterations) == 0
    for old, new in zip(before, probed.variables, strict=True):
        np.testing.assert_array_equal(old, new.numpy())
    traced = probed.train_function
    probed.fit(tiny_batches().repeat(), steps_per_epoch=3, epochs=1, verbose=0)
    assert probed.train_function is traced  # the chosen path's trace is kept

    forced = wgan()
    forced.compile(jit_compile=path.jit_compile)
    forced.fit(tiny_batches().repeat(), steps_per_epoch=3, epochs=1, verbose=0)
    assert forced.compile_path.reason == "forced"
    for a, b in zip(probed.variables, forced.variables, strict=True):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_fit_chooses_on_first_use_and_takes_arrays(monkeypatch):
    monkeypatch.setattr(compile_path, "PROBE_TOTAL_STEPS", 0)  # time even a short fit
    trainer = wgan()
    trainer.compile(jit_compile="auto")
    assert trainer.compile_path is None
    rng = np.random.default_rng(0)
    images = rng.uniform(-1, 1, (32, *SHAPE)).astype("float32")
    trainer.fit(images, np.arange(32) % NUM_CLASSES, batch_size=8, epochs=1, verbose=0)
    assert trainer.compile_path.reason == "measured"
    assert trainer.train_steps == 4


def test_a_short_fit_takes_the_graph_without_timing(monkeypatch):
    monkeypatch.setattr(compile_path, "measure_paths", _must_not_time)
    trainer = wgan()
    trainer.compile()
    trainer.fit(tiny_batches(), epochs=2, verbose=0)  # 8 steps
    assert trainer.compile_path == compile_path.CompilePath(False, "short run")
    assert trainer.jit_compile is False and trainer.train_steps == 8


def test_a_fit_longer_than_the_probe_is_timed(monkeypatch):
    timed = []

    def fake_measure_paths(run_steps):
        timed.append(True)
        return {False: [1.0], True: [2.0]}

    monkeypatch.setattr(compile_path, "measure_paths", fake_measure_paths)
    trainer = wgan()
    trainer.compile()
    steps = compile_path.PROBE_TOTAL_STEPS + 1
    trainer.fit(tiny_batches().repeat(), steps_per_epoch=steps, epochs=1, verbose=0)
    assert timed == [True] and trainer.compile_path.reason == "measured"
    assert trainer.jit_compile is False and trainer.train_steps == steps


def test_a_short_run_is_one_no_longer_than_the_probe():
    assert compile_path.is_short_run(compile_path.PROBE_TOTAL_STEPS)
    assert not compile_path.is_short_run(compile_path.PROBE_TOTAL_STEPS + 1)
    assert not compile_path.is_short_run(None)  # length unknown: timed


def test_fit_steps_counts_what_fit_will_train():
    images = np.zeros((100, *SHAPE), "float32")
    assert compile_path.fit_steps(images, batch_size=32, epochs=2) == 8  # 4 per epoch
    assert compile_path.fit_steps(images, epochs=3, initial_epoch=1) == 8  # 32 by default
    assert compile_path.fit_steps(tiny_batches(), epochs=2) == 8
    assert compile_path.fit_steps(tiny_batches().repeat(), steps_per_epoch=5, epochs=3) == 15
    assert compile_path.fit_steps(tiny_batches().repeat()) is None  # infinite
    assert compile_path.fit_steps(tiny_batches().filter(lambda x, y: True)) is None  # unknown
    assert compile_path.fit_steps(iter(tiny_batches())) is None
    assert compile_path.fit_steps(tiny_batches(), epochs=1, verbose=0, callbacks=[]) == 4
    # Keras trains on the first floor(100 * 0.75) = 75 rows: 3 batches of 32, not 4.
    assert compile_path.fit_steps(images, batch_size=32, validation_split=0.25) == 3


def test_an_accelerator_takes_xla_without_timing(monkeypatch):
    monkeypatch.setattr(compile_path, "has_accelerator", lambda: True)
    monkeypatch.setattr(compile_path, "measure_paths", _must_not_time)
    trainer = wgan()
    trainer.compile()
    assert trainer.choose_compile_path(tiny_batches()) == compile_path.CompilePath(
        True, "accelerator")
    assert trainer.jit_compile is True


def test_forced_paths_and_unreplayable_data_are_not_timed(monkeypatch):
    monkeypatch.setattr(compile_path, "measure_paths", _must_not_time)
    for forced in (True, False):
        trainer = wgan()
        trainer.compile(jit_compile=forced)
        assert trainer.choose_compile_path(tiny_batches()) == compile_path.CompilePath(
            forced, "forced")
    trainer = wgan()
    trainer.compile()
    batches = iter(tiny_batches())  # an iterator cannot be replayed
    assert trainer.choose_compile_path(batches).reason == "not measurable"
    assert trainer.jit_compile is False


@pytest.mark.parametrize("value", ["yes", 1, None, "AUTO"])
def test_bad_jit_compile_is_refused_by_name(value):
    with pytest.raises(ValueError, match=r"jit_compile must be True, False or 'auto'; got"):
        wgan().compile(jit_compile=value)


def test_check_jit_compile_takes_numpy_bools():
    assert compile_path.check_jit_compile(np.True_) is True
    assert compile_path.check_jit_compile("auto") == "auto"


def test_choose_from_timings_takes_the_lower_median_and_the_graph_on_a_tie():
    path = compile_path.choose_from_timings({False: [3.0, 1.0, 2.0], True: [1.5, 1.0, 9.0]})
    assert path.jit_compile is True
    assert (path.xla_seconds, path.graph_seconds) == (1.5, 2.0)
    assert path.xla_spread == (1.0, 9.0) and path.graph_spread == (1.0, 3.0)
    tie = compile_path.choose_from_timings({False: [1.0], True: [1.0]})
    assert tie.jit_compile is False


def _must_not_time(*args, **kwargs):
    raise AssertionError("the probe ran")


def _fake_run_steps(step_seconds: dict[bool, float], calls: list):
    """`run_steps` whose steps take `step_seconds[jit]` on a fake clock."""
    clock = [0.0]

    def run_steps(jit: bool, steps: int) -> list[float]:
        calls.append((jit, steps))
        ends = []
        for _ in range(steps):
            clock[0] += step_seconds[jit]
            ends.append(clock[0])
        return ends

    return run_steps


def test_the_probe_stops_after_a_round_that_leaves_one_path_decisively_slower():
    calls = []
    seconds = compile_path.measure_paths(_fake_run_steps({False: 1.0, True: 4.0}, calls))
    assert calls == [(False, 1), (True, 1), (False, 5), (True, 5)]  # traces, one round
    assert seconds == {False: [1.0] * 4, True: [4.0] * 4}
    assert compile_path.choose_from_timings(seconds).rounds == 1


def test_close_paths_get_every_round():
    calls = []
    seconds = compile_path.measure_paths(_fake_run_steps({False: 1.0, True: 1.5}, calls))
    assert len(calls) == 2 + 2 * compile_path.PROBE_ROUNDS
    path = compile_path.choose_from_timings(seconds)
    assert path.rounds == compile_path.PROBE_ROUNDS and path.jit_compile is False
    assert f"median of {compile_path.PROBE_ROUNDS} interleaved rounds" in path.describe()


def test_decisive_needs_every_step_of_one_path_beyond_the_ratio():
    assert compile_path.decisive({False: [1.0, 1.1], True: [2.2, 3.0]})
    assert not compile_path.decisive({False: [1.0, 1.2], True: [2.2, 3.0]})  # 2.2 < 2.4
    assert not compile_path.decisive({False: [], True: [5.0]})
