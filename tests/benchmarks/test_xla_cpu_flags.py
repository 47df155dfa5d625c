"""benchmarks/xla_cpu_flags.py: a timed cell, cached rounds, failures kept, its flags."""

import numpy as np
import tensorflow as tf

from benchmarks import xla_cpu_flags
from tests.benchmarks.usage import assert_usage_error
from tfgenaug import trainers


def tiny_wgan_gp(trainer_name, jit_compile):
    trainer = trainers.WGANGP((8, 8, 1), 3, noise_dim=8, width=4, critic_width=4)
    trainer.compile(jit_compile=jit_compile)
    rng = np.random.default_rng(0)
    images = rng.uniform(-1, 1, (16, 8, 8, 1)).astype("float32")
    labels = rng.integers(0, 3, 16).astype("int32")
    dataset = tf.data.Dataset.from_tensor_slices((images, labels)).batch(8).repeat()
    return trainer, dataset


def test_measure_cell_times_each_repeat_after_an_untimed_step(monkeypatch):
    monkeypatch.setattr(xla_cpu_flags, "_build", tiny_wgan_gp)
    result = xla_cpu_flags.measure_cell("wgan_gp", False, steps=2, repeats=3)
    assert result["first_step_seconds"] > 0
    assert len(result["seconds_per_step"]) == 3 and min(result["seconds_per_step"]) > 0


def fake_measure(trainer_name, variant, steps, repeats):
    if variant == "XLA + oneDNN custom calls":
        raise RuntimeError("benchmarks.xla_cpu_flags.measure_cell('dfg', True, 4, 3) failed "
                           "(exit code -4):\nsome log line\npartition compile failed\n")
    seconds = {xla_cpu_flags.GRAPH: 0.30, "XLA": 0.40}.get(variant, 0.60)
    return {"first_step_seconds": 9.0, "seconds_per_step": [seconds, seconds + 0.1, seconds]}


def test_main_pairs_the_rounds_keeps_failures_then_reuses_the_cache(tmp_path, monkeypatch):
    monkeypatch.setattr(xla_cpu_flags, "_measure_in_new_process", fake_measure)
    argv = ["--rounds=2", "--trainers=dfg", f"--out_dir={tmp_path}"]
    assert xla_cpu_flags.main(argv) == 0
    assert len(list((tmp_path / "cells").glob("*.json"))) == 2 * len(xla_cpu_flags.VARIANTS)
    text = (tmp_path / "xla_cpu_flags.md").read_text()
    assert "| dfg | no XLA | `(none)` | 2 | 300 (300-300) | - | 9.0 (9.0-9.0) |  |" in text
    assert "| dfg | XLA | `(none)` | 2 | 400 (400-400) | 0.75x (0.75-0.75) |" in text
    assert ("| dfg | XLA + fast math | `--xla_cpu_enable_fast_math=true` | 2 | 600 (600-600) | "
            "0.50x (0.50-0.50) |") in text
    assert ("failed in 2 of 2: benchmarks.xla_cpu_flags.measure_cell('dfg', True, 4, 3) failed "
            "(exit code -4): partition compile failed |") in text
    assert "| wgan_gp |" not in text

    def no_new_cells(*args, **kwargs):
        raise AssertionError("a cached cell was measured again")

    monkeypatch.setattr(xla_cpu_flags, "_measure_in_new_process", no_new_cells)
    assert xla_cpu_flags.main(argv) == 0


def test_a_cell_runs_in_a_new_process_with_only_its_variants_xla_flags(monkeypatch):
    seen = {}

    def fake_call(module, function, *args, env=None, **kwargs):
        seen.update(module=module, function=function, args=args, env=env)
        return {}

    monkeypatch.setattr(xla_cpu_flags.common, "call_in_new_process", fake_call)
    xla_cpu_flags._measure_in_new_process("wgan_gp", "XLA + fast math", 4, 3)
    assert seen == {"module": "xla_cpu_flags", "function": "measure_cell",
                    "args": ("wgan_gp", True, 4, 3),
                    "env": {"XLA_FLAGS": "--xla_cpu_enable_fast_math=true"}}
    xla_cpu_flags._measure_in_new_process("dfg", xla_cpu_flags.GRAPH, 4, 3)
    assert seen["args"] == ("dfg", False, 4, 3) and seen["env"] == {"XLA_FLAGS": ""}


def test_bad_flags_are_named(tmp_path, capsys):
    assert_usage_error(xla_cpu_flags.main, ["--trainers=dada", f"--out_dir={tmp_path}"],
                       "--trainers must name some of wgan_gp, dfg", capsys)
    assert_usage_error(xla_cpu_flags.main, ["--steps=0", f"--out_dir={tmp_path}"],
                       "--steps must be >= 1; got 0", capsys)
