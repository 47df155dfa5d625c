"""Tests of tfgenaug.savedmodels.load: choosing the version, calling, and every bad input."""

import json
import os
import shutil

import numpy as np
import pytest
import tensorflow as tf

from tests.savedmodels.test_export import IMAGE_SHAPE
from tests.savedmodels.test_export import NOISE_DIM
from tests.savedmodels.test_export import NUM_CLASSES
from tests.savedmodels.test_export import RANGE_MESSAGE
from tests.savedmodels.test_export import expected_images
from tests.savedmodels.test_export import fixed_noise
from tests.savedmodels.test_export import identity_generator
from tests.savedmodels.test_export import tiny_trainer
from tfgenaug import savedmodels


@pytest.fixture(scope="module")
def trainers():
    return tiny_trainer(seed=1), tiny_trainer(seed=2)


@pytest.fixture(scope="module")
def base_dir(trainers, tmp_path_factory) -> str:
    """Versions 1 and 2 of two different generators."""
    base = str(tmp_path_factory.mktemp("exports"))
    for tag, trainer in enumerate(trainers, start=1):
        savedmodels.export(trainer, base, metadata={"tag": tag})
    return base


@pytest.fixture(scope="module")
def generator(base_dir) -> savedmodels.LoadedGenerator:
    return savedmodels.load(base_dir)


def copy_version(base_dir, tmp_path, version=1) -> str:
    target = str(tmp_path / "copy")
    shutil.copytree(os.path.join(base_dir, str(version)), target)
    return target


def test_base_dir_loads_the_newest_version(base_dir, generator, trainers):
    assert generator.path == os.path.join(base_dir, "2")
    assert generator.metadata["tag"] == 2
    assert generator.num_classes == NUM_CLASSES
    assert generator.image_shape == IMAGE_SHAPE
    assert generator.noise_dim == NOISE_DIM
    assert generator.noise_distribution == "normal"
    assert generator.value_range == (0.0, 1.0)
    assert set(generator.signatures) == {"serving_default", "generate", "truncated"}
    noise = fixed_noise(3)
    np.testing.assert_allclose(generator([0, 1, 2], noise=noise).numpy(),
                               expected_images(trainers[1], [0, 1, 2], noise), atol=1e-5)


def test_version_dir_loads_that_version(base_dir, trainers):
    first = savedmodels.load(os.path.join(base_dir, "1"))
    assert first.metadata["tag"] == 1
    noise = fixed_noise(3)
    np.testing.assert_allclose(first([2, 1, 0], noise=noise).numpy(),
                               expected_images(trainers[0], [2, 1, 0], noise), atol=1e-5)


def test_call_shapes_ranges_and_seeds(generator):
    labels = np.array([0, 1, 2, 2, 1], "int32")
    fresh = [generator(labels).numpy() for _ in range(2)]
    seeded = [generator(labels, seed=5).numpy() for _ in range(2)]
    for images in fresh + seeded:
        assert images.shape == (5, *IMAGE_SHAPE) and images.dtype == np.float32
        assert images.min() >= 0.0 and images.max() <= 1.0
    assert not np.array_equal(fresh[0], fresh[1]), "no seed must draw fresh noise"
    np.testing.assert_array_equal(seeded[0], seeded[1])
    assert not np.array_equal(seeded[0], generator(labels, seed=6).numpy())
    by_noise = generator(labels, noise=generator.noise(5, seed=5)).numpy()
    np.testing.assert_array_equal(seeded[0], by_noise)
    # A column vector of labels and other int dtypes are accepted.
    np.testing.assert_array_equal(generator(labels[:, None].astype("int64"), seed=5), seeded[0])
    assert generator(np.zeros([0], "int32"), seed=1).shape == (0, *IMAGE_SHAPE)
    assert generator([], seed=1).shape == (0, *IMAGE_SHAPE)  # no dtype: taken as int


def test_serving_noise_is_not_fixed_by_a_global_seed(base_dir):
    # The exports were made after keras.utils.set_random_seed (in tiny_trainer). Random
    # ops traced then would carry fixed seeds: every process serving the export would draw
    # the same noise. The serving ops must keep seed = seed2 = 0 (seeded per process).
    signature = tf.saved_model.load(os.path.join(base_dir, "1")).signatures["serving_default"]
    graph = signature.graph.as_graph_def()
    nodes = [*graph.node, *(n for f in graph.library.function for n in f.node_def)]
    random_ops = [n for n in nodes if n.op in ("RandomStandardNormal", "RandomUniform")]
    assert random_ops, "serving_default draws no noise"
    for node in random_ops:
        assert (node.attr["seed"].i, node.attr["seed2"].i) == (0, 0), node


