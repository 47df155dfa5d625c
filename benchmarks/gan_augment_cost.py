"""Cost of `GANAugment`: training-epoch overhead and SavedModel generation throughput.

On the bundled digits (16x16, 1258 training images, batch 64) with `small_cnn` and an
untrained `WGANGP` generator (its weights do not change the cost), in one process, with
the variants interleaved and repeated, measures:

1. one training epoch with `GANAugment(rate=0.5)` mapped in `tf.data` vs without it;
2. one training epoch with `GANAugment(rate=0.5)` inside a functional model vs without;
3. generation throughput of the exported SavedModel (`generate` signature, batches of
   256) vs the Keras generator under a `tf.function` in this process.

Usage:
    python -m benchmarks.gan_augment_cost            # full run, a few minutes
    python -m benchmarks.gan_augment_cost --quick --out=/tmp/r.md   # smoke run, < 60 s
"""

import argparse
import dataclasses
import os
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from keras import ops  # noqa: E402

from benchmarks import common  # noqa: E402
from tfgenaug import data  # noqa: E402
from tfgenaug import savedmodels  # noqa: E402
from tfgenaug.layers import GANAugment  # noqa: E402
from tfgenaug.networks.classifiers import small_cnn  # noqa: E402
from tfgenaug.trainers.wgan_gp import WGANGP  # noqa: E402

DEFAULT_OUT = os.path.join("benchmarks", "results", "gan_augment_cost.md")
IMAGE_SIZE = 16
BATCH = 64
RATE = 0.5
GEN_BATCH = 256
EPOCH_GOAL = 1.25
THROUGHPUT_GOAL = 0.9
SEED = 0


@dataclasses.dataclass(frozen=True)
class Settings:
    """How much work one timing does and how often it is repeated."""

    repeats: int
    epochs: int  # epochs per timing (one `fit` call); times are per epoch
    train_batches: int | None  # None: the whole epoch
    gen_batches: int  # batches of GEN_BATCH per throughput timing


FULL = Settings(repeats=15, epochs=3, train_batches=None, gen_batches=40)
QUICK = Settings(repeats=2, epochs=1, train_batches=3, gen_batches=3)


@keras.saving.register_keras_serializable(package="tfgenaug_benchmarks")
class SparseLogitsLoss(keras.layers.Layer):
    """Adds the sparse cross-entropy of `[labels, logits]` as a loss; passes the logits."""

    def call(self, inputs):
        labels, logits = inputs
        loss = keras.losses.sparse_categorical_crossentropy(labels, logits, from_logits=True)
        self.add_loss(ops.mean(loss))
        return logits


def train_arrays() -> tuple[np.ndarray, np.ndarray, int]:
    """The digits training pool as arrays: images in [-1, 1], int32 labels, and K."""
    train, _, info = data.load("digits", image_size=IMAGE_SIZE)
    images, labels = zip(*train.as_numpy_iterator(), strict=True)
    return np.stack(images).astype("float32"), np.asarray(labels, "int32"), info.num_classes


def batches(images, labels, settings: Settings, as_dict: bool = False) -> tf.data.Dataset:
    """The unshuffled batched pool, cut to `settings.train_batches` batches if set."""
    elements = {"images": images, "labels": labels} if as_dict else (images, labels)
    ds = tf.data.Dataset.from_tensor_slices(elements).batch(BATCH)
    if settings.train_batches is not None:
        ds = ds.take(settings.train_batches)
    return ds


def classifier(image_shape, num_classes) -> keras.Model:
    """`small_cnn` compiled with Adam and sparse cross-entropy, jit off."""
    model = small_cnn(image_shape, num_classes)
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        jit_compile=False,
    )
    return model


def in_model_classifier(image_shape, num_classes, augment: GANAugment | None) -> keras.Model:
    """`[images, labels] -> [augment] -> small_cnn -> add_loss`, compiled, jit off."""
    images = keras.Input(image_shape, name="images")
    labels = keras.Input((), dtype="int32", name="labels")
    x, y = (images, labels) if augment is None else augment((images, labels))
    logits = SparseLogitsLoss()([y, small_cnn(image_shape, num_classes)(x)])
    model = keras.Model({"images": images, "labels": labels}, logits)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), jit_compile=False)
    return model


