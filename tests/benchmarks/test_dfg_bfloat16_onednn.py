"""benchmarks/dfg_bfloat16_onednn.py: one seed's record, cells, cache and report."""

import keras
import pytest

from benchmarks import dfg_bfloat16_onednn as bench
from tests.benchmarks.usage import assert_usage_error


def test_float32_steps_are_recorded_finite():
    try:
        record = bench.train_seed(0, steps=2, eager=True, policy="float32")
    finally:
        keras.config.set_dtype_policy("float32")
    assert record == {"seed": 0, "first_non_finite_step": None, "generator_finite": True}


def _canned(variant, seeds, steps):
    bad = variant.startswith("onednn")
    return {"onednn": bad, "seeds": [
        {"seed": s, "first_non_finite_step": 1 if bad and s else None,
         "generator_finite": not (bad and s)} for s in range(seeds)]}


def test_main_writes_each_variant_then_reuses_the_cache(tmp_path, monkeypatch):
    calls = []

    def measure(variant, seeds, steps):
        calls.append((variant, seeds, steps))
        return _canned(variant, seeds, steps)

    monkeypatch.setattr(bench, "_measure_in_new_process", measure)
    argv = ["--seeds=2", "--steps=3", f"--out_dir={tmp_path}"]
    assert bench.main(argv) == 0
    assert calls == [(variant, 2, 3) for variant in bench.VARIANTS]
    text = (tmp_path / "dfg_bfloat16_onednn.md").read_text()
    assert "| onednn_graph | True | 1 of 2 | -, 1 | 1 of 2 |" in text
    assert "| no_onednn_eager | False | 0 of 2 | -, - | 2 of 2 |" in text
    assert "for 3 steps" in text
    assert bench.main(argv) == 0
    assert len(calls) == 4  # every cell cached
    assert bench.main(["--seeds=3", "--steps=3", "--variants=onednn_eager",
                       f"--out_dir={tmp_path}"]) == 0
    assert calls[-1] == ("onednn_eager", 3, 3)  # other settings measure again


@pytest.mark.parametrize("argv, message", [
    (["--seeds=0"], "--seeds must be >= 1; got 0"),
    (["--variants=onednn"], "--variants must name some of onednn_graph"),
])
def test_bad_flags_are_named(tmp_path, capsys, argv, message):
    assert_usage_error(bench.main, [*argv, f"--out_dir={tmp_path}"], message, capsys)
