"""`tfgenaug.runs.run_dfg`: config checks, a tiny run with resume, the source cache, data."""

import dataclasses
import json
import os

import keras
import numpy as np
import pytest
import tensorflow as tf

from tfgenaug import data
from tfgenaug.data import case
from tfgenaug.runs import DFGConfig
from tfgenaug.runs import dfg_source
from tfgenaug.runs import prepare_data
from tfgenaug.runs import run_dfg
from tfgenaug.trainers.dfg_protocol import choose_minority_classes

TINY = {"image_size": 8, "steps": 4, "source_steps": 3, "batch_size": 16,
        "checkpoint_every": 2, "jit_compile": False}


@pytest.mark.parametrize(
    "fields,message",
    [
        ({"method": "gan"}, r"method must be one of \('original', 'delta', 'dfg'\); got 'gan'"),
        ({"source_classes": (0, 5)}, "source_classes and target_classes must be disjoint"),
        ({"target_classes": ()}, "target_classes must be a non-empty sequence of unique"),
        ({"source_classes": (1, 1)}, "source_classes must be a non-empty sequence of unique"),
        ({"minor_class_num": 6}, r"minor_class_num must be an int in \[1, 5\]"),
        ({"imbalance_ratio": 0.0}, r"imbalance_ratio must be a number in \(0, 1\]"),
        ({"steps": 0}, "steps must be a positive integer; got 0"),
        ({"source_steps": -1}, "source_steps must be an integer >= 0; got -1"),
        ({"source_steps": 0}, "source_steps=0 skips source pretraining and needs weights"),
        ({"architecture": "vgg19"}, "architecture must be one of"),
        ({"architecture": "vgg16"}, "image_size must be at least 32 for architecture='vgg16'"),
        ({"image_size": 4}, r"image_size must be an integer >= 8; got 4"),
        ({"weights": "/no/such/file.h5"}, "weights must be None or the path of an existing"),
        ({"model_dir": ""}, "model_dir must be a non-empty path"),
        ({"channels": 2}, r"channels must be None, 1 \(grayscale\) or 3 \(RGB\); got 2"),
    ],
)
def test_validate_names_the_field(fields, message):
    with pytest.raises(ValueError, match=message):
        DFGConfig(**fields).validate()


def test_imbalance_protocol_keeps_int_majority_times_ratio_in_the_seeded_classes():
    config = DFGConfig(image_size=8, minor_class_num=2, imbalance_ratio=0.05, seed=3)
    prepared = prepare_data(config)
    minority = choose_minority_classes(5, 2, seed=3)
    assert prepared.minority_classes == minority
    full = [prepared.info.train_counts[k] for k in config.target_classes]
    kept = int(max(full) * 0.05)
    for k, count in enumerate(prepared.training_counts):
        assert count == (kept if k in minority else full[k]), (k, count)
    assert set(np.unique(prepared.source_labels)) == set(range(5))
    assert len(prepared.source_labels) == sum(prepared.info.train_counts[:5])
    assert set(np.unique(prepared.target_test_labels)) == set(range(5))
    assert prepared.class_names == ["5", "6", "7", "8", "9"]
    rgb = prepare_data(dataclasses.replace(config, channels=3))
    assert rgb.info.image_shape == (8, 8, 3) and rgb.source_images.shape[1:] == (8, 8, 3)
    np.testing.assert_allclose(rgb.target_test_images[..., 1], prepared.target_test_images[..., 0])


def poison_test_split(monkeypatch):
    """Replaces the target test images by NaNs: any use of them in training would make a
    loss or a weight non-finite (and StopOnNonFinite raise)."""
    real_load = case.load

    def load_with_poisoned_test(*args, **kwargs):
        train, test, info = real_load(*args, **kwargs)
        return train, test.map(lambda image, label: (image * np.nan, label)), info

    monkeypatch.setattr(case, "load", load_with_poisoned_test)


