"""Smoke test of `benchmarks/efficacy.py --quick`: a full report, and a rerun trains nothing."""

import os
import re
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run(*flags):
    return subprocess.run([sys.executable, "-m", "benchmarks.efficacy", "--quick", *flags],
                          cwd=REPO, capture_output=True, text=True, timeout=600, check=False)


def test_quick_mode_writes_the_table_goals_and_plot_then_resumes_from_the_cache(tmp_path):
    out, work = tmp_path / "out", tmp_path / "work"
    first = run(f"--out_dir={out}", f"--work_dir={work}")
    assert first.returncode == 0, first.stderr[-3000:]
    text = (out / "efficacy.md").read_text()
    assert re.search(r"^Machine: \d+ cores .*TensorFlow ", text, re.MULTILINE)
    for condition in ("plain", "classic", "oversample", "smote", "wgan_gp",
                      "classic+wgan_gp", "wgan_gp_diffaug", "same_class_mix", "fgsm",
                      "self_training",
                      "dada_classifier_aug", "stda"):
        assert re.search(rf"^\| {re.escape(condition)} \| .*\(n=1\)", text, re.MULTILINE), (
            condition)
    assert "n5: best generative ≥ plain + 8 points" in text
    assert "imbalance20: balanced accuracy ≥ smote + 2 points" in text
    assert "n5: DADA's D as classifier ahead of plain" in text
    assert "## ST-DA: pseudo-labelled images kept and the teacher" in text
    assert (out / "efficacy.png").read_bytes()[:4] == b"\x89PNG"
    cells = sorted(str(p) for p in (out / "cells").rglob("*.json"))
    assert "## DiffAugment: WGAN-GP generators with vs without it" in text
    assert len(cells) == 10 + 4
    mtimes = [os.path.getmtime(p) for p in cells]

    second = run(f"--out_dir={out}", f"--work_dir={work}")
    assert second.returncode == 0, second.stderr[-3000:]
    assert "training" not in second.stdout and "seed 0:" not in second.stdout
    assert [os.path.getmtime(p) for p in cells] == mtimes


def test_unknown_case_is_a_usage_error(tmp_path):
    completed = run("--cases=n7", f"--out_dir={tmp_path}")
    assert completed.returncode == 2
    assert "--cases must be a subset of n5,n10,n20,imbalance20; got 'n7'" in completed.stderr