def epoch_fn(model: keras.Model, ds: tf.data.Dataset, epochs: int):
    """A callable running one `fit` call of `epochs` epochs of `model` on `ds`."""

    def run():
        model.fit(ds, epochs=epochs, verbose=0)

    return run


def measure(settings: Settings, workdir: str) -> dict:
    """Runs the three comparisons; returns their timings and details."""
    images, labels, num_classes = train_arrays()
    image_shape = images.shape[1:]
    trainer = WGANGP(image_shape=image_shape, num_classes=num_classes, seed=SEED)

    # 1. tf.data: the same compiled model, fed with and without the layer.
    augment = GANAugment(trainer, rate=RATE, value_range=(-1, 1), seed=SEED)
    plain_ds = batches(images, labels, settings).prefetch(tf.data.AUTOTUNE)
    aug_ds = batches(images, labels, settings).map(augment).prefetch(tf.data.AUTOTUNE)
    model = classifier(image_shape, num_classes)
    tfdata_times = common.interleaved(
        {"tf.data plain": epoch_fn(model, plain_ds, settings.epochs),
         "tf.data GANAugment": epoch_fn(model, aug_ds, settings.epochs)},
        settings.repeats,
    )

    # 2. In the model: a functional model with and without the layer in front.
    dict_ds = batches(images, labels, settings, as_dict=True).prefetch(tf.data.AUTOTUNE)
    in_augment = GANAugment(trainer, rate=RATE, value_range=(-1, 1), seed=SEED)
    plain_model = in_model_classifier(image_shape, num_classes, None)
    aug_model = in_model_classifier(image_shape, num_classes, in_augment)
    model_times = common.interleaved(
        {"model plain": epoch_fn(plain_model, dict_ds, settings.epochs),
         "model GANAugment": epoch_fn(aug_model, dict_ds, settings.epochs)},
        settings.repeats,
    )

    # 3. Generation throughput: exported SavedModel vs in-process Keras generator.
    path = savedmodels.export(trainer, os.path.join(workdir, "export"))
    loaded = savedmodels.load(path)
    rng = np.random.default_rng(SEED)
    gen_labels = [tf.constant(rng.integers(0, num_classes, GEN_BATCH), tf.int32)
                  for _ in range(settings.gen_batches)]
    gen_noise = [tf.constant(rng.normal(size=(GEN_BATCH, trainer.noise_dim)), tf.float32)
                 for _ in range(settings.gen_batches)]
    generate = loaded.signatures["generate"]
    generator = trainer.generator

    @tf.function
    def in_process(noise, labels):
        return generator([noise, labels], training=False)

    def run_saved_model():
        for lab, noise in zip(gen_labels, gen_noise, strict=True):
            generate(labels=lab, noise=noise)["images"].numpy()

    def run_in_process():
        for lab, noise in zip(gen_labels, gen_noise, strict=True):
            in_process(noise, lab).numpy()

    gen_times = common.interleaved(
        {"SavedModel generate": run_saved_model, "in-process tf.function": run_in_process},
        settings.repeats,
    )
    per_epoch = {name: [t / settings.epochs for t in times]
                 for name, times in (tfdata_times | model_times).items()}
    return {
        "tfdata": {name: per_epoch[name] for name in tfdata_times},
        "model": {name: per_epoch[name] for name in model_times},
        "gen": gen_times,
        "gen_images": settings.gen_batches * GEN_BATCH,
        "train_images": len(images),
        "num_batches": len(list(plain_ds)),
    }


def verdict(value: float, goal: float, at_most: bool) -> str:
    met = value <= goal if at_most else value >= goal
    sign = "<=" if at_most else ">="
    return f"goal {sign} {goal:.2f}x: **{'met' if met else 'NOT met'}**"


