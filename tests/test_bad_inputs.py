"""A catalogue of bad inputs: each fails at once, naming the argument and its expected form.

Across data, trainers, layers, savedmodels and the binaries. Every case asserts the error
type and message, and (where work could start) that none did: no optimizer step, no file.
"""

import os

import keras
import numpy as np
import pytest
import tensorflow as tf

from tests.bin import usage
from tests.styletransfer.tiny_networks import tiny_encoder_decoder
from tests.trainers.conftest import IMAGE_SHAPE
from tests.trainers.conftest import NUM_CLASSES
from tests.trainers.conftest import TINY
from tfgenaug import data
from tfgenaug import experiment
from tfgenaug import savedmodels
from tfgenaug import trainers
from tfgenaug.layers import GANAugment
from tfgenaug.layers import SameClassMix
from tfgenaug.layers import StyleTransferAugment
from tfgenaug.networks.dfg_networks import lenet5_split
from tfgenaug.trainers import DADA
from tfgenaug.trainers import DCGAN
from tfgenaug.trainers import WGANGP
from tfgenaug.trainers.adversarial import AdversarialTrainer
from tfgenaug.trainers.dfg import DFG
from tfgenaug.trainers.fine_tune import FineTuner
from tfgenaug.trainers.style_decoder import StyleDecoderTrainer

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
    (lambda: data.load("digits", image_size=4),
     r"image_size must be None \(keep the native size\), an int >= 8 \(square images\) or "
     r"\(height, width\) with both >= 8; got 4"),
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


def test_load_a_folder_path(tmp_path):
    with pytest.raises(ValueError, match=rf"name='{tmp_path}' is a path, not a dataset: load "
                                         r"takes 'digits' or the name of a TensorFlow Datasets "
                                         r"builder.*does not read folders of images or \.npz"):
        data.load(str(tmp_path))


def test_imbalance_ratio_out_of_range(digits):
    with pytest.raises(ValueError, match=r"ratio must be a number in \(0, 1\]; got 2"):
        data.imbalance(digits[0], [0], ratio=2)


# ----------------------------------------------------------------------- trainers
@pytest.mark.parametrize("x,y,message", [
    (images(8, (8, 8)), labels(*[0] * 8),
     r"^WGANGP\.fit: images must be a batch of shape \(batch, 8, 8, 1\) \(rank 4, NHWC\); "
     r"got shape \(8, 8, 8\)\. Batch the data first"),
    (images(8, (16, 16, 1)), labels(*[0] * 8),
     r"^WGANGP\.fit: images must have shape \(batch, 8, 8, 1\) to match WGANGP's "
     r"image_shape; got shape \(8, 16, 16, 1\)$"),
    (images(8), np.zeros((8, 3), "int32"),
     r"^WGANGP\.fit: labels must be int class ids of shape \(batch,\) or \(batch, 1\); "
     r"got shape \(8, 3\)$"),
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
                                                             r"\[0, 3\) \(num_classes=3\)"):
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


# Every trainer's fit checks its batches with the same checks (tfgenaug.data.batch_checks),
# in the input pipeline: nothing trains on a bad batch.
def _wgan_gp():
    return WGANGP(IMAGE_SHAPE, NUM_CLASSES, **TINY)


def _dcgan():
    return DCGAN(IMAGE_SHAPE, NUM_CLASSES, **TINY)


def _dada():
    return DADA(IMAGE_SHAPE, NUM_CLASSES, noise_dim=8, width_multiplier=0.05)


def _dfg():
    return DFG(*lenet5_split(IMAGE_SHAPE, NUM_CLASSES), NUM_CLASSES, minority_classes=[0],
               noise_dim=8, generator_width=8, critic_width=4)


def _fine_tuner():
    return FineTuner(*lenet5_split(IMAGE_SHAPE, NUM_CLASSES), NUM_CLASSES)


def _style_decoder():
    return StyleDecoderTrainer(tiny_encoder_decoder()[0], seed=0)


def _adversarial():
    classifier = keras.Sequential([keras.Input(IMAGE_SHAPE), keras.layers.Flatten(),
                                   keras.layers.Dense(NUM_CLASSES)])
    return AdversarialTrainer(classifier, epsilon=0.1)


def _compiled(factory):
    trainer = factory()
    if isinstance(trainer, AdversarialTrainer):
        trainer.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                        jit_compile=False)
    else:
        trainer.compile(jit_compile=False)
    return trainer


