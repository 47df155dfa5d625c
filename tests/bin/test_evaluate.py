"""The evaluate binary as a user runs it: reports and clear errors for bad flags."""

import dataclasses
import json
import sys

import pytest
from absl import app

from tests import launch
from tests.bin.usage import assert_usage_errors
from tests.bin.usage import start
from tests.bin.usage import usage_errors
from tfgenaug import jsonio
from tfgenaug import runs
from tfgenaug.bin import evaluate

TINY = ["--image_size=8", "--steps=3", "--width=4", "--batch_size=16"]


def run_evaluate(*flags, timeout=240):
    return launch.run([sys.executable, "-m", "tfgenaug.bin.evaluate", *flags], timeout=timeout)


def test_bad_flags_fail_with_a_message_naming_them(tmp_path):
    output_dir = f"--output_dir={tmp_path}"
    assert_usage_errors("tfgenaug.bin.evaluate", [
        ([*TINY, "--condition=mixup", output_dir], "--condition must be one of ['plain'"),
        ([*TINY, "--count=500", output_dir], "count=500 is larger than the images available"),
        ([*TINY, "--minority_classes=1", "--imbalance_ratio=1.5", output_dir],
         "--imbalance_ratio must be a number in (0, 1]; got 1.5"),
        ([*TINY, "--minority_classes=1", "--imbalance_ratio=0", output_dir],
         "--imbalance_ratio must be a number in (0, 1]; got 0.0"),
        ([*TINY, "--minority_classes=one", output_dir],
         "--minority_classes must be comma-separated class ids"),
        ([*TINY, "--condition=wgan_gp", "--count=3", "--judge_epochs=-1", output_dir],
         "judge_epochs must be >= 0; got -1"),
        ([*TINY, "--condition=dada_classifier", f"--generator={tmp_path}", output_dir],
         "--generator must be the model_dir of a dada train run for "
         "--condition=dada_classifier"),
    ])
    assert not (tmp_path / "report.json").exists()


def test_a_classic_run_writes_json_markdown_and_confusion_png(tmp_path):
    completed = run_evaluate(*TINY, "--condition=classic", "--count=5", "--norecalibrate_bn",
                             f"--output_dir={tmp_path}")
    assert completed.returncode == 0, completed.stderr[-3000:]
    with open(tmp_path / "report.json") as f:
        report = json.load(f)
    assert report["config"]["condition"] == "classic"
    assert report["training_counts"] == [5] * 10
    assert report["config"]["recalibrate_bn"] is False
    assert "| accuracy |" in (tmp_path / "report.md").read_text()
    assert (tmp_path / "confusion.png").stat().st_size > 1000
    assert "# classic on digits (count=5" in completed.stdout
    assert "is ignored" not in completed.stderr


def test_a_gan_condition_without_generator_trains_one_on_the_same_images(tmp_path):
    completed = run_evaluate(*TINY, "--condition=wgan_gp", "--count=3", "--gan_steps=2",
                             "--judge_epochs=1", f"--output_dir={tmp_path}", timeout=400)
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert "is ignored" not in completed.stderr  # both flags apply here
    with open(tmp_path / "generator" / "config.json") as f:
        generator_run = json.load(f)
    assert generator_run["training_counts"] == [3] * 10
    assert (tmp_path / "generator" / "export" / "1" / "saved_model.pb").exists()
    with open(tmp_path / "report.json") as f:
        report = json.load(f)
    assert report["config"]["generator"].endswith("export")
    # The generator's judged quality, as its export carries it (judge_epochs=1 here).
    quality = report["generator_quality"]
    assert quality["step"] == 2 and len(quality["label_agreement_per_class"]) == 10
    for name in ("precision", "recall", "coverage"):
        assert 0 <= quality[f"{name}_judge_features"] <= 1
    assert quality["density_judge_features"] >= 0
    markdown = (tmp_path / "report.md").read_text()
    assert "## Generator (judged by its run" in markdown and "| coverage |" in markdown
    # Another evaluation in the same output_dir does not take this generator for its own;
    # the same one run again samples from it.
    again = [*TINY, "--condition=wgan_gp", "--count=3", "--gan_steps=2", "--judge_epochs=1",
             f"--output_dir={tmp_path}"]
    export = tmp_path / "generator" / "export"
    other, same, wrong_size = usage_errors("tfgenaug.bin.evaluate", [
        [arg.replace("--count=3", "--count=5") for arg in again], again,
        [*TINY[1:], "--image_size=16", "--condition=wgan_gp", "--count=3",
         f"--generator={export}", f"--output_dir={tmp_path / 'sixteen'}"]])
    assert wrong_size == ("UsageError",
                          f"--generator={export} makes 8x8x1 images of 10 classes; this "
                          "evaluation's data are 16x16x1 images of 10 classes: choose a "
                          "generator trained on this data (or its --image_size)")
    assert other == ("UsageError",
                     f"{tmp_path}/generator holds a generator trained for another evaluation "
                     "(count: 3 -> 5): choose another --output_dir, or pass that generator "
                     "as --generator to sample from it")
    assert same == ("ok", "")


def test_flags_the_condition_ignores_are_named_in_a_warning(tmp_path):
    """A flag given for another kind of condition is said to be ignored, and the run
    goes on (a loop over conditions may pass the same flags to each)."""
    ignored = [f"--generator={tmp_path}", "--gan_steps=10", "--judge_epochs=0",
               "--gan_rate=0.2", "--dada_width_multiplier=0.5"]
    result = run_evaluate(*TINY, "--condition=classic", *ignored,
                          f"--output_dir={tmp_path / 'classic'}")
    assert result.returncode == 0, result.stderr[-3000:]
    for flag in ignored:
        name = flag.split("=")[0]
        assert f"{name} is ignored: it applies only to " in result.stderr, name
    assert "not to --condition=classic" in result.stderr
    assert (tmp_path / "classic" / "report.json").exists()
    # DADA's generator runs train for epochs: --gan_steps is named before the data error
    # (--count too large) stops the command, so nothing trains here.
    process = start("tfgenaug.bin.evaluate", [[
        *TINY, "--condition=dada_classifier", "--gan_steps=3", "--count=500",
        f"--output_dir={tmp_path / 'dada'}"]])
    _, stderr = process.communicate(timeout=300)
    assert "--gan_steps is ignored: it applies only to a generator trained here (a GAN " \
           "condition without --generator) by steps (DADA's runs train for epochs)" in stderr


def test_generator_run_check_ignores_fields_the_trainer_does_not_read(tmp_path):
    # A DADA generator run recorded the benchmark's steps before they were left out
    # (DADA never read them): still the same run. Its count is read: another run.
    config = runs.TrainConfig(trainer="dada", count=3, model_dir=str(tmp_path))
    recorded = {**jsonio.to_jsonable(dataclasses.asdict(config)), "steps": 1500}
    (tmp_path / "config.json").write_text(json.dumps(
        {"trainer_class": "DADA", "trainer_config": {}, "train_config": recorded}))
    evaluate.check_generator_run(config)
    with pytest.raises(app.UsageError, match=r"count: 3 -> 5"):
        evaluate.check_generator_run(dataclasses.replace(config, count=5))
