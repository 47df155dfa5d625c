"""Exports of DFG's classifier and feature generator: TF Serving layout, plain-TF loading."""

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import tensorflow as tf

from tfgenaug.networks.dfg_networks import feature_generator
from tfgenaug.networks.dfg_networks import lenet5_split
from tfgenaug.savedmodels import feature_export
from tfgenaug.savedmodels import list_versions

IMAGE_SHAPE = (8, 8, 1)
FEATURE_SHAPE = (4, 4, 6)
NUM_CLASSES = 3
NOISE_DIM = 8


@pytest.fixture(scope="module")
def models():
    extractor, classifier = lenet5_split(IMAGE_SHAPE, NUM_CLASSES)
    generator = feature_generator(FEATURE_SHAPE, NUM_CLASSES, noise_dim=NOISE_DIM, width=8)
    return extractor, classifier, generator


PLAIN_TF_SCRIPT = textwrap.dedent("""
    import sys
    sys.modules["tfgenaug"] = None  # importing it now raises ImportError
    sys.modules["keras"] = None
    import numpy as np
    import tensorflow as tf

    classifier_dir, generator_dir, inputs_file, out_file = sys.argv[1:]
    inputs = np.load(inputs_file)
    classifier = tf.saved_model.load(classifier_dir)
    served = classifier.signatures["serving_default"](images=tf.constant(inputs["images"]))
    features = classifier.signatures["extract_features"](images=tf.constant(inputs["images"]))
    generator = tf.saved_model.load(generator_dir)
    labels = tf.constant([0, 1, 2, 1], tf.int32)
    generated = generator.signatures["generate"](labels=labels,
                                                 noise=tf.constant(inputs["noise"]))
    sampled = generator.signatures["serving_default"](labels=labels)
    from_features = classifier.signatures["classify_features"](features=generated["features"])
    try:
        generator.signatures["serving_default"](labels=tf.constant([0, 3]))
        error = ""
    except tf.errors.InvalidArgumentError as e:
        error = e.message
    np.savez(out_file, logits=served["logits"].numpy(), classes=served["classes"].numpy(),
             probabilities=served["probabilities"].numpy(),
             features=features["features"].numpy(), generated=generated["features"].numpy(),
             sampled=sampled["features"].numpy(), generated_logits=from_features["logits"],
             error=error)
    assert sys.modules.get("tfgenaug") is None and sys.modules.get("keras") is None
    print("DONE")
""")


