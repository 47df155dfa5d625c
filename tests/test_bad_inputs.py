"""A catalogue of bad inputs: each fails at once, naming the argument and its expected form.

Across data, trainers, layers, savedmodels and the binaries. Every case asserts the error
type and message, and (where work could start) that none did: no optimizer step, no file.
"""

import os

import numpy as np
import pytest
import tensorflow as tf

from tests.bin import usage
from tests.trainers.conftest import IMAGE_SHAPE
from tests.trainers.conftest import NUM_CLASSES
from tests.trainers.conftest import TINY
from tfgenaug import data
from tfgenaug import experiment
from tfgenaug import savedmodels
from tfgenaug import trainers
from tfgenaug.layers import GANAugment
from tfgenaug.layers import SameClassMix
from tfgenaug.trainers import WGANGP

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="module")
def digits():
    train, _, info = data.load("digits", image_size=8)
    return train, info


@pytest.fixture(scope="module")
def trainer():
    trainer = WGANGP(IMAGE_SHAPE, NUM_CLASSES, **TINY)
    trainer.compile(jit_compile=False)
    return trainer


@pytest.fixture(scope="module")
def export_dir(trainer, tmp_path_factory):
    return savedmodels.export(trainer, str(tmp_path_factory.mktemp("exports")))


def images(n=8, shape=IMAGE_SHAPE, value=0.0):
    return np.full((n, *shape), value, "float32")


def labels(*values):
    return np.asarray(values, "int32")


# ----------------------------------------------------------------------- data
@pytest.mark.parametrize("call,message", [
    (lambda: data.load("digits", image_size=12),
     r"image_size must be a power of two between 8 and 64 \(8, 16, 32 or 64\).*got 12"),
    (lambda: data.load("no_such_dataset_xyz"),
     r"name must be 'digits' .* or the name of any TensorFlow Datasets builder"),
    (lambda: data.load("digits", test_fraction=1.5),
     r"test_fraction must be a number in \(0, 1\); got 1.5"),
    (lambda: data.to_model_range(images(), (255, 0)),
     r"value_range must be \(low, high\) with low < high; got \(255, 0\)"),
])
def test_data_arguments(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_count_larger_than_the_smallest_class(digits):
    with pytest.raises(ValueError, match=r"count=1000 is larger than the smallest class "
                                         r"\(class \d+ has \d+ images\)"):
        data.few_shot(digits[0], 1000)


def test_empty_dataset():
    empty = tf.data.Dataset.from_tensor_slices((images(0), labels()))
    with pytest.raises(ValueError, match=r"ds has no images; few_shot needs at least `count`"):
        data.few_shot(empty, 1)


def test_batched_dataset_where_unbatched_pairs_are_expected(digits):
    with pytest.raises(ValueError, match=r"ds must yield unbatched \(image \[H, W, C\], label "
                                         r"scalar\) pairs.*call ds.unbatch\(\)"):
        data.few_shot(digits[0].batch(4), 2)


def test_label_outside_num_classes():
    ds = tf.data.Dataset.from_tensor_slices((images(2), labels(1, 12)))
    with pytest.raises(ValueError, match=r"ds has label 12, outside \[0, num_classes\) = "
                                         r"\[0, 10\)"):
        data.class_counts(ds, 10)


def test_imbalance_ratio_out_of_range(digits):
    with pytest.raises(ValueError, match=r"ratio must be a number in \(0, 1\]; got 2"):
        data.imbalance(digits[0], [0], ratio=2)


# ----------------------------------------------------------------------- trainers
@pytest.mark.parametrize("x,y,message", [
    (images(8, (8, 8)), labels(*[0] * 8),
     r"images must be a batch of shape \(batch, 8, 8, 1\) \(rank 4, NHWC\); got shape \(8, 8, 8\)"),
    (images(8, (16, 16, 1)), labels(*[0] * 8),
     r"images must have shape \(batch, 8, 8, 1\) to match the generator; got \(8, 16, 16, 1\)"),
    (images(8), np.zeros((8, 3), "int32"),
     r"labels must be a vector of int class ids of shape \(batch,\); got shape \(8, 3\)"),
    (images(4), labels(0, 1, 2, 3),
     r"labels must be class ids in \[0, 3\) \(num_classes=3\); got values from 0 to 3"),
    (images(4), labels(0, -1, 2, 1),
     r"labels must be class ids in \[0, 3\) \(num_classes=3\); got values from -1 to 2"),
])
def test_fit_rejects_bad_arrays_before_a_step(trainer, x, y, message):
    with pytest.raises(ValueError, match=message):
        trainer.fit(x, y, batch_size=4, epochs=1, verbose=0)
    assert int(trainer.g_optimizer.iterations) == 0


def bad_label_dataset():
    return tf.data.Dataset.from_tensor_slices((images(8), labels(0, 1, 2, 5, 0, 1, 2, 0))).batch(8)


def test_fit_rejects_out_of_range_labels_in_a_dataset():
    trainer = WGANGP(IMAGE_SHAPE, NUM_CLASSES, **TINY)
    trainer.compile(jit_compile=False)
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"labels must be class ids in "
                                                             r"\[0, 3\) \(num_classes\)"):
        trainer.fit(bad_label_dataset(), epochs=1, verbose=0)


