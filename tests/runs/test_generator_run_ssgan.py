"""`tfgenaug.runs.train_generator` with the semi-supervised GAN: unlabelled data, resume."""

import json

import pytest

from tfgenaug.runs import TrainConfig
from tfgenaug.runs import train_generator


def tiny_ssgan_config(tmp_path, **overrides) -> TrainConfig:
    values = dict(trainer="ssgan", image_size=8, count=2, unlabelled="rest", batch_size=20,
                  steps=2, checkpoint_every=2, width_multiplier=0.05, noise_dim=8,
                  jit_compile=False, model_dir=str(tmp_path / "run"))
    values.update(overrides)
    return TrainConfig(**values)


def test_ssgan_trains_on_the_pool_reports_and_exports_its_classifier_and_resumes(tmp_path):
    import numpy as np
    import tensorflow as tf

    from tfgenaug import data

    report = train_generator(
        tiny_ssgan_config(tmp_path, export_dir=str(tmp_path / "exports")), verbose=0)
    assert report["step"] == 2 and 0.0 <= report["classifier_test_accuracy"] <= 1.0
    assert "label_agreement" not in report
    # The export is the EMA classifier, served with plain TensorFlow on [0, 1] images.
    _, test, _ = data.load("digits", image_size=8)
    images, labels = data.as_numpy(test)
    serve = tf.saved_model.load(report["export_path"]).signatures["serving_default"]
    classes = serve(images=tf.constant((images + 1) / 2, tf.float32))["classes"].numpy()
    assert np.mean(classes == labels) == pytest.approx(report["classifier_test_accuracy"],
                                                        abs=1e-6)
    saved = json.loads((tmp_path / "run" / "config.json").read_text())
    assert saved["trainer_config"]["width_multiplier"] == 0.05
    report = train_generator(tiny_ssgan_config(tmp_path, steps=4), verbose=0)
    assert report["step"] == 4
    checkpoints = sorted(p.name for p in (tmp_path / "run" / "checkpoints").glob("*.index"))
    assert "ckpt-4.index" in checkpoints


@pytest.mark.parametrize("overrides,match", [
    ({"trainer": "dcgan", "unlabelled": "rest"}, "unlabelled applies to ssgan and dada"),
    ({"unlabelled": 3}, "unlabelled must be 'rest', a dataset name or ''"),
    ({"unlabelled": "npz:/no/such/file.npz"}, "no/such/file.npz"),
])
def test_bad_semi_supervised_config(tmp_path, overrides, match):
    with pytest.raises(ValueError, match=match):
        train_generator(tiny_ssgan_config(tmp_path, **overrides), verbose=0)
    assert not (tmp_path / "run" / "checkpoints").exists()