def report(results: dict, settings: Settings, quick: bool, command: str, seconds: float) -> str:
    """The Markdown results file."""
    tfdata = common.ratios(results["tfdata"]["tf.data GANAugment"],
                           results["tfdata"]["tf.data plain"])
    model = common.ratios(results["model"]["model GANAugment"], results["model"]["model plain"])
    n = results["gen_images"]
    saved_rate = [n / t for t in results["gen"]["SavedModel generate"]]
    process_rate = [n / t for t in results["gen"]["in-process tf.function"]]
    gen = common.ratios(saved_rate, process_rate)
    med = {key: common.spread(values)[0] for key, values in
           (("tfdata", tfdata), ("model", model), ("gen", gen))}
    shown = {key: common.format_spread(values, unit="x") for key, values in
             (("tfdata", tfdata), ("model", model), ("gen", gen))}
    epoch = "one whole epoch" if settings.train_batches is None else "a fraction of an epoch"
    lines = [
        "# GANAugment cost",
        "",
        f"{common.machine_line()}",
        "",
        f"Command: `{command}`" + (" (QUICK smoke run: the numbers are noise)" if quick else ""),
        "",
        f"Date: {common.utc_now()}; run took {seconds:.0f} s.",
        "",
        f"Setup: digits 16x16, train pool {results['train_images']} images, batch {BATCH} "
        f"({results['num_batches']} batches per epoch: {epoch}; {settings.epochs} epoch(s) per "
        "timed `fit` call, epoch time = call time / epochs), `small_cnn` (Adam), "
        f"`jit_compile=False` (XLA off; Keras' `auto` is off on CPU too), untrained "
        f"`WGANGP(image_shape=(16, 16, 1), num_classes=10)` generator, "
        f"`GANAugment(rate={RATE}, mode='replace', value_range=(-1, 1))`, pipelines "
        "unshuffled with `.prefetch(AUTOTUNE)` last in both variants. Variants interleaved "
        f"in rotating order, {settings.repeats} timed repeats each after 1 untimed warm-up "
        "call (tracing and first epoch excluded). Ratios are per repeat; shown as median "
        "(min-max).",
        "",
        "| Comparison | Ratio, median (min-max) | Goal |",
        "|---|---|---|",
        f"| 1. epoch, `ds.batch(64).map(GANAugment)` / plain | tf.data ratio: {shown['tfdata']} "
        f"| {verdict(med['tfdata'], EPOCH_GOAL, True)} |",
        f"| 2. epoch, GANAugment in the model / plain model | in-model ratio: {shown['model']} "
        f"| {verdict(med['model'], EPOCH_GOAL, True)} |",
        f"| 3. images/s, SavedModel `generate` / in-process `tf.function` | throughput ratio: "
        f"{shown['gen']} | {verdict(med['gen'], THROUGHPUT_GOAL, False)} |",
        "",
        "Raw timings (s per epoch, resp. per generation timing, in repeat order):",
        "",
    ]
    for group in ("tfdata", "model", "gen"):
        for name, times in results[group].items():
            lines.append(f"- {name}: " + ", ".join(f"{t:.3f}" for t in times)
                         + f" (median {common.spread(times)[0]:.3f})")
    lines += [
        "",
        f"Throughput (images/s, batches of {GEN_BATCH}, {n} images per timing): SavedModel "
        f"{common.format_spread(saved_rate, 0)}, in-process "
        f"{common.format_spread(process_rate, 0)}.",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="tiny smoke run (2 repeats, 3 batches), < 60 s")
    parser.add_argument("--out", default=DEFAULT_OUT, help="the Markdown results file")
    args = parser.parse_args(argv)
    settings = QUICK if args.quick else FULL
    command = common.command_line("benchmarks.gan_augment_cost", argv)
    keras.utils.set_random_seed(SEED)
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as workdir:
        results = measure(settings, workdir)
    text = report(results, settings, args.quick, command, time.perf_counter() - start)
    common.write_markdown(args.out, text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