def test_call_in_tf_data_graph(generator):
    labels = tf.data.Dataset.from_tensor_slices(np.array([0, 1, 2, 0], "int32")).batch(2)
    batches = list(labels.map(lambda batch: generator(batch, seed=3)))
    eager = generator(np.array([0, 1], "int32"), seed=3).numpy()
    assert [b.shape for b in batches] == [(2, *IMAGE_SHAPE)] * 2
    np.testing.assert_array_equal(batches[0].numpy(), eager)
    bad = tf.data.Dataset.from_tensor_slices(np.array([0, 7], "int32")).batch(2)
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"labels must be class ids"):
        list(bad.map(lambda batch: generator(batch, seed=3)))


@pytest.mark.parametrize("distribution", ["normal", "uniform"])
def test_serving_noise_follows_the_noise_distribution(tmp_path, distribution):
    # The identity generator's images are (noise + 1) / 2 clipped to [0, 1].
    path = savedmodels.export(identity_generator(), str(tmp_path), num_classes=2,
                              noise_distribution=distribution)
    generator = savedmodels.load(path)
    assert generator.noise_distribution == distribution
    images = generator(np.zeros(2000, "int32")).numpy()
    seeded = generator.noise(2000, seed=0).numpy()
    if distribution == "uniform":  # U[0, 1) -> [0.5, 1)
        assert images.min() >= 0.5 and images.max() < 1.0
        assert 0.74 < images.mean() < 0.76
        assert seeded.min() >= 0.0 and seeded.max() < 1.0
    else:  # N(0, 1): half below 0.5, ~16% clipped to each end
        assert 0.45 < np.mean(images < 0.5) < 0.55
        assert 0.12 < np.mean(images == 0.0) < 0.20
        assert seeded.min() < -1.0 and abs(seeded.mean()) < 0.1
    noise = np.array([[-0.5, 0.0, 0.5, 0.25]], "float32")
    np.testing.assert_allclose(generator([1], noise=noise).numpy().ravel(), (noise.ravel() + 1) / 2)


@pytest.mark.parametrize(
    "call,error,message",
    [
        (lambda g: g([0, 3]), ValueError, r"labels must be class ids in \[0, 3\) .*from 0 to 3"),
        (lambda g: g([-1, 0]), ValueError, r"labels must be class ids in \[0, 3\)"),
        (lambda g: g([0.0, 1.0]), ValueError, r"labels must be int class ids; got dtype float32"),
        (lambda g: g([[0, 1], [1, 2]]), ValueError, r"labels must be a vector .* \(2, 2\)"),
        (lambda g: g([0, 1], noise=np.zeros((2, 5))), ValueError,
         r"noise must have shape \(len\(labels\), noise_dim\) = \(2, 8\); got \(2, 5\)"),
        (lambda g: g([0, 1], noise=np.zeros((3, 8))), ValueError, r"noise must have shape"),
        (lambda g: g([0, 1], seed=1.5), ValueError, r"seed must be an int or None"),
        (lambda g: g.signatures["generate"](labels=tf.constant([0, 5]),
                                            noise=tf.zeros([2, NOISE_DIM])),
         tf.errors.InvalidArgumentError, RANGE_MESSAGE.replace("[", r"\[").replace(")", r"\)")),
        (lambda g: g.signatures["serving_default"](labels=tf.constant([-2])),
         tf.errors.InvalidArgumentError, r"labels must be class ids in \[0, 3\)"),
        (lambda g: g.signatures["generate"](labels=tf.constant([0, 1]),
                                            noise=tf.zeros([3, NOISE_DIM])),
         tf.errors.InvalidArgumentError, r"noise must have one row per label"),
    ],
)
def test_bad_calls_name_the_argument(generator, call, error, message):
    with pytest.raises(error, match=message):
        call(generator)


def test_missing_path(tmp_path):
    missing = str(tmp_path / "nowhere")
    with pytest.raises(FileNotFoundError, match=f"export path does not exist: '{missing}'"):
        savedmodels.load(missing)


def test_file_is_not_an_export(tmp_path):
    path = tmp_path / "model.h5"
    path.write_text("x")
    with pytest.raises(ValueError, match=f"export path '{path}' is a file"):
        savedmodels.load(str(path))


def test_base_dir_without_versions(tmp_path):
    (tmp_path / "notes").mkdir()
    (tmp_path / ".tmp-3-abcdef").mkdir()  # an export killed before its rename
    with pytest.raises(FileNotFoundError, match=rf"'{tmp_path}' is not a tfgenaug export: "
                                                r"it holds neither a saved_model.pb nor a numeric"):
        savedmodels.load(str(tmp_path))
    assert "train run" not in str(raised(tmp_path))
    (tmp_path / "config.json").write_text("{}")  # a train run's model_dir, taken for an export
    assert str(raised(tmp_path)).endswith(
        f"; it is a train run: export it first with `python -m tfgenaug.bin.export "
        f"--model_dir={tmp_path} --export_dir=<dir>` (or tfgenaug.runs.export_from_model_dir)")


