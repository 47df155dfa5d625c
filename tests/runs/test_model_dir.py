"""Tests of tfgenaug.runs.model_dir: config.json, trainer_from_model_dir, export_from_model_dir."""

import json
import os
import shutil

import keras
import numpy as np
import pytest

from tfgenaug import callbacks
from tfgenaug import runs
from tfgenaug import savedmodels
from tfgenaug.trainers import WGANGP

NUM_CLASSES = 3
NOISE_DIM = 8
IMAGE_SHAPE = (8, 8, 1)
CLASS_NAMES = ["zero", "one", "two"]


def tiny_trainer(seed: int = 0, **kwargs) -> WGANGP:
    """An untrained tiny WGAN-GP (8x8x1, 3 classes, Z=8) whose weights depend on `seed`."""
    keras.utils.set_random_seed(seed)
    return WGANGP(image_shape=IMAGE_SHAPE, num_classes=NUM_CLASSES, noise_dim=NOISE_DIM,
                  width=4, seed=seed, **kwargs)


def fake_run(model_dir, trainer) -> None:
    """Writes config.json and a checkpoint as tfgenaug.bin.train does."""
    if not hasattr(trainer, "g_optimizer"):
        trainer.compile(jit_compile=False)
    os.makedirs(model_dir, exist_ok=True)
    config = {"train_config": {"trainer": "wgan_gp", "count": 2, "dataset": "toy"},
              "trainer_class": type(trainer).__name__,
              "trainer_config": json.loads(json.dumps(trainer.get_config(), default=str)),
              "dataset": {"name": "toy", "num_classes": 3, "image_shape": [8, 8, 1],
                          "class_names": CLASS_NAMES, "train_counts": [4, 5, 6],
                          "test_counts": [1, 1, 1]}}
    with open(os.path.join(model_dir, "config.json"), "w") as f:
        json.dump(config, f)
    checkpoint = callbacks.TrainingCheckpoint(os.path.join(model_dir, "checkpoints"))
    checkpoint.set_model(trainer)
    checkpoint.save()


def test_trainer_from_model_dir_restores_the_checkpoint(tmp_path):
    trained = tiny_trainer(seed=1)
    trained.compile(jit_compile=False)
    trained.g_optimizer.iterations.assign(7)
    fake_run(str(tmp_path), trained)
    restored = runs.trainer_from_model_dir(str(tmp_path))
    assert type(restored) is WGANGP
    assert int(restored.g_optimizer.iterations) == 7
    for a, b in zip(restored.generator.weights, trained.generator.weights, strict=True):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    # from_config alone would give other weights: the checkpoint was really read.
    fresh = WGANGP.from_config(trained.get_config())
    assert not np.allclose(fresh.generator.weights[-2].numpy(),
                           trained.generator.weights[-2].numpy())

    path = runs.export_from_model_dir(str(tmp_path), str(tmp_path / "exports"))
    metadata = savedmodels.read_metadata(path)
    assert metadata["class_names"] == CLASS_NAMES
    assert metadata["training_data"]["train_counts"] == [2, 2, 2]
    assert metadata["training_data"]["pool_train_counts"] == [4, 5, 6]
    assert metadata["training_data"]["steps"] == 7


def test_trainer_from_model_dir_errors_name_the_path(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"config.json' does not exist: model_dir"):
        runs.trainer_from_model_dir(str(tmp_path))
    fake_run(str(tmp_path), tiny_trainer())
    shutil.rmtree(tmp_path / "checkpoints")
    with pytest.raises(FileNotFoundError, match=r"no checkpoint in .*checkpoints"):
        runs.trainer_from_model_dir(str(tmp_path))
    with open(tmp_path / "config.json", "w") as f:
        f.write("{not json")
    with pytest.raises(ValueError, match=r"config.json' is not valid JSON"):
        runs.trainer_from_model_dir(str(tmp_path))


