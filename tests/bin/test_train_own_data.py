"""The train binary on a user's own data: `--dataset=folder:<dir>` and `--dataset=npz:<file>`.

28x28 grayscale PNGs in class sub-folders (a size that is not a power of two), a few
steps, then the export is generated from into a folder and read back.
"""

import json
import os
import sys

import numpy as np
import tensorflow as tf

from tests import launch
from tfgenaug import data

TINY = ["--width=4", "--critic_width=4", "--noise_dim=8", "--batch_size=8", "--judge_epochs=0",
        "--steps=2", "--checkpoint_every=2", "--nojit_compile"]
CLASSES = ("bolt", "nut", "washer")


def run(module, *flags):
    result = launch.run([sys.executable, "-m", module, *flags], timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def write_folder(root, per_class=6, shape=(28, 28, 1)):
    rng = np.random.default_rng(0)
    for class_name in CLASSES:
        os.makedirs(root / class_name)
        for i in range(per_class):
            pixels = rng.integers(0, 256, shape, dtype=np.uint8)
            tf.io.write_file(str(root / class_name / f"{i}.png"), tf.io.encode_png(pixels))
    return root


def test_folder_dataset_trains_exports_and_generates_a_folder_at_its_native_28x28(tmp_path):
    folder = write_folder(tmp_path / "parts")
    model_dir, export_dir = tmp_path / "run", tmp_path / "exports"
    run("tfgenaug.bin.train", f"--dataset=folder:{folder}", *TINY,  # --image_size=auto: native
        f"--model_dir={model_dir}", f"--export_dir={export_dir}")
    config = json.loads((model_dir / "config.json").read_text())
    assert config["train_config"]["dataset"] == f"folder:{folder}"
    assert config["dataset"]["image_shape"] == [28, 28, 1]  # "auto": native for folders
    assert os.path.exists(model_dir / "samples.png")

    generated = str(tmp_path / "generated") + "/"
    run("tfgenaug.bin.generate", f"--export_dir={export_dir}", "--per_class=3",
        f"--out={generated}")
    train, _, info = data.from_directory(generated, test_fraction=0.01)
    assert info.class_names == list(CLASSES) and info.image_shape == (28, 28, 1)
    assert info.train_counts == (3, 3, 3)


def test_npz_dataset_trains(tmp_path):
    rng = np.random.default_rng(1)
    path = tmp_path / "cells.npz"
    np.savez(path, images=rng.integers(0, 256, (18, 12, 20), dtype=np.uint8),
             labels=np.arange(18) % 3)
    model_dir = tmp_path / "run"
    run("tfgenaug.bin.train", f"--dataset=npz:{path}", "--image_size=24x16", *TINY,
        f"--model_dir={model_dir}")
    config = json.loads((model_dir / "config.json").read_text())
    assert config["train_config"]["dataset"] == f"npz:{path}"
    assert config["dataset"]["image_shape"] == [24, 16, 1]  # --image_size=HEIGHTxWIDTH