def test_fit_rejects_out_of_range_labels_in_a_dataset_before_a_step():
    # Once the step counters moved (no data dependency) though the weights did not.
    trainer = WGANGP(IMAGE_SHAPE, NUM_CLASSES, **TINY)
    trainer.compile(jit_compile=False)
    before = [w.numpy().copy() for w in trainer.trainable_weights]
    with pytest.raises(tf.errors.InvalidArgumentError):
        trainer.fit(bad_label_dataset(), epochs=1, verbose=0)
    assert int(trainer.g_optimizer.iterations) == 0
    assert int(trainer.d_optimizer.iterations) == 0
    for old, new in zip(before, trainer.trainable_weights, strict=True):
        np.testing.assert_array_equal(old, new.numpy())


def test_fit_rejects_nan_images_in_a_dataset_before_a_step(trainer):
    x = images(8)
    x[3, 2, 2, 0] = np.inf
    dataset = tf.data.Dataset.from_tensor_slices((x, labels(*[0] * 8))).batch(8)
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"images must be finite"):
        trainer.fit(dataset, epochs=1, verbose=0)
    assert int(trainer.g_optimizer.iterations) == 0


def test_fit_rejects_nan_images_before_a_step(trainer):
    x = images(8)
    x[3, 2, 2, 0] = np.nan
    with pytest.raises(ValueError, match=r"images must be finite"):
        trainer.fit(x, labels(*[0] * 8), batch_size=8, epochs=1, verbose=0)
    assert int(trainer.g_optimizer.iterations) == 0


