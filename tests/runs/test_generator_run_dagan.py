"""`tfgenaug.runs.train_generator` with DAGAN: same-class pairs, label path, export, resume."""

import numpy as np
import pytest
import tensorflow as tf

from tfgenaug import savedmodels
from tfgenaug.runs import TrainConfig
from tfgenaug.runs import train_generator


def tiny_dagan_config(tmp_path, **overrides) -> TrainConfig:
    values = dict(trainer="dagan", image_size=8, count=4, batch_size=8, steps=2,
                  checkpoint_every=2, width=4, critic_width=4, noise_dim=8, judge_epochs=1,
                  agreement_per_class=4, jit_compile=False, n_critic=1,
                  model_dir=str(tmp_path / "run"))
    values.update(overrides)
    return TrainConfig(**values)


def test_dagan_run_judges_its_transforms_exports_transform_and_resumes(tmp_path):
    report = train_generator(
        tiny_dagan_config(tmp_path, export_dir=str(tmp_path / "exports")), verbose=0)
    assert report["step"] == 2 and 0.0 <= report["label_agreement"] <= 1.0
    assert (tmp_path / "run" / "samples.png").exists()
    loaded = savedmodels.load(report["export_path"])
    assert loaded.image_conditioned
    assert loaded.metadata["training_data"]["train_counts"] == [4] * 10
    # The bank holds the run's 40 training images; the export's label path uses them.
    assert loaded.metadata["trainer_config"]["source_count"] == 40
    images = loaded([0, 9], seed=0)
    assert images.shape == (2, 8, 8, 1) and np.all(np.isfinite(images))
    assert loaded.transform(tf.fill([3, 8, 8, 1], 0.5), seed=0).shape == (3, 8, 8, 1)

    report = train_generator(tiny_dagan_config(tmp_path, steps=4), verbose=0)
    assert report["step"] == 4
    assert (tmp_path / "run" / "checkpoints" / "ckpt-4.index").exists()


def test_dagan_refuses_critic_augmentation(tmp_path):
    with pytest.raises(ValueError, match="diffaugment applies to wgan_gp and dcgan"):
        train_generator(tiny_dagan_config(tmp_path, diffaugment="color"), verbose=0)
