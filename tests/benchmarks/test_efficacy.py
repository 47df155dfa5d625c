"""Smoke test of `benchmarks/efficacy.py --quick`: a full report, and a rerun trains nothing."""

import os
import re
import subprocess
import sys

from benchmarks import efficacy

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run(*flags):
    return subprocess.run([sys.executable, "-m", "benchmarks.efficacy", "--quick", *flags],
                          cwd=REPO, capture_output=True, text=True, timeout=600, check=False)


def test_quick_mode_writes_the_table_goals_and_plot_then_resumes_from_the_cache(tmp_path,
                                                                                 capsys):
    # In-process: the test session has TensorFlow imported already, which saves two
    # subprocesses' imports; the command line itself is tested below.
    out, work = tmp_path / "out", tmp_path / "work"
    assert efficacy.main(["--quick", f"--out_dir={out}", f"--work_dir={work}"]) == 0
    first = capsys.readouterr().out
    assert "[efficacy] n5           plain            seed 0: accuracy" in first
    text = (out / "efficacy.md").read_text()
    assert re.search(r"^Machine: \d+ cores .*TensorFlow ", text, re.MULTILINE)
    for condition in ("plain", "classic", "oversample", "smote", "wgan_gp",
                      "classic+wgan_gp", "wgan_gp_filtered", "same_class_mix", "fgsm",
                      "self_training", "dada_classifier_aug"):
        assert re.search(rf"^\| {re.escape(condition)} \| .*\(n=1\)", text, re.MULTILINE), (
            condition)
    assert "n5: best generative ≥ plain + 8 points" in text
    assert "imbalance20: balanced accuracy ≥ smote + 2 points" in text
    assert "n5: DADA's D as classifier ahead of plain" in text
    assert re.search(r"^\| n5 \| \d+ ± 0 % \| [\d.]+ ± 0\.0 \| [+-]",
                     text, re.MULTILINE), "the filtered section"
    assert (out / "efficacy.png").read_bytes()[:4] == b"\x89PNG"
    cells = sorted(str(p) for p in (out / "cells").rglob("*.json"))
    assert len(cells) == 9 + 4
    mtimes = [os.path.getmtime(p) for p in cells]

    assert efficacy.main(["--quick", f"--out_dir={out}", f"--work_dir={work}"]) == 0
    second = capsys.readouterr().out
    assert "training" not in second and "seed 0:" not in second
    assert [os.path.getmtime(p) for p in cells] == mtimes


def test_the_transfer_case_keeps_five_images_of_each_rare_class_and_all_the_others():
    from tfgenaug import data

    for seed in (0, 1):
        selection = data.select(data.DataCase(image_size=8,
                                              **efficacy.case_fields("transfer5", seed)))
        counts = data.class_counts(selection.train, efficacy.NUM_CLASSES)
        assert list(counts[5:]) == [efficacy.TRANSFER_COUNT] * 5
        assert list(counts[:5]) == list(selection.info.train_counts[:5])
    assert "dagan" in efficacy.conditions_of("transfer5")
    assert "smote" in efficacy.conditions_of("transfer5")


def test_unknown_case_is_a_usage_error(tmp_path):
    completed = run("--cases=n7", f"--out_dir={tmp_path}")
    assert completed.returncode == 2
    assert ("--cases must be a subset of n5,n10,n20,imbalance20,transfer5; got 'n7'"
            in completed.stderr)


def test_the_dada_semi_run_is_dadas_reference_schedule_on_the_unlabelled_pool(tmp_path,
                                                                              monkeypatch):
    seen = {}

    def fake_train_generator(config, verbose=0):
        seen["config"] = config
        return {"step": 1}

    monkeypatch.setattr(efficacy.runs, "train_generator", fake_train_generator)
    model_dir = efficacy.ensure_run("dada_semi", "n5", 0, efficacy.FULL, str(tmp_path / "out"),
                                    str(tmp_path / "work"), aug=True)
    config = seen["config"]
    assert (config.trainer, config.unlabelled, config.aug, config.count) == (
        "dada", "rest", True, 5)
    assert (config.batch_size, config.epochs, config.gan_epochs) == (
        100, efficacy.FULL.dada_epochs, efficacy.FULL.dada_gan_epochs)
    assert model_dir.endswith("n5/dada_semi_aug/seed0")