@pytest.mark.parametrize("call,message", [
    (lambda: trainers.get("vae"), r"trainer must be one of \['dada', 'dcgan', 'wgan_gp'\]; "
                                  r"got 'vae'"),
    (lambda: WGANGP(IMAGE_SHAPE, NUM_CLASSES, n_critic=0, **TINY),
     r"n_critic must be a positive integer; got 0"),
    (lambda: WGANGP((12, 12, 1), NUM_CLASSES, **TINY),
     r"image_shape must be square with a side that is a power of two in 8..64"),
    (lambda: experiment.TrainConfig(strategy="horovod").validate(),
     r"strategy must be one of \('default', 'mirrored', 'multi_worker', 'tpu'\); got 'horovod'"),
    (lambda: experiment.TrainConfig(deterministic="yes").validate(),
     r"deterministic must be True or False; got 'yes'"),
])
def test_trainer_arguments(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_sample_labels_outside_num_classes(trainer):
    with pytest.raises(ValueError, match=r"labels must be class ids in \[0, 3\)"):
        trainer.sample([0, 3])


# ----------------------------------------------------------------------- layers
@pytest.mark.parametrize("batch,message", [
    ((images(4, (8, 8)), labels(0, 1, 2, 0)), r"images must have rank 4"),
    ((images(4, (16, 16, 1)), labels(0, 1, 2, 0)), r"images have shape .*\(16, 16, 1\).*"
                                                    r"generator makes images of shape \(8, 8, 1\)"),
    ((images(4), np.zeros((4, 5), "float32")), r"one-hot labels must have width num_classes=3"),
    ({"images": images(4), "targets": labels(0, 1, 2, 0)},
     r"dict with exactly the keys 'images' and 'labels'"),
])
def test_gan_augment_rejects_bad_batches(trainer, batch, message):
    layer = GANAugment(trainer, value_range=(-1, 1), seed=0)
    with pytest.raises(ValueError, match=message):
        layer(batch)


@pytest.mark.parametrize("kwargs,message", [
    ({"generator": "/no/such/export"}, r"/no/such/export"),
    ({"rate": 1.5}, r"rate must be a number in \[0, 1\]; got 1.5"),
    ({"class_probs": [0.5, 0.5]}, r"class_probs"),
    ({"class_probs": "balanced"}, r"class_counts"),
])
def test_gan_augment_arguments(trainer, kwargs, message):
    kwargs = {"generator": trainer, **kwargs}
    with pytest.raises(ValueError, match=message):
        GANAugment(**kwargs)


def test_same_class_mix_arguments():
    with pytest.raises(ValueError, match=r"value_range must be \(low, high\) with low < high"):
        SameClassMix(value_range=(1, 0))
    with pytest.raises(ValueError, match=r"alpha must be None or a finite number > 0; got -1"):
        SameClassMix(alpha=-1)


def test_gan_augment_rejects_images_outside_value_range(trainer):
    layer = GANAugment(trainer, value_range=(0, 1), seed=0)
    with pytest.raises((ValueError, tf.errors.InvalidArgumentError), match=r"value_range"):
        layer((images(4, value=200.0), labels(0, 1, 2, 0)))


# ----------------------------------------------------------------------- savedmodels
def test_load_missing_path(tmp_path):
    path = str(tmp_path / "nothing")
    with pytest.raises(FileNotFoundError, match=rf"export path does not exist: '{path}'"):
        savedmodels.load(path)


@pytest.mark.parametrize("call,message", [
    (lambda g: g([0, 3]), r"labels must be class ids in \[0, 3\) \(num_classes=3\)"),
    (lambda g: g([0.5]), r"labels must be int class ids; got dtype float32"),
    (lambda g: g([0, 1], noise=np.zeros((2, 5), "float32")),
     r"noise must have shape \(len\(labels\), noise_dim\) = \(2, 8\); got \(2, 5\)"),
    (lambda g: g([0], seed=1.5), r"seed must be an int or None; got 1.5"),
])
def test_loaded_generator_calls(export_dir, call, message):
    with pytest.raises(ValueError, match=message):
        call(savedmodels.load(export_dir))


def test_export_version_and_existing_version(trainer, export_dir):
    base = os.path.dirname(export_dir)
    with pytest.raises(ValueError, match=r"version must be a non-negative int or None; got -1"):
        savedmodels.export(trainer, base, version=-1)
    with pytest.raises(ValueError, match=rf"version 1 already exists in '{base}'"):
        savedmodels.export(trainer, base, version=1)


# ----------------------------------------------------------------------- binaries
# Each binary's flag parsing and main() run on several bad command lines in one process
# (absl flags of different binaries clash in one process, so one process per binary).
BINARY_CASES = {
    "tfgenaug.bin.train": [
        (["--count=-1"], "--count must be an integer >= 0 (0 = all images); got -1"),
        (["--minority_classes=a,b"], "--minority_classes must be comma-separated class ids"),
        (["--checkpoint_every=0"], "--checkpoint_every must be a positive integer; got 0"),
        (["--image_size=12"], "image_size must be a power of two between 8 and 64"),
    ],
    "tfgenaug.bin.export": [
        ([], "--model_dir is required: the output directory of tfgenaug.bin.train"),
        (["--model_dir={tmp}/no_run", "--export_dir={tmp}/e"],
         "--model_dir={tmp}/no_run is not a directory"),
        (["--model_dir={tmp}", "--export_dir={tmp}/e", "--version=-1"],
         "--version must be >= 0; got -1"),
        (["--model_dir={tmp}", "--export_dir={tmp}/e"], "config.json' does not exist"),
    ],
    "tfgenaug.bin.generate": [
        (["--export_dir={tmp}/none", "--out={tmp}/x.jpg"],
         "--out must name files ending in .png or .npz; got '{tmp}/x.jpg'"),
        (["--export_dir={tmp}/none", "--out={tmp}/x.png"],
         "--export_dir={tmp}/none: export path does not exist"),
        (["--export_dir={tmp}/none", "--out={tmp}/x.png", "--per_class=0"],
         "--per_class must be >= 1; got 0"),
    ],
}


def test_binaries_reject_bad_flags_before_any_work(tmp_path):
    tmp = str(tmp_path)
    procs = {}
    for module, cases in BINARY_CASES.items():
        argvs = [[a.format(tmp=tmp) for a in argv] + ([f"--model_dir={tmp}/train_run"]
                 if module.endswith("train") else []) for argv, _ in cases]
        procs[module] = usage.start(module, argvs, cwd=REPO)
    for module, proc in procs.items():
        found = usage.results(proc)
        for (kind, message), (argv, expected) in zip(found, BINARY_CASES[module], strict=True):
            assert kind in usage.USAGE_KINDS, (module, argv, message)
            assert expected.format(tmp=tmp) in message, (module, argv, message)
    # Nothing was trained, exported or written.
    assert sorted(os.listdir(tmp)) == []
