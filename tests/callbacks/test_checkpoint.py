import numpy as np
import pytest

from tests.trainers.conftest import IMAGE_SHAPE
from tests.trainers.conftest import NUM_CLASSES
from tests.trainers.conftest import TINY
from tests.trainers.conftest import tiny_dataset
from tfgenaug.callbacks import StopAtStep
from tfgenaug.callbacks import TrainingCheckpoint
from tfgenaug.trainers import DCGAN


def new_trainer():
    trainer = DCGAN(IMAGE_SHAPE, NUM_CLASSES, **TINY)
    trainer.compile(jit_compile=False)
    return trainer


def test_saves_every_epoch_and_restores_newest(tmp_path):
    trainer = new_trainer()
    checkpoint = TrainingCheckpoint(str(tmp_path), max_to_keep=2)
    trainer.fit(tiny_dataset(2).repeat(), steps_per_epoch=2, epochs=3, verbose=0,
                callbacks=[checkpoint])
    assert sorted(p.name for p in tmp_path.glob("*.index")) == ["ckpt-4.index", "ckpt-6.index"]

    fresh = new_trainer()
    restorer = TrainingCheckpoint(str(tmp_path))
    restorer.set_model(fresh)
    assert restorer.restore() == 6
    for a, b in zip(trainer.get_weights(), fresh.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_restore_on_empty_directory_returns_zero(tmp_path):
    checkpoint = TrainingCheckpoint(str(tmp_path / "none"))
    checkpoint.set_model(new_trainer())
    assert checkpoint.restore() == 0


def test_stop_at_step_stops_mid_epoch():
    trainer = new_trainer()
    trainer.fit(tiny_dataset(4).repeat(), steps_per_epoch=4, epochs=5, verbose=0,
                callbacks=[StopAtStep(6)])
    assert int(trainer.g_optimizer.iterations) == 6


def test_bad_max_to_keep():
    with pytest.raises(ValueError, match="max_to_keep must be >= 1"):
        TrainingCheckpoint("/tmp/x", max_to_keep=0)


def test_restore_from_another_directory_and_save_to_its_own(tmp_path):
    """A non-chief worker: restores the chief's newest checkpoint, saves to scratch."""
    chief_dir, scratch_dir = tmp_path / "chief", tmp_path / "scratch"
    trainer = new_trainer()
    trainer.fit(tiny_dataset(2).repeat(), steps_per_epoch=2, epochs=1, verbose=0,
                callbacks=[TrainingCheckpoint(str(chief_dir))])
    worker = new_trainer()
    checkpoint = TrainingCheckpoint(str(scratch_dir), restore_from=str(chief_dir))
    checkpoint.set_model(worker)
    assert checkpoint.restore() == 2
    for a, b in zip(trainer.get_weights(), worker.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    worker.fit(tiny_dataset(2).repeat(), steps_per_epoch=1, epochs=1, verbose=0,
               callbacks=[checkpoint])
    assert sorted(p.name for p in scratch_dir.glob("*.index")) == ["ckpt-3.index"]
    assert sorted(p.name for p in chief_dir.glob("*.index")) == ["ckpt-2.index"]
