"""Tests of `tfgenaug.evaluation.report`'s markdown: the generator's judged quality."""

import json
import pathlib

import pytest

from tfgenaug import jsonio
from tfgenaug.evaluation import report as report_module
from tfgenaug.evaluation.report import generator_quality_markdown
from tfgenaug.evaluation.report import report_markdown


def classifier_report(**extra) -> dict:
    return {
        "config": {"condition": "wgan_gp", "dataset": "digits", "count": 5,
                   "minority_classes": [], "imbalance_ratio": 1.0, "seed": 0, "width": 8,
                   "steps": 10, "batch_size": 16, "learning_rate": 0.001},
        "accuracy": 0.9, "balanced_accuracy": 0.9, "macro_f1": 0.9,
        "class_names": ["a", "b"], "training_counts": [5, 5], "precision": [0.9, 0.9],
        "recall": [0.9, 0.9], "f1": [0.9, 0.9], "support": [10, 10], **extra,
    }


def test_generator_quality_tables_overall_and_by_class():
    quality = {"label_agreement": 0.95, "fid_judge_features": 2.5,
               "precision_judge_features": 0.8, "coverage_judge_features": 0.6,
               "label_agreement_per_class": [1.0, 0.9],
               "coverage_per_class_judge_features": [0.7, 0.5]}
    lines = generator_quality_markdown(quality, ["a", "b"])
    assert "| label agreement | 0.9500 |" in lines
    assert "| FID (judge features) | 2.5000 |" in lines
    assert "| precision | 0.8000 |" in lines and "| coverage | 0.6000 |" in lines
    assert not any(line.startswith("| recall |") for line in lines)  # not measured: no row
    assert "| class | label agreement | coverage |" in lines
    assert "| b | 0.900 | 0.500 |" in lines


def test_report_shows_the_generator_section_only_when_measured():
    assert "## Generator" not in report_markdown(classifier_report())
    markdown = report_markdown(classifier_report(generator_quality={"label_agreement": 0.5}))
    assert "## Generator (judged by its run" in markdown and "| label agreement | 0.5000 |" in (
        markdown)


def test_a_failed_rewrite_leaves_the_previous_report_whole(tmp_path, monkeypatch):
    # report.json was written in place: a crash mid-write left half a file.
    report = classifier_report(confusion_matrix=[[9, 1], [1, 9]])
    paths = report_module.write_report(report, str(tmp_path))
    before = {kind: pathlib.Path(path).read_bytes() for kind, path in paths.items()}

    def half_then_crash(payload, f, **kwargs):
        f.write('{"accuracy": ')
        raise OSError("disk full")

    monkeypatch.setattr(jsonio.json, "dump", half_then_crash)
    with pytest.raises(OSError, match="disk full"):
        report_module.write_report(classifier_report(accuracy=0.1), str(tmp_path))
    assert json.loads(pathlib.Path(paths["json"]).read_text())["accuracy"] == 0.9
    assert {kind: pathlib.Path(path).read_bytes() for kind, path in paths.items()} == before
