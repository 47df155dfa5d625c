"""Smoke test of `benchmarks/dfg_efficacy.py --quick`: the report, and a rerun trains nothing."""

import os
import re

from benchmarks import dfg_efficacy
from tests.benchmarks.usage import assert_usage_error


def test_quick_mode_writes_the_table_and_resumes_from_the_cache(tmp_path, capsys):
    # In-process: a subprocess would import TensorFlow again (~8 s per run on two cores).
    out, work = tmp_path / "dfg", tmp_path / "work"
    flags = ["--quick", f"--out_dir={out}", f"--work_dir={work}"]
    assert dfg_efficacy.main(flags) == 0
    assert "seed 0:" in capsys.readouterr().out
    text = (tmp_path / "dfg.md").read_text()
    assert re.search(r"^Machine: \d+ cores .*TensorFlow .*Keras ", text, re.MULTILINE)
    for label in ("Original", "DELTA", "DFG"):
        assert re.search(rf"^\| {label} \| [\d.]+ ± [\d.]+ \| .* \| 1 \|$", text, re.MULTILINE)
    assert "| DFG − DELTA | " in text and "| DELTA − Original | " in text
    assert re.search(r"^\| DFG ≥ DELTA on minority recall \| .* \| (\*\*met\*\*|not met) \|$",
                     text, re.MULTILINE)
    assert (tmp_path / "dfg.png").read_bytes()[:4] == b"\x89PNG"
    cells = sorted(str(p) for p in (out / "cells").rglob("*.json"))
    assert len(cells) == 3
    mtimes = [os.path.getmtime(p) for p in cells]

    assert dfg_efficacy.main(flags) == 0
    assert "seed 0:" not in capsys.readouterr().out
    assert [os.path.getmtime(p) for p in cells] == mtimes


def test_unknown_method_is_a_usage_error(tmp_path, capsys):
    assert_usage_error(dfg_efficacy.main, ["--quick", "--methods=gan", f"--out_dir={tmp_path}"],
                       "--methods must be a subset of original,delta,dfg; got 'gan'", capsys)