def test_a_dfg_run_is_named_with_how_it_exports(tmp_path):
    # The export binary said "names an unknown trainer_class 'DFG'".
    (tmp_path / "config.json").write_text(json.dumps({
        "trainer_class": "DFG", "trainer_config": {}, "dfg_config": {"method": "dfg"}}))
    with pytest.raises(ValueError, match=r"records a DFG transfer run \(--trainer=dfg, method "
                                         r"'dfg'\).*Run its command again with --export_dir"):
        runs.export_from_model_dir(str(tmp_path), str(tmp_path / "export"))


def test_checkpoint_of_another_architecture_is_refused(tmp_path):
    other = WGANGP(image_shape=IMAGE_SHAPE, num_classes=NUM_CLASSES, noise_dim=NOISE_DIM,
                   width=8)
    other.compile(jit_compile=False)
    fake_run(str(tmp_path), other)
    config_path = tmp_path / "config.json"
    config = json.loads(config_path.read_text())
    config["trainer_config"] = json.loads(json.dumps(tiny_trainer().get_config(), default=str))
    config_path.write_text(json.dumps(config))
    with pytest.raises(ValueError, match=r"cannot restore the trainer from .*ckpt-0"):
        runs.trainer_from_model_dir(str(tmp_path))


def test_export_reads_the_training_counts_the_run_recorded(tmp_path):
    trained = tiny_trainer(seed=2)
    fake_run(str(tmp_path), trained)
    config_path = tmp_path / "config.json"
    config = json.loads(config_path.read_text())
    config["train_config"] = {"trainer": "wgan_gp", "count": 0, "dataset": "toy",
                              "minority_classes": [1], "imbalance_ratio": 0.2}
    config["training_counts"] = [6, 1, 6]
    config_path.write_text(json.dumps(config))
    metadata = savedmodels.read_metadata(
        runs.export_from_model_dir(str(tmp_path), str(tmp_path / "exports")))
    assert metadata["training_data"]["train_counts"] == [6, 1, 6]
    assert metadata["training_data"]["pool_train_counts"] == [4, 5, 6]


def test_a_generator_trained_with_minority_classes_exports_its_training_counts(tmp_path):
    config = runs.TrainConfig(
        image_size=8, width=4, critic_width=4, noise_dim=8, batch_size=16, steps=2,
        checkpoint_every=2, judge_epochs=0, jit_compile=False, n_critic=1, minority_classes=(0, 3),
        imbalance_ratio=0.05, model_dir=str(tmp_path / "run"),
        export_dir=str(tmp_path / "exports"),
    )
    report = runs.train_generator(config, verbose=0)
    recorded = json.loads((tmp_path / "run" / "config.json").read_text())["training_counts"]
    pool = json.loads((tmp_path / "run" / "config.json").read_text())["dataset"]["train_counts"]
    assert recorded[0] == recorded[3] == int(0.05 * max(pool)) < pool[0]
    training_data = savedmodels.read_metadata(report["export_path"])["training_data"]
    assert training_data["train_counts"] == recorded
    assert training_data["pool_train_counts"] == pool


def test_run_quality_reads_the_measured_step_or_checks_the_one_asked_for(tmp_path):
    from tfgenaug.runs.model_dir import METRICS_FILE
    from tfgenaug.runs.model_dir import run_quality

    measured = {"step": 7, "label_agreement": 0.9, "coverage_judge_features": 0.6,
                "classifier_seconds": 3.0}
    (tmp_path / METRICS_FILE).write_text(json.dumps(measured))
    expected = {"step": 7, "label_agreement": 0.9, "coverage_judge_features": 0.6}
    assert run_quality(str(tmp_path)) == expected
    assert run_quality(str(tmp_path), 7) == expected
    assert run_quality(str(tmp_path), 5) is None  # measured at another step
    assert run_quality(str(tmp_path / "absent")) is None


def test_recorded_trainer_config_is_what_the_run_began_with_or_none(tmp_path):
    assert runs.model_dir.recorded_trainer_config(str(tmp_path / "nothing")) is None
    fake_run(str(tmp_path / "run"), tiny_trainer(n_critic=2))
    recorded = runs.model_dir.recorded_trainer_config(str(tmp_path / "run"))
    assert recorded["n_critic"] == 2 and recorded["width"] == 4
