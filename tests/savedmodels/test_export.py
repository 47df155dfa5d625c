"""Tests of tfgenaug.savedmodels.export: layout, versions, signatures, metadata, atomicity."""

import json
import os
import re
import signal
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest
import tensorflow as tf

import tfgenaug
from tests import launch
from tfgenaug import savedmodels
from tfgenaug.trainers import WGANGP

NUM_CLASSES = 3
NOISE_DIM = 8
IMAGE_SHAPE = (8, 8, 1)
CLASS_NAMES = ["zero", "one", "two"]
RANGE_MESSAGE = "labels must be class ids in [0, 3)"


def tiny_trainer(seed: int = 0, **kwargs) -> WGANGP:
    """An untrained tiny WGAN-GP (8x8x1, 3 classes, Z=8) whose weights depend on `seed`."""
    keras.utils.set_random_seed(seed)
    return WGANGP(image_shape=IMAGE_SHAPE, num_classes=NUM_CLASSES, noise_dim=NOISE_DIM,
                  width=4, seed=seed, **kwargs)


def identity_generator(noise_dim: int = 4) -> keras.Model:
    """A bare generator whose "images" are the noise itself, reshaped to (2, 2, 1)."""
    noise = keras.Input((noise_dim,), name="noise")
    labels = keras.Input((), dtype="int32", name="labels")
    images = keras.layers.Reshape((2, 2, noise_dim // 4))(noise)
    return keras.Model([noise, labels], images, name="identity")


def fixed_noise(batch: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(batch, NOISE_DIM)).astype("float32")


def expected_images(trainer, labels, noise) -> np.ndarray:
    """The in-process generator output mapped from [-1, 1] to [0, 1]."""
    images = trainer.generator([noise, np.asarray(labels, "int32")], training=False)
    return (np.asarray(images) + 1.0) / 2.0


@pytest.fixture(scope="module")
def trainer() -> WGANGP:
    return tiny_trainer()


def entries(base_dir) -> list[str]:
    return sorted(os.listdir(base_dir))


def test_export_twice_writes_versions_1_and_2(trainer, tmp_path):
    base = str(tmp_path / "exports")
    first = savedmodels.export(trainer, base)
    second = savedmodels.export(trainer, base)
    assert first == os.path.join(base, "1")
    assert second == os.path.join(base, "2")
    assert entries(base) == ["1", "2"], "no temporary directory may remain"
    assert savedmodels.list_versions(base) == [1, 2]
    for path in (first, second):
        for name in ("saved_model.pb", "variables/variables.index", "assets/tfgenaug.json"):
            assert os.path.exists(os.path.join(path, name)), name
        assert entries(path) == ["assets", "fingerprint.pb", "saved_model.pb", "variables"]
        assert entries(os.path.join(path, "assets")) == ["tfgenaug.json"]


def test_explicit_version_then_next_follows_the_largest(trainer, tmp_path):
    base = str(tmp_path)
    assert savedmodels.export(trainer, base, version=5) == os.path.join(base, "5")
    with pytest.raises(ValueError, match=r"version 5 already exists in"):
        savedmodels.export(trainer, base, version=5)
    assert savedmodels.export(trainer, base) == os.path.join(base, "6")
    assert savedmodels.export(trainer, base, version=0) == os.path.join(base, "0")
    assert entries(base) == ["0", "5", "6"]


@pytest.mark.parametrize("version", [-1, "2", 1.0, True])
def test_bad_version_is_rejected(trainer, tmp_path, version):
    with pytest.raises(ValueError, match=r"version must be a non-negative int or None"):
        savedmodels.export(trainer, str(tmp_path), version=version)
    assert entries(tmp_path) == []


def test_metadata_file(trainer, tmp_path):
    training_data = {"dataset": "digits", "train_counts": [5, 5, 5]}
    path = savedmodels.export(trainer, str(tmp_path), class_names=CLASS_NAMES,
                              metadata={"training_data": training_data})
    with open(os.path.join(path, "assets", "tfgenaug.json")) as f:
        metadata = json.load(f)
    assert metadata["format"] == "tfgenaug.generator"
    assert metadata["num_classes"] == NUM_CLASSES
    assert metadata["image_shape"] == list(IMAGE_SHAPE)
    assert metadata["noise_dim"] == NOISE_DIM
    assert metadata["noise_distribution"] == "normal"
    assert metadata["class_names"] == CLASS_NAMES
    assert metadata["value_range"] == [0.0, 1.0]
    assert metadata["trainer"] == "WGANGP"
    assert metadata["trainer_config"]["noise_dim"] == NOISE_DIM
    assert metadata["trainer_config"]["width"] == 4
    assert metadata["tfgenaug_version"] == tfgenaug.__version__
    assert metadata["training_data"] == training_data
    assert metadata["signatures"]["generate"]["inputs"] == {
        "labels": "int32 [None]", "noise": "float32 [None, 8]"}
    # The config in the metadata rebuilds the same trainer.
    rebuilt = WGANGP.from_config(metadata["trainer_config"])
    assert rebuilt.image_shape == IMAGE_SHAPE and rebuilt.noise_dim == NOISE_DIM


def test_default_class_names_are_the_class_ids(trainer, tmp_path):
    path = savedmodels.export(trainer, str(tmp_path))
    assert savedmodels.read_metadata(path)["class_names"] == ["0", "1", "2"]


def test_bare_generator_needs_num_classes(trainer, tmp_path):
    with pytest.raises(ValueError, match=r"num_classes is required to export a bare generator"):
        savedmodels.export(trainer.generator, str(tmp_path))
    assert entries(tmp_path) == []
    by_kwarg = savedmodels.export(trainer.generator, str(tmp_path), num_classes=NUM_CLASSES)
    by_metadata = savedmodels.export(trainer.generator, str(tmp_path),
                                     metadata={"num_classes": NUM_CLASSES})
    for path in (by_kwarg, by_metadata):
        metadata = savedmodels.read_metadata(path)
        assert metadata["num_classes"] == NUM_CLASSES
        assert metadata["noise_dim"] == NOISE_DIM
        assert metadata["image_shape"] == list(IMAGE_SHAPE)
        assert metadata["trainer"] is None
    noise = fixed_noise(3)
    images = savedmodels.load(by_kwarg)([0, 1, 2], noise=noise).numpy()
    np.testing.assert_allclose(images, expected_images(trainer, [0, 1, 2], noise), atol=1e-5)


@pytest.mark.parametrize(
    "kwargs,message",
    [
        ({"class_names": ["a", "b"]}, r"class_names must hold num_classes=3 names; got 2"),
        ({"metadata": {"format": "x"}}, r"metadata may not set \['format'\]"),
        ({"metadata": {"when": object()}}, r"metadata must be JSON-serialisable"),
        ({"metadata": ["a"]}, r"metadata must be a dict or None"),
        ({"num_classes": 4}, r"num_classes=4 disagrees with the trainer's num_classes=3"),
        ({"noise_distribution": "uniform"}, r"noise_distribution='uniform' disagrees"),
        ({"class_names": CLASS_NAMES, "metadata": {"class_names": ["a", "b", "c"]}},
         r"class_names is given twice with different values"),
    ],
)
def test_bad_arguments_are_named(trainer, tmp_path, kwargs, message):
    with pytest.raises(ValueError, match=message):
        savedmodels.export(trainer, str(tmp_path), **kwargs)
    assert entries(tmp_path) == []


def test_bad_generators_are_named(tmp_path):
    single = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    with pytest.raises(ValueError, match=r"trainer_or_generator must be a generator keras.Model"):
        savedmodels.export(single, str(tmp_path), num_classes=2)
    with pytest.raises(ValueError, match=r"trainer_or_generator must be a tfgenaug trainer"):
        savedmodels.export(lambda noise, labels: noise, str(tmp_path), num_classes=2)
    with pytest.raises(ValueError, match=r"noise_distribution must be one of"):
        savedmodels.export(identity_generator(), str(tmp_path), num_classes=2,
                           noise_distribution="laplace")
    assert entries(tmp_path) == []


def _signature_blocks(text: str) -> dict[str, str]:
    blocks = {}
    for chunk in text.split("signature_def['")[1:]:
        name, _, body = chunk.partition("']")
        blocks[name] = body.split("\n\n")[0]
    return blocks


def test_saved_model_cli_lists_both_signatures(trainer, tmp_path):
    cli = os.path.join(os.path.dirname(sys.executable), "saved_model_cli")
    if not os.path.exists(cli):
        pytest.skip(f"saved_model_cli is not installed next to {sys.executable}")
    path = savedmodels.export(trainer, str(tmp_path))
    result = subprocess.run([cli, "show", "--dir", path, "--all"], capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    blocks = _signature_blocks(result.stdout)
    assert {"serving_default", "generate"} <= set(blocks)

    def tensor(block, kind, name, dtype, shape):
        pattern = rf"{kind}\['{name}'\] tensor_info:\s+dtype: {dtype}\s+shape: \({shape}\)"
        assert re.search(pattern, block), (kind, name, block)

    for name in ("serving_default", "generate"):
        block = blocks[name]
        tensor(block, "inputs", "labels", "DT_INT32", "-1")
        tensor(block, "outputs", "images", "DT_FLOAT", "-1, 8, 8, 1")
        tensor(block, "outputs", "labels", "DT_INT32", "-1")
        assert "Method name is: tensorflow/serving/predict" in block
    tensor(blocks["generate"], "inputs", "noise", "DT_FLOAT", "-1, 8")
    assert "inputs['noise']" not in blocks["serving_default"]


PLAIN_TF_SCRIPT = textwrap.dedent("""
    import sys
    sys.modules["tfgenaug"] = None  # importing it now raises ImportError
    sys.modules["keras"] = None
    try:
        import tfgenaug  # noqa: F401
    except ImportError:
        print("TFGENAUG_IMPORT_FAILED")
    import numpy as np
    import tensorflow as tf

    export_dir, noise_file, out_file = sys.argv[1:]
    loaded = tf.saved_model.load(export_dir)
    noise = tf.constant(np.load(noise_file))
    labels = tf.constant([0, 1, 2, 1], tf.int32)
    generate = loaded.signatures["generate"]
    first = generate(labels=labels, noise=noise)
    second = generate(labels=labels, noise=noise)
    served = loaded.signatures["serving_default"](labels=labels)
    try:
        loaded.signatures["serving_default"](labels=tf.constant([0, 3]))
        error = ""
    except tf.errors.InvalidArgumentError as e:
        error = e.message
    metadata = open(loaded.metadata_file.asset_path.numpy().decode()).read()
    np.savez(out_file, first=first["images"].numpy(), second=second["images"].numpy(),
             first_labels=first["labels"].numpy(), served=served["images"].numpy(),
             served_labels=served["labels"].numpy(), error=error, metadata=metadata)
    assert sys.modules.get("tfgenaug") is None and sys.modules.get("keras") is None
    print("DONE")
""")


def test_fresh_interpreter_without_tfgenaug_loads_and_calls(trainer, tmp_path):
    path = savedmodels.export(trainer, str(tmp_path / "exports"))
    noise = fixed_noise(4, seed=1)
    np.save(tmp_path / "noise.npy", noise)
    out = tmp_path / "out.npz"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    result = subprocess.run(
        [sys.executable, "-I", "-c", PLAIN_TF_SCRIPT, path, str(tmp_path / "noise.npy"),
         str(out)],
        capture_output=True, text=True, timeout=120, cwd=str(tmp_path), env=env,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "TFGENAUG_IMPORT_FAILED" in result.stdout, "tfgenaug was importable in the subprocess"
    assert "DONE" in result.stdout
    got = np.load(out)
    assert got["first"].shape == (4, *IMAGE_SHAPE) and got["first"].dtype == np.float32
    assert got["served"].shape == (4, *IMAGE_SHAPE)
    for key in ("first", "served"):
        assert got[key].min() >= 0.0 and got[key].max() <= 1.0
    np.testing.assert_array_equal(got["first"], got["second"])
    np.testing.assert_array_equal(got["first_labels"], [0, 1, 2, 1])
    np.testing.assert_array_equal(got["served_labels"], [0, 1, 2, 1])
    np.testing.assert_allclose(got["first"], expected_images(trainer, [0, 1, 2, 1], noise),
                               atol=1e-5)
    assert RANGE_MESSAGE in str(got["error"])
    assert json.loads(str(got["metadata"]))["num_classes"] == NUM_CLASSES


def test_failed_save_leaves_only_complete_versions(trainer, tmp_path, monkeypatch):
    base = str(tmp_path)
    savedmodels.export(trainer, base, metadata={"tag": "complete"})
    real_save = tf.saved_model.save
    seen = []

    def save_then_crash(obj, export_dir, signatures=None, options=None):
        seen.append(export_dir)
        real_save(obj, export_dir, signatures=signatures, options=options)
        with open(os.path.join(export_dir, "variables", "variables.index"), "r+b") as f:
            f.truncate(10)  # half-written variables
        raise RuntimeError("disk full while saving")

    monkeypatch.setattr(tf.saved_model, "save", save_then_crash)
    with pytest.raises(RuntimeError, match="disk full"):
        savedmodels.export(trainer, base, metadata={"tag": "broken"})
    assert seen and os.path.basename(seen[0]).startswith(".tmp-2-")
    assert entries(base) == ["1"], "the partial export must be removed"
    loaded = savedmodels.load(base)
    assert loaded.path == os.path.join(base, "1")
    assert loaded.metadata["tag"] == "complete"


def test_failed_rename_leaves_nothing(trainer, tmp_path, monkeypatch):
    def rename_fails(src, dst, overwrite=False):
        raise tf.errors.PermissionDeniedError(None, None, "read-only file system")

    monkeypatch.setattr(tf.io.gfile, "rename", rename_fails)
    with pytest.raises(tf.errors.PermissionDeniedError):
        savedmodels.export(trainer, str(tmp_path))
    assert entries(tmp_path) == []


KILLED_EXPORT_SCRIPT = textwrap.dedent("""
    import os, signal, sys
    import tensorflow as tf
    from tfgenaug import savedmodels
    from tests.savedmodels.test_export import tiny_trainer

    real_save = tf.saved_model.save

    def save_then_die(obj, export_dir, signatures=None, options=None):
        real_save(obj, export_dir, signatures=signatures, options=options)
        os.remove(os.path.join(export_dir, "saved_model.pb"))  # as if killed mid-write
        os.kill(os.getpid(), signal.SIGKILL)

    tf.saved_model.save = save_then_die
    savedmodels.export(tiny_trainer(), sys.argv[1], metadata={"tag": "killed"})
""")


def test_sigkilled_export_leaves_only_complete_versions(trainer, tmp_path):
    base = str(tmp_path / "exports")
    savedmodels.export(trainer, base, metadata={"tag": "complete"})
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    result = launch.run([sys.executable, "-c", KILLED_EXPORT_SCRIPT, base], timeout=120,
                        cwd=repo)
    assert result.returncode == -signal.SIGKILL, result.stderr[-3000:]
    leftovers = [name for name in entries(base) if name.startswith(".tmp-2-")]
    assert len(leftovers) == 1, entries(base)
    assert os.path.exists(os.path.join(base, leftovers[0], "variables"))
    assert savedmodels.list_versions(base) == [1]
    loaded = savedmodels.load(base)
    assert loaded.path == os.path.join(base, "1")
    assert loaded.metadata["tag"] == "complete"
    # The leftover blocks nothing: the next export is version 2 and loads.
    assert savedmodels.export(trainer, base) == os.path.join(base, "2")
    assert savedmodels.load(base).path == os.path.join(base, "2")
