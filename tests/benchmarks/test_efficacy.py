"""Smoke test of `benchmarks/efficacy.py --quick`: a full report, and a rerun trains nothing."""

import os
import re
import sys

import pytest

from benchmarks import efficacy
from tests import launch

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run(*flags):
    return launch.run([sys.executable, "-m", "benchmarks.efficacy", "--quick", *flags],
                      cwd=REPO, timeout=600)


# The quick run's cells in three groups, one test each, so that no test takes the whole
# run (~45 s of CPU; the suite's goal is no test over 30 s). Each group is its own out dir:
# a goal whose cells are in another group says "cells missing", which is still a line.
QUICK_GROUPS = {
    "n5_generative": ("n5", ("plain", "classic", "wgan_gp", "classic+wgan_gp",
                             "wgan_gp_filtered")),
    "n5_other": ("n5", ("same_class_mix", "fgsm", "self_training", "dada_classifier_aug")),
    "imbalance20": ("imbalance20", ("plain", "oversample", "smote", "wgan_gp")),
}


def test_quick_groups_are_the_quick_run():
    grouped = {(case, c) for case, conditions in QUICK_GROUPS.values() for c in conditions}
    assert grouped == {(case, c) for case, conditions in efficacy.QUICK_CONDITIONS.items()
                       for c in conditions}


@pytest.mark.parametrize("group", sorted(QUICK_GROUPS))
def test_quick_mode_writes_the_table_goals_and_plot_then_resumes_from_the_cache(
        group, tmp_path, capsys):
    # In-process: the test session has TensorFlow imported already, which saves two
    # subprocesses' imports; the command line itself is tested below.
    case, conditions = QUICK_GROUPS[group]
    out, work = tmp_path / "out", tmp_path / "work"
    argv = ["--quick", f"--cases={case}", f"--conditions={','.join(conditions)}",
            f"--out_dir={out}", f"--work_dir={work}"]
    assert efficacy.main(argv) == 0
    first = capsys.readouterr().out
    metric = "balanced_accuracy" if case.startswith("imbalance") else "accuracy"
    assert f"[efficacy] {case:<12} {conditions[0]:<16} seed 0: {metric}" in first
    text = (out / "efficacy.md").read_text()
    assert re.search(r"^Machine: \d+ cores .*TensorFlow ", text, re.MULTILINE)
    for condition in conditions:
        assert re.search(rf"^\| {re.escape(condition)} \| .*\(n=1\)", text, re.MULTILINE), (
            condition)
    goal = {"n5_generative": "n5: best generative ≥ plain + 8 points",
            "n5_other": "n5: DADA's D as classifier ahead of plain",
            "imbalance20": "imbalance20: balanced accuracy ≥ smote + 2 points"}[group]
    assert goal in text
    if "wgan_gp_filtered" in conditions:
        assert re.search(r"^\| n5 \| \d+ ± 0 % \| [\d.]+ ± 0\.0 \| [+-]",
                         text, re.MULTILINE), "the filtered section"
    assert (out / "efficacy.png").read_bytes()[:4] == b"\x89PNG"
    cells = sorted(str(p) for p in (out / "cells").rglob("*.json"))
    assert len(cells) == len(conditions)
    mtimes = [os.path.getmtime(p) for p in cells]

    assert efficacy.main(argv) == 0
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


def test_unknown_case_is_a_usage_error(tmp_path, capsys):
    # In this process: a usage error needs no fresh interpreter (a fork cost ~5 CPU s).
    with pytest.raises(SystemExit) as exit_info:
        efficacy.main(["--quick", "--cases=n7", f"--out_dir={tmp_path}"])
    assert exit_info.value.code == 2
    assert ("--cases must be a subset of n5,n10,n20,imbalance20,transfer5; got 'n7'"
            in capsys.readouterr().err)


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