def raised(path) -> Exception:
    with pytest.raises(FileNotFoundError) as error:
        savedmodels.load(str(path))
    return error.value


def test_plain_saved_model_is_not_a_tfgenaug_export(tmp_path):
    module = tf.Module()
    module.f = tf.function(lambda x: x + 1, input_signature=[tf.TensorSpec([], tf.float32)])
    tf.saved_model.save(module, str(tmp_path))
    with pytest.raises(ValueError, match=rf"'{tmp_path}' is not a tfgenaug export: "
                                         r"assets/tfgenaug.json is missing"):
        savedmodels.load(str(tmp_path))


def test_export_without_signatures_is_refused(base_dir, tmp_path):
    copy = copy_version(base_dir, tmp_path)
    module = tf.Module()
    module.f = tf.function(lambda x: x + 1, input_signature=[tf.TensorSpec([], tf.float32)])
    tf.saved_model.save(module, str(tmp_path / "plain"))
    shutil.copy(tmp_path / "plain" / "saved_model.pb", os.path.join(copy, "saved_model.pb"))
    shutil.rmtree(os.path.join(copy, "variables"))
    shutil.copytree(tmp_path / "plain" / "variables", os.path.join(copy, "variables"))
    with pytest.raises(ValueError, match=rf"'{copy}' is not a tfgenaug export: it lacks the "
                                         r"signatures \['generate'\]"):
        savedmodels.load(copy)


@pytest.mark.parametrize(
    "damage,message",
    [
        ("remove saved_model.pb", r"is a partial or corrupt export: saved_model.pb is missing"),
        ("garble saved_model.pb", r"is a partial or corrupt export: tf.saved_model.load failed"),
        ("truncate variables", r"is a partial or corrupt export: tf.saved_model.load failed"),
        ("remove variables", r"is a partial or corrupt export: tf.saved_model.load failed"),
        ("garble metadata", r"tfgenaug.json' is corrupt: not valid JSON"),
        ("strip metadata", r"tfgenaug.json' is corrupt: it lacks the keys \['noise_dim'\]"),
        ("foreign metadata", r"tfgenaug.json' is not tfgenaug metadata"),
    ],
)
def test_partial_or_corrupt_version_is_named(base_dir, tmp_path, damage, message):
    copy = copy_version(base_dir, tmp_path)
    pb = os.path.join(copy, "saved_model.pb")
    meta = os.path.join(copy, "assets", "tfgenaug.json")
    if damage == "remove saved_model.pb":
        os.remove(pb)
    elif damage == "garble saved_model.pb":
        with open(pb, "r+b") as f:
            f.truncate(os.path.getsize(pb) // 3)
    elif damage == "truncate variables":
        data = [n for n in os.listdir(os.path.join(copy, "variables")) if "data" in n][0]
        with open(os.path.join(copy, "variables", data), "r+b") as f:
            f.truncate(16)
    elif damage == "remove variables":
        shutil.rmtree(os.path.join(copy, "variables"))
    elif damage == "garble metadata":
        with open(meta, "a") as f:
            f.write("}{")
    elif damage == "strip metadata":
        with open(meta) as f:
            text = f.read().replace('"noise_dim"', '"noise_size"')
        with open(meta, "w") as f:
            f.write(text)
    elif damage == "foreign metadata":
        with open(meta, "w") as f:
            f.write('{"num_classes": 3}')
    with pytest.raises(ValueError, match=message) as raised:
        savedmodels.load(copy)
    assert copy in str(raised.value)


def test_newer_format_version_is_refused_asking_for_an_upgrade(base_dir, tmp_path):
    copy = copy_version(base_dir, tmp_path)
    meta = os.path.join(copy, "assets", "tfgenaug.json")
    with open(meta) as f:
        metadata = json.load(f)
    assert metadata["format_version"] == 1
    with open(meta, "w") as f:
        json.dump({**metadata, "format_version": 2}, f)
    with pytest.raises(ValueError, match=rf"'{meta}' has format_version 2; this tfgenaug "
                                         r"reads up to 1: upgrade tfgenaug$"):
        savedmodels.load(copy)


def test_base_dir_skips_an_incomplete_newest_version(base_dir, tmp_path):
    base = str(tmp_path / "base")
    shutil.copytree(os.path.join(base_dir, "1"), os.path.join(base, "1"))
    shutil.copytree(os.path.join(base_dir, "2"), os.path.join(base, "2"))
    os.remove(os.path.join(base, "2", "saved_model.pb"))  # e.g. still being copied
    assert savedmodels.load(base).metadata["tag"] == 1
    os.remove(os.path.join(base, "1", "assets", "tfgenaug.json"))
    with pytest.raises(ValueError, match=rf"no complete version in '{base}': versions \[1, 2\]"):
        savedmodels.load(base)