def test_exports_load_with_plain_tensorflow_and_match_the_models(models, tmp_path):
    extractor, classifier, generator = models
    classifier_dir = feature_export.export_classifier(
        extractor, classifier, str(tmp_path / "classifier"), class_names=["a", "b", "c"],
        metadata={"method": "dfg"},
    )
    generator_dir = feature_export.export_feature_generator(
        generator, str(tmp_path / "features"), num_classes=NUM_CLASSES
    )
    assert classifier_dir.endswith(os.path.join("classifier", "1"))
    assert generator_dir.endswith(os.path.join("features", "1"))
    rng = np.random.default_rng(0)
    images = rng.uniform(0, 1, (5, *IMAGE_SHAPE)).astype("float32")
    noise = rng.uniform(-1, 1, (4, NOISE_DIM)).astype("float32")
    np.savez(tmp_path / "inputs.npz", images=images, noise=noise)
    out = tmp_path / "out.npz"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    result = subprocess.run(
        [sys.executable, "-I", "-c", PLAIN_TF_SCRIPT, classifier_dir, generator_dir,
         str(tmp_path / "inputs.npz"), str(out)],
        capture_output=True, text=True, timeout=120, cwd=str(tmp_path), env=env,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "DONE" in result.stdout
    got = np.load(out)
    model_range = images * 2.0 - 1.0
    features = extractor(model_range)
    np.testing.assert_allclose(got["features"], features, atol=1e-5)
    np.testing.assert_allclose(got["logits"], classifier(features), atol=1e-5)
    np.testing.assert_array_equal(got["classes"], np.argmax(got["logits"], axis=-1))
    np.testing.assert_allclose(got["probabilities"].sum(axis=1), 1.0, atol=1e-5)
    expected = generator([tf.constant(noise), tf.constant([0, 1, 2, 1])], training=False)
    np.testing.assert_allclose(got["generated"], expected, atol=1e-5)
    np.testing.assert_allclose(got["generated_logits"], classifier(expected), atol=1e-5)
    assert got["sampled"].shape == (4, *FEATURE_SHAPE)
    assert "labels must be class ids in [0, 3)" in str(got["error"])

    with open(os.path.join(classifier_dir, "assets", "tfgenaug.json")) as f:
        meta = json.load(f)
    assert meta["format"] == "tfgenaug.classifier"
    assert meta["feature_shape"] == list(FEATURE_SHAPE)
    assert meta["image_shape"] == list(IMAGE_SHAPE) and meta["value_range"] == [0.0, 1.0]
    assert meta["class_names"] == ["a", "b", "c"] and meta["method"] == "dfg"
    with open(os.path.join(generator_dir, "assets", "tfgenaug.json")) as f:
        meta = json.load(f)
    assert meta["format"] == "tfgenaug.feature_generator"
    assert meta["feature_shape"] == list(FEATURE_SHAPE) and meta["noise_dim"] == NOISE_DIM
    assert meta["noise_range"] == [-1.0, 1.0]


def test_image_sampling_names_these_exports_instead_of_calling_them_foreign(models, tmp_path):
    # Given to GANAugment, generate or savedmodels.load they were "not tfgenaug metadata".
    from tfgenaug import savedmodels

    extractor, classifier, generator = models
    classifier_dir = feature_export.export_classifier(extractor, classifier,
                                                      str(tmp_path / "classifier"))
    generator_dir = feature_export.export_feature_generator(
        generator, str(tmp_path / "features"), num_classes=NUM_CLASSES)
    with pytest.raises(ValueError, match=r"is an export of a classifier .*format "
                                         r"'tfgenaug.classifier': sampling images needs an "
                                         r"image generator's export"):
        savedmodels.load(classifier_dir)
    with pytest.raises(ValueError, match=r"is an export of DFG's feature generator .*not "
                                         r"images\), format 'tfgenaug.feature_generator'"):
        savedmodels.load(generator_dir)


def test_versions_and_atomic_failure(models, tmp_path, monkeypatch):
    _, _, generator = models
    base = str(tmp_path / "features")
    feature_export.export_feature_generator(generator, base, NUM_CLASSES)
    assert feature_export.export_feature_generator(
        generator, base, NUM_CLASSES).endswith("2")
    with pytest.raises(ValueError, match="version 2 already exists"):
        feature_export.export_feature_generator(generator, base, NUM_CLASSES, version=2)

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(tf.saved_model, "save", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        feature_export.export_feature_generator(generator, base, NUM_CLASSES)
    assert list_versions(base) == [1, 2]
    assert sorted(os.listdir(base)) == ["1", "2"]  # no half-written temporary directory


@pytest.mark.parametrize(
    "kwargs,message",
    [
        ({"num_classes": 0}, "num_classes must be a positive int; got 0"),
        ({"num_classes": 3, "class_names": ["a"]}, "class_names must hold num_classes=3"),
        ({"num_classes": 3, "metadata": {"feature_shape": 1}}, "metadata may not set"),
        ({"num_classes": 3, "version": -1}, "version must be a non-negative int"),
    ],
)
def test_bad_arguments_are_named(models, tmp_path, kwargs, message):
    with pytest.raises(ValueError, match=message):
        feature_export.export_feature_generator(models[2], str(tmp_path / "g"), **kwargs)


def test_classifier_must_chain_with_the_extractor(models, tmp_path):
    extractor, _, _ = models
    _, other = lenet5_split((16, 16, 1), NUM_CLASSES)
    with pytest.raises(ValueError, match="classifier must take the extractor's feature maps"):
        feature_export.export_classifier(extractor, other, str(tmp_path / "c"))
