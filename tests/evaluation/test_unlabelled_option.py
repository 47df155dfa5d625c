"""`EvalConfig.unlabelled`: the pool conditions learn from another dataset's images."""

import numpy as np
import pytest

from tfgenaug.evaluation import EvalConfig
from tfgenaug.evaluation import evaluate_condition


@pytest.fixture
def npz_pool(tmp_path):
    rng = np.random.default_rng(0)
    path = tmp_path / "pool.npz"
    np.savez(path, images=rng.integers(0, 256, (40, 12, 12), dtype=np.uint8),
             labels=np.zeros(40, np.int64))
    return f"npz:{path}"


def test_self_training_pseudo_labels_another_datasets_images(npz_pool, monkeypatch):
    from tfgenaug.evaluation.conditions import self_training

    seen = {}
    real_self_train = self_training.self_train

    def recording(build, labelled, unlabelled, **kwargs):
        seen.update(pool=unlabelled, labels=kwargs["unlabelled_labels"])
        return real_self_train(build, labelled, unlabelled, **kwargs)

    monkeypatch.setattr(self_training, "self_train", recording)
    report = evaluate_condition(EvalConfig(condition="self_training", count=2, seed=0,
                                           image_size=8, steps=2, width=4, batch_size=16,
                                           unlabelled=npz_pool))
    assert report["config"]["unlabelled"] == npz_pool
    assert report["training_counts"] == [2] * 10
    # The npz's train split (12x12 grey, resized): 40 images of one class, 12 carved off.
    assert seen["pool"].shape == (28, 8, 8, 1) and seen["labels"] is None
    for entry in report["self_training"]:  # the pool's labels are unknown: not scored
        assert entry["pseudo_label_accuracy"] is None


@pytest.mark.parametrize("overrides,match", [
    ({"condition": "plain", "unlabelled": "npz:/x.npz"},
     "unlabelled applies to the conditions that use unlabelled images \\(self_training, "
     "ssgan, ssgan_self_training, ssgan_augment\\); got condition='plain'"),
    ({"condition": "self_training", "unlabelled": ""}, "unlabelled must be 'rest' or a dataset"),
])
def test_bad_unlabelled_names_the_field(overrides, match):
    with pytest.raises(ValueError, match=match):
        EvalConfig(**overrides).validate()


def test_an_unreadable_pool_names_unlabelled():
    config = EvalConfig(condition="self_training", count=2, image_size=8, steps=2,
                        unlabelled="npz:/no/such/pool.npz")
    with pytest.raises(ValueError, match="unlabelled='npz:/no/such/pool.npz' cannot be read"):
        evaluate_condition(config)