def test_tiny_dfg_run_writes_metrics_and_exports_and_never_trains_on_test_data(
    tmp_path, monkeypatch
):
    poison_test_split(monkeypatch)
    model_dir, export_dir = str(tmp_path / "run"), str(tmp_path / "export")
    config = DFGConfig(method="dfg", model_dir=model_dir, export_dir=export_dir, **TINY)
    result = run_dfg(config, verbose=0)
    for key in ("accuracy", "balanced_accuracy", "minority_recall"):
        assert 0.0 <= result[key] <= 1.0, key
    assert len(result["per_class_recall"]) == 5 and result["step"] == 4
    with open(os.path.join(model_dir, "metrics.json")) as f:
        assert json.load(f)["minority_recall"] == result["minority_recall"]
    with open(os.path.join(model_dir, "config.json")) as f:
        assert json.load(f)["trainer_class"] == "DFG"
    reader = tf.train.load_checkpoint(os.path.join(model_dir, "checkpoints"))
    names = reader.get_variable_to_shape_map()
    assert any("generator" in name for name in names)
    for name in names:
        value = np.asarray(reader.get_tensor(name))
        if np.issubdtype(value.dtype, np.floating):
            assert np.all(np.isfinite(value)), name
    assert sorted(result["export_paths"]) == ["classifier", "feature_generator"]
    loaded = tf.saved_model.load(result["export_paths"]["feature_generator"])
    features = loaded.signatures["serving_default"](labels=tf.constant([0, 4]))["features"]
    assert features.shape == (2, 4, 4, 6)  # LeNet-5's first block on 8-px digits

    # Run again when finished: the recorded report, no second export version of the
    # same weights; a new export_dir still exports.
    assert run_dfg(config, verbose=0) == result
    for name in ("classifier", "feature_generator"):
        assert os.listdir(os.path.join(export_dir, name)) == ["1"]
    other = str(tmp_path / "export2")
    again = run_dfg(dataclasses.replace(config, export_dir=other), verbose=0)
    assert again["export_paths"]["classifier"].startswith(other)

    prepared = prepare_data(DFGConfig(image_size=8))
    assert np.isnan(prepared.target_test_images).all()
    assert np.isfinite(prepared.source_images).all()
    assert np.isfinite(data.as_numpy(prepared.target_train)[0]).all()


def test_rerun_resumes_from_the_checkpoint(tmp_path, capsys):
    config = DFGConfig(method="original", model_dir=str(tmp_path / "run"), **TINY)
    assert run_dfg(config, verbose=0)["step"] == 4
    assert "ckpt-4" in tf.train.latest_checkpoint(os.path.join(config.model_dir, "checkpoints"))
    capsys.readouterr()
    more = run_dfg(dataclasses.replace(config, steps=6), verbose=0)
    assert "Resuming from step 4 of 6" in capsys.readouterr().out
    assert more["step"] == 6 and more["source"]["cached"] is True
    with pytest.raises(ValueError, match="other settings \\(method: 'original' -> 'delta'; "
                                         "seed: 0 -> 1\\)"):
        run_dfg(dataclasses.replace(config, method="delta", seed=1), verbose=0)


def test_a_generator_run_directory_is_refused(tmp_path):
    run = tmp_path / "wgan"
    run.mkdir()
    (run / "config.json").write_text(json.dumps({"trainer_class": "WGANGP",
                                                 "trainer_config": {"width": 4}}))
    with pytest.raises(ValueError, match="it trains a WGANGP generator, not DFG's transfer"):
        run_dfg(DFGConfig(method="original", model_dir=str(run), **TINY), verbose=0)


def test_source_pretraining_is_cached_and_shared(tmp_path):
    source_dir = str(tmp_path / "source")
    common = {**TINY, "steps": 2, "source_dir": source_dir}
    first = run_dfg(DFGConfig(method="original", model_dir=str(tmp_path / "o"), **common),
                    verbose=0)
    weights = os.path.join(source_dir, "source.weights.h5")
    mtime = os.path.getmtime(weights)
    second = run_dfg(DFGConfig(method="delta", model_dir=str(tmp_path / "d"), **common),
                     verbose=0)
    assert first["source"]["cached"] is False and second["source"]["cached"] is True
    assert second["source"]["accuracy"] == first["source"]["accuracy"]
    assert os.path.getmtime(weights) == mtime
    with pytest.raises(ValueError, match="holds a source model trained with other settings"):
        run_dfg(DFGConfig(method="delta", model_dir=str(tmp_path / "x"),
                          **{**common, "source_steps": 5}), verbose=0)


def test_transfer_weights_skips_a_head_of_another_size():
    source = dfg_source.build_split("lenet5", (8, 8, 1), 3)
    target = dfg_source.build_split("lenet5", (8, 8, 1), 4)
    skipped = dfg_source.transfer_weights(source, target)
    assert skipped == ["logits"]
    for a, b in zip(source[0].get_weights(), target[0].get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    keras.backend.clear_session()


def test_source_steps_zero_uses_the_weights_file_as_the_source(tmp_path):
    from tfgenaug.networks import lenet5

    model = lenet5((8, 8, 1), num_classes=5)
    path = str(tmp_path / "pretrained.weights.h5")
    model.save_weights(path)
    config = DFGConfig(method="delta", model_dir=str(tmp_path / "run"), weights=path,
                       **{**TINY, "source_steps": 0, "steps": 2},
                       source_classes=(5, 6, 7, 8, 9))  # overlap: nothing is pretrained
    extractor, _, record = dfg_source.pretrain_or_load_source(
        config, np.zeros((0, 8, 8, 1)), np.zeros((0,)), (8, 8, 1))
    assert record["loss"] is None and record["cached"] is False
    np.testing.assert_array_equal(extractor.get_layer("conv1").kernel,
                                  model.get_layer("conv1").kernel)
    assert run_dfg(config, verbose=0)["source"]["cached"] is True