CLASS_ID_TRAINERS = {"WGANGP": _wgan_gp, "DCGAN": _dcgan, "DADA": _dada, "DFG": _dfg,
                     "FineTuner": _fine_tuner}
ALL_TRAINERS = {**CLASS_ID_TRAINERS, "StyleDecoderTrainer": _style_decoder,
                "AdversarialTrainer": _adversarial}
PIXELS = r"images must lie in .*\[-1, 1\].*\[255\].*to_model_range\(images, \(0, 255\)\)"
ADVERSARIAL_PIXELS = r"images must lie in value_range=\(-1, 1\) \(the attack clip range\)"


def _batches(images, labels):
    return tf.data.Dataset.from_tensor_slices((images, labels)).batch(4)


def _assert_nothing_trained(trainer, before):
    assert trainer.train_steps == 0
    for old, new in zip(before, trainer.trainable_weights, strict=True):
        np.testing.assert_array_equal(old, new.numpy())


@pytest.mark.parametrize("name", sorted(ALL_TRAINERS))
def test_every_trainer_rejects_0_255_pixels_before_a_step(name):
    trainer = _compiled(ALL_TRAINERS[name])
    before = [w.numpy().copy() for w in trainer.trainable_weights]
    pixels = _batches(images(8, value=255.0), labels(0, 1, 2, 0, 1, 2, 0, 1))
    message = ADVERSARIAL_PIXELS if name == "AdversarialTrainer" else PIXELS
    with pytest.raises(tf.errors.InvalidArgumentError, match=rf"{name}\.fit: {message}"):
        trainer.fit(pixels, epochs=1, verbose=0)
    _assert_nothing_trained(trainer, before)


@pytest.mark.parametrize("name", sorted(set(ALL_TRAINERS) - {"StyleDecoderTrainer"}))
def test_every_labelled_trainer_rejects_string_labels_with_the_fix(name):
    trainer = _compiled(ALL_TRAINERS[name])
    strings = _batches(images(8), np.array(list("abcabcab")))
    with pytest.raises(ValueError, match=rf"^{name}\.fit: labels must be .*; got dtype string\. "
                                         r"Map class names to ids first, e\.g\. "
                                         r"keras\.layers\.StringLookup\("):
        trainer.fit(strings, epochs=1, verbose=0)
    assert trainer.train_steps == 0


@pytest.mark.parametrize("name", sorted(CLASS_ID_TRAINERS))
def test_every_class_id_trainer_rejects_labels_outside_num_classes(name):
    # The batch check fit maps over a dataset (fit's wiring is tested above, at the cost
    # of a traced train step per trainer; this one needs none).
    trainer = ALL_TRAINERS[name]()
    spec = trainer.batch_spec()
    checked = _batches(images(8), labels(0, 1, 2, 7, 0, 1, 2, 0)).map(
        lambda *batch: trainer.checked_batch(batch, spec))
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=rf"{name}\.fit: labels must be class ids in \[0, 3\) "
                             r"\(num_classes=3\); got values from .*\[0\].*\[7\]"):
        next(iter(checked))
    with pytest.raises(ValueError, match=rf"^{name}\.fit: labels must be class ids in \[0, 3\) "
                                         r"\(num_classes=3\); got values from -1 to 2$"):
        trainer.checked_batch((images(4), labels(0, -1, 2, 1)), spec)


def test_fit_rejects_0_255_pixel_arrays_at_once(trainer):
    with pytest.raises(ValueError, match=r"^WGANGP\.fit: images must lie in \[-1, 1\] \(values "
                                         r"up to half its span beyond it pass\); got values "
                                         r"from 0 to 255\. Convert them first, e\.g\. "
                                         r"tfgenaug\.data\.to_model_range.*"
                                         r"fit\(\.\.\., range_check=False\)$"):
        x = images(8)
        x[0] = 255.0
        trainer.fit(x, labels(*[0] * 8), batch_size=8, epochs=1, verbose=0)
    assert int(trainer.g_optimizer.iterations) == 0


