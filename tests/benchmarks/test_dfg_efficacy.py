"""Smoke test of `benchmarks/dfg_efficacy.py --quick`: the report, and a rerun trains nothing."""

import os
import re
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run(*flags):
    return subprocess.run([sys.executable, "-m", "benchmarks.dfg_efficacy", "--quick", *flags],
                          cwd=REPO, capture_output=True, text=True, timeout=600, check=False)


def test_quick_mode_writes_the_table_and_resumes_from_the_cache(tmp_path):
    out, work = tmp_path / "dfg", tmp_path / "work"
    first = run(f"--out_dir={out}", f"--work_dir={work}")
    assert first.returncode == 0, first.stderr[-3000:]
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

    second = run(f"--out_dir={out}", f"--work_dir={work}")
    assert second.returncode == 0, second.stderr[-3000:]
    assert "seed 0:" not in second.stdout
    assert [os.path.getmtime(p) for p in cells] == mtimes


def test_unknown_method_is_a_usage_error(tmp_path):
    completed = run("--methods=gan", f"--out_dir={tmp_path}")
    assert completed.returncode == 2
    assert "--methods must be a subset of original,delta,dfg; got 'gan'" in completed.stderr
