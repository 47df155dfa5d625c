"""`benchmarks/main_job_timing.py`: rounds rotate, output is parsed, ratios pair by round."""

import json

import pytest

from benchmarks import common
from benchmarks import main_job_timing


def write_cell(out_dir, round_index, variant, seconds, agreement=0.97):
    cell = {"round": round_index, "variant": variant,
            "flags": list(main_job_timing.VARIANTS[variant]), "wall_seconds": seconds,
            "label_agreement": agreement, "steps_per_second": 2000 / seconds,
            "probe_seconds": 20.0, "load_average_before": 0.1,
            "finished": f"2026-12-06 1{round_index}:00 UTC"}
    path = common.round_cell_path(str(out_dir), round_index, variant)
    (out_dir / "cells").mkdir(exist_ok=True)
    with open(path, "w") as f:
        json.dump(cell, f)
    return cell


def test_each_round_starts_with_a_different_variant():
    variants = ["critic5", "critic3", "other"]
    firsts = [common.round_order(variants, r)[0] for r in range(3)]
    assert sorted(firsts) == sorted(variants)
    assert sorted(common.round_order(variants, 4)) == sorted(variants)


def test_the_end_of_run_line_gives_steps_per_second_and_probe_seconds():
    text = ("noise\nTrained 2000 steps in 4 min 31 s: 7.38 steps/s (compile-path probe 21 s).\n")
    assert main_job_timing.parse_output(text) == {"steps_per_second": 7.38,
                                                  "probe_seconds": 21.0}
    assert main_job_timing.parse_output("Trained 10 steps in 3 s: 3.30 steps/s.") == {
        "steps_per_second": 3.3, "probe_seconds": 0.0}
    assert main_job_timing.parse_output("no line")["steps_per_second"] is None


def test_a_cached_cell_is_read_not_run(tmp_path, monkeypatch):
    cell = write_cell(tmp_path, 0, "critic3", 200.0)
    monkeypatch.setattr(main_job_timing.subprocess, "run",
                        lambda *a, **k: (_ for _ in ()).throw(AssertionError("ran")))
    assert main_job_timing.run_cell(0, "critic3", str(tmp_path), str(tmp_path)) == cell


def test_ratios_pair_each_variant_with_the_default_of_its_own_round(tmp_path):
    # Round 1 ran on a machine twice as slow: per-round ratios stay 0.5, the pooled ones not.
    cells = [write_cell(tmp_path, 0, "critic5", 400.0), write_cell(tmp_path, 0, "critic3", 200.0),
             write_cell(tmp_path, 1, "critic5", 800.0), write_cell(tmp_path, 1, "critic3", 400.0)]
    path = main_job_timing.write_table(str(tmp_path), cells, "Machine: test.")
    with open(path) as f:
        text = f.read()
    assert "| critic3 | 2 | 5 min 00 s (3 min 20 s-6 min 40 s) | 0.50x (0.50-0.50) |" in text
    assert "| critic5 | 2 | 10 min 00 s (6 min 40 s-13 min 20 s) | - |" in text
    assert "| 0 | critic3 | --n_critic=3 | 3 min 20 s | 10.00 | 20 | 0.9700 | 0.1 |" in text


@pytest.mark.parametrize("argv", [["--variants=critic3"], ["--variants=critic5,fast"],
                                  ["--rounds=0"]])
def test_bad_flags_are_a_usage_error_naming_the_flag(argv, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main_job_timing.main(argv)
    assert exit_info.value.code == 2
    assert argv[0].split("=")[0] in capsys.readouterr().err
