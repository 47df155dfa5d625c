"""`tfgenaug.runs.train_generator` with the DADA trainer: epochs, stages, resume, report."""

import json

import pytest

from tfgenaug.runs import TrainConfig
from tfgenaug.runs import dada_schedule
from tfgenaug.runs import train_generator


def tiny_dada_config(tmp_path, **overrides) -> TrainConfig:
    # 5 images per class of 10 classes, batch 16: an epoch is 50 // 16 = 3 steps.
    values = dict(
        trainer="dada", image_size=8, count=5, batch_size=16, gan_epochs=1, epochs=2,
        width_multiplier=0.05, noise_dim=8, aug=True, checkpoint_every=2, judge_epochs=0,
        jit_compile=False, model_dir=str(tmp_path / "run"),
    )
    values.update(overrides)
    return TrainConfig(**values)


def test_dada_trains_both_stages_reports_accuracy_and_resumes(tmp_path):
    from tfgenaug import savedmodels

    config = tiny_dada_config(tmp_path, export_dir=str(tmp_path / "exports"))
    report = train_generator(config, verbose=0)
    assert report["step"] == 6
    assert 0.0 <= report["classifier_test_accuracy"] <= 1.0
    saved = json.loads((tmp_path / "run" / "config.json").read_text())
    assert saved["trainer_class"] == "DADA"
    assert saved["trainer_config"]["gan_steps"] == 3
    assert saved["trainer_config"]["aug"] is True
    assert (tmp_path / "run" / "samples.png").stat().st_size > 0
    loaded = savedmodels.load(str(tmp_path / "exports"))
    assert loaded.num_classes == 10 and loaded.image_shape == (8, 8, 1)

    # Rerunning with more epochs resumes in stage 2 at step 6 and goes on to 9.
    report = train_generator(tiny_dada_config(tmp_path, epochs=3), verbose=0)
    assert report["step"] == 9
    checkpoints = sorted(p.name for p in (tmp_path / "run" / "checkpoints").glob("*.index"))
    assert "ckpt-9.index" in checkpoints


def test_dada_schedule_counts_epochs_over_the_training_set():
    config = TrainConfig(trainer="dada", batch_size=100, gan_epochs=200, epochs=700)
    assert dada_schedule(config, 100) == (200, 700)  # count=10, 10 classes
    assert dada_schedule(config, 50) == (200, 700)  # fewer images than a batch
    assert dada_schedule(config, 1000) == (2000, 7000)


@pytest.mark.parametrize(
    "overrides,match",
    [
        ({"gan_epochs": -1}, "gan_epochs must be an integer >= 0"),
        ({"epochs": 0}, "epochs must be a positive integer"),
        ({"width_multiplier": 0.0}, "width_multiplier must be > 0"),
    ],
)
def test_bad_dada_config(tmp_path, overrides, match):
    with pytest.raises(ValueError, match=match):
        train_generator(tiny_dada_config(tmp_path, **overrides), verbose=0)


def test_dada_with_unlabelled_rest_trains_semi_supervised_on_mixed_batches(tmp_path, capsys):
    report = train_generator(tiny_dada_config(tmp_path, unlabelled="rest", aug=False,
                                              epochs=1, gan_epochs=1), verbose=0)
    assert report["step"] == 3 and 0.0 <= report["classifier_test_accuracy"] <= 1.0
    assert "1258 unlabelled images (the 50 labelled ones among them)" in capsys.readouterr().out
    saved = json.loads((tmp_path / "run" / "config.json").read_text())
    assert saved["trainer_config"]["semi_supervised"] is True