def test_near_edge_images_train_and_the_range_check_turns_off():
    trainer = _compiled(_wgan_gp)
    near_edge = images(8, value=1.02)  # [-1, 1] images after interpolation overshoot
    near_edge[0] = -2.0  # half the span beyond -1: still accepted
    trainer.fit(_batches(near_edge, labels(*[0, 1] * 4)), epochs=1, verbose=0)
    assert trainer.train_steps == 2
    pixels = _batches(images(8, value=255.0), labels(*[0, 1] * 4))
    trainer.fit(pixels, epochs=1, verbose=0, range_check=False)
    assert trainer.train_steps == 4


@pytest.mark.parametrize("call,message", [
    (lambda: trainers.get("vae"), r"trainer must be one of \['dada', 'dagan', 'dcgan', "
                                  r"'ssgan', 'wgan_gp'\]; got 'vae'"),
    (lambda: WGANGP(IMAGE_SHAPE, NUM_CLASSES, n_critic=0, **TINY),
     r"n_critic must be a positive integer; got 0"),
    (lambda: WGANGP((6, 12, 1), NUM_CLASSES, **TINY),
     r"image_shape must have height and width >= 8; got \(6, 12, 1\)"),
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
    ((images(4, (8, 8)), labels(0, 1, 2, 0)), r"GANAugment: images must be a batch of shape "
                                               r"\(batch, 8, 8, 1\) \(rank 4, NHWC\)"),
    ((images(4, (16, 16, 1)), labels(0, 1, 2, 0)), r"images must have shape .*\(batch, 8, 8, 1\) "
                                                    r"to match the generator's images; got "
                                                    r"shape \(4, 16, 16, 1\)"),
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


def test_gan_augment_rejects_labels_outside_num_classes_in_graph_mode(trainer):
    layer = GANAugment(trainer, value_range=(-1, 1), seed=0)
    with pytest.raises(ValueError, match=r"GANAugment: labels must be class ids in \[0, 3\) "
                                         r"\(num_classes=3\); got values from 0 to 3"):
        layer((images(4), labels(0, 1, 2, 3)))
    mapped = _batches(images(4), labels(0, 1, 2, 3)).map(layer)
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=r"GANAugment: labels must be class ids in \[0, 3\) "
                             r"\(num_classes=3\); got values from .*\[3\]"):
        next(iter(mapped))


def _style_transfer_augment(**kwargs):
    encoder, decoder = tiny_encoder_decoder()
    return StyleTransferAugment(encoder, decoder, np.zeros((2, *IMAGE_SHAPE), "float32"),
                                value_range=(-1, 1), seed=0, **kwargs)


LAYERS = {
    "GANAugment": lambda generator, **kw: GANAugment(generator, value_range=(-1, 1), seed=0,
                                                     **kw),
    "SameClassMix": lambda _, **kw: SameClassMix(value_range=(-1, 1), seed=0, **kw),
    "StyleTransferAugment": lambda _, **kw: _style_transfer_augment(**kw),
}


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_every_layer_rejects_0_255_pixels_and_string_labels(name, trainer):
    layer = LAYERS[name](trainer)
    pixels = (images(4, value=255.0), labels(0, 1, 2, 0))
    with pytest.raises(ValueError, match=rf"{name}: images must lie in value_range=\(-1, 1\) "
                                         rf"\(the {name} argument\).*got values from 255 to 255.*"
                                         r"e\.g\. value_range=\(0, 255\)"):
        layer(pixels)
    mapped = _batches(*pixels).map(layer)
    with pytest.raises(tf.errors.InvalidArgumentError, match=rf"{name}: images must lie in"):
        next(iter(mapped))
    with pytest.raises(ValueError, match=rf"{name}: labels must be .*; got dtype string\. "
                                         r"Map class names to ids first"):
        layer((images(4), np.array(list("abca"))))


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_every_layer_range_check_turns_off(name, trainer):
    layer = LAYERS[name](trainer, range_check=False)
    assert layer.get_config()["range_check"] is False
    out_images, _ = layer((images(4, value=255.0), labels(0, 1, 2, 0)))  # no error
    assert out_images.shape == (4, *IMAGE_SHAPE)


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
        (["--image_size=4"], "--image_size must be 'auto' (16 for digits and tfds, native "
                              "for folder: and npz:), 'native' (or 0), a side >= 8"),
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
         "--out must name files ending in .png or .npz, or a folder ending in /; "
         "got '{tmp}/x.jpg'"),
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
