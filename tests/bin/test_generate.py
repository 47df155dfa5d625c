"""The generate binary: PNG grids and .npz files from an export, and flag errors."""

import os
import sys

import numpy as np
import pytest
import tensorflow as tf

from tests import launch
from tests.bin.usage import assert_usage_errors
from tests.savedmodels.test_export import tiny_trainer
from tfgenaug import callbacks
from tfgenaug import data
from tfgenaug import savedmodels


def run_generate(*flags, timeout=180):
    return launch.run([sys.executable, "-m", "tfgenaug.bin.generate", *flags], timeout=timeout)


@pytest.fixture(scope="module")
def export_dir(tmp_path_factory) -> str:
    base = str(tmp_path_factory.mktemp("exports"))
    savedmodels.export(tiny_trainer(seed=3), base, class_names=["a", "b", "c"])
    return base


def test_png_npz_and_folder_with_a_seed(export_dir, tmp_path):
    png, npz = str(tmp_path / "grid.png"), str(tmp_path / "deep" / "samples.npz")
    folder = str(tmp_path / "generated") + "/"
    result = run_generate(f"--export_dir={export_dir}", "--per_class=2",
                          f"--out={png},{npz},{folder}", "--seed=3", "--bit_depth=16")
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.split() == [png, npz, folder]

    samples = np.load(npz)
    labels = np.array([0, 0, 1, 1, 2, 2], "int32")
    np.testing.assert_array_equal(samples["labels"], labels)
    assert list(samples["class_names"]) == ["a", "b", "c"]
    images = samples["images"]
    assert images.shape == (6, 8, 8, 1) and images.dtype == np.float32
    assert images.min() >= 0.0 and images.max() <= 1.0
    # The seed means the same noise in any process: the same images.
    np.testing.assert_allclose(images, savedmodels.load(export_dir)(labels, seed=3).numpy(),
                               atol=1e-6)

    # One row per class, two columns, each 8 px cell magnified 4x to 32 px.
    grid = tf.io.decode_png(tf.io.read_file(png)).numpy()
    expected = callbacks.image_grid(images, rows=3, cols=2, value_range=(0, 1))
    assert expected.shape == (28, 19, 1)
    np.testing.assert_array_equal(grid, np.repeat(np.repeat(expected, 4, axis=0), 4, axis=1))

    # One 16-bit PNG per image at the native size, one sub-folder per class: read back as
    # data at that depth (the grid stays 8-bit).
    assert sorted(os.listdir(folder)) == ["a", "b", "c"]
    first = tf.io.read_file(os.path.join(folder, "a", "00000.png"))
    assert tf.io.decode_png(first, dtype=tf.uint16).dtype == tf.uint16
    assert first.numpy()[24] == 16  # the PNG header's bit depth
    train, _, info = data.from_directory(folder, test_fraction=0.01)
    assert info.image_shape == (8, 8, 1) and info.train_counts == (2, 2, 2)
    read = sorted(np.round(image, 4).tobytes() for image, _ in train.as_numpy_iterator())
    quantized = (np.rint(images * 65535.0) / 32767.5 - 1.0).astype("float32")
    assert read == sorted(np.round(image, 4).tobytes() for image in quantized)


def test_truncation_draws_the_loader_s_truncated_noise(export_dir, tmp_path):
    npz = str(tmp_path / "t.npz")
    result = run_generate(f"--export_dir={export_dir}", "--per_class=2", f"--out={npz}",
                          "--seed=3", "--truncation=0.5")
    assert result.returncode == 0, result.stderr[-3000:]
    labels = np.array([0, 0, 1, 1, 2, 2], "int32")
    loaded = savedmodels.load(export_dir)
    np.testing.assert_allclose(np.load(npz)["images"],
                               loaded(labels, seed=3, truncation=0.5).numpy(), atol=1e-6)
    assert not np.allclose(np.load(npz)["images"], loaded(labels, seed=3).numpy(), atol=1e-6)


def test_truncation_of_a_uniform_noise_export_names_the_flag(tmp_path):
    base = str(tmp_path / "exports")
    savedmodels.export(tiny_trainer(seed=4, noise_distribution="uniform"), base)
    result = run_generate(f"--export_dir={base}", f"--out={tmp_path / 'a.png'}",
                          "--truncation=0.5")
    assert result.returncode != 0
    assert "--truncation=0.5: " in result.stderr and "uniform" in result.stderr


def test_bad_flags_name_the_flag(export_dir, tmp_path, tmp_path_factory):
    out = str(tmp_path / "a.png")
    run_dir = tmp_path_factory.mktemp("run")  # what a user may take for an export
    (run_dir / "config.json").write_text("{}")
    cases = [
        (["--out=a.png"], "--export_dir is required"),
        (["--export_dir=x"], "--out is required"),
        (["--export_dir=x", "--out=a.jpg"], "--out must name files ending in .png or .npz, "
                                            "or a folder ending in /; "
                                            "got 'a.jpg'"),
        (["--export_dir=x", "--out=a.png,b.txt"], "got 'b.txt'"),
        (["--export_dir=x", "--out=a.png", "--per_class=0"], "--per_class must be >= 1; got 0"),
        (["--export_dir=x", "--out=a.png", "--upscale=-2"], "--upscale must be >= 0"),
        (["--export_dir=x", "--out=a.npz,d/", "--upscale=2"],
         "--upscale applies to a .png grid in --out, which has none; got --out=a.npz,d/"),
        (["--export_dir=x", "--out=a.png", "--bit_depth=16"],
         "--bit_depth applies to a <dir>/ folder in --out, which has none"),
        (["--export_dir=x", "--out=d/", "--bit_depth=12"], "flag --bit_depth=12"),
        (["--export_dir=x", "--out=a.png", "--truncation=0"],
         "--truncation must be a number > 0; got 0.0"),
        ([f"--export_dir={tmp_path}", f"--out={out}"],
         f"--export_dir={tmp_path}: '{tmp_path}' is not a tfgenaug export"),
        ([f"--export_dir={run_dir}", f"--out={out}"],
         f"it is a train run: export it first with `python -m tfgenaug.bin.export "
         f"--model_dir={run_dir} --export_dir=<dir>`"),
        ([f"--export_dir={tmp_path}/none", f"--out={out}"],
         f"--export_dir={tmp_path}/none: export path does not exist"),
        ([f"--export_dir={export_dir}", "--out=a.png", "x"], "Unexpected arguments: ['x']"),
        (["--export_dir=x", "--out=a.png", "--seed=one"], "flag --seed=one"),
    ]
    assert_usage_errors("tfgenaug.bin.generate", cases)
    assert os.listdir(tmp_path) == []
