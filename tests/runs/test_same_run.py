"""`runs.same_run`: a run directory resumes only as the run it holds."""

import json
import os

import pytest

from tests.runs.test_model_dir import fake_run
from tests.runs.test_model_dir import tiny_trainer
from tfgenaug.runs.same_run import check_same_run
from tfgenaug.trainers import DCGAN
from tfgenaug.trainers import WGANGP

DATA = {"dataset": {"name": "toy", "num_classes": 3, "image_shape": (8, 8, 1),
                    "class_names": ["zero", "one", "two"], "train_counts": [4, 5, 6],
                    "test_counts": [1, 1, 1]}}


def wgan_gp(**changes) -> WGANGP:
    """`tiny_trainer`'s WGAN-GP with `changes` to its settings (width included)."""
    return WGANGP(**{"image_shape": (8, 8, 1), "num_classes": 3, "noise_dim": 8, "width": 4,
                     **changes})


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> str:
    """A WGAN-GP run (width 4, n_critic 3, seed 0) with a checkpoint and config.json."""
    path = str(tmp_path_factory.mktemp("run"))
    fake_run(path, tiny_trainer(n_critic=3))
    return path


def test_the_same_run_resumes_and_may_change_n_critic_and_seed(run_dir):
    check_same_run(tiny_trainer(n_critic=3), run_dir, DATA)
    check_same_run(tiny_trainer(seed=5, n_critic=1), run_dir, DATA)
    check_same_run(tiny_trainer(), run_dir, {"other_field": 1})  # not recorded: not compared


def test_another_trainer_is_refused(run_dir):
    dcgan = DCGAN(image_shape=(8, 8, 1), num_classes=3, noise_dim=8, width=4)
    with pytest.raises(ValueError, match=f"cannot resume the run in {run_dir}: it trains a "
                                         "WGANGP, and this run a DCGAN. Choose another "
                                         "model_dir for a new run"):
        check_same_run(dcgan, run_dir, DATA)


def test_other_settings_and_other_data_are_named(run_dir):
    with pytest.raises(ValueError, match=r"its WGANGP was begun with other settings "
                                         r"\(gp_weight: 10.0 -> 5.0; width: 4 -> 8\)\. "
                                         "Resume it with the settings it began with"):
        check_same_run(wgan_gp(width=8, gp_weight=5.0), run_dir, DATA)
    other_data = {"dataset": {**DATA["dataset"], "train_counts": [4, 5, 1]}}
    with pytest.raises(ValueError, match=r"\(dataset: \{'name': 'toy'"):
        check_same_run(tiny_trainer(), run_dir, other_data)


def test_nothing_is_checked_without_a_checkpoint_or_a_record(tmp_path, run_dir):
    wider = wgan_gp(width=8)
    (tmp_path / "fresh").mkdir()
    with open(os.path.join(tmp_path, "fresh", "config.json"), "w") as f:
        json.dump({"trainer_class": "DCGAN", "trainer_config": {}}, f)
    check_same_run(wider, str(tmp_path / "fresh"), DATA)  # a fresh start overwrites nothing
    unrecorded = tmp_path / "unrecorded"
    os.makedirs(unrecorded)
    os.symlink(os.path.join(run_dir, "checkpoints"), unrecorded / "checkpoints")
    check_same_run(wider, str(unrecorded), DATA)  # a run from before config.json
