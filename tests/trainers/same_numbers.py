"""Same seed, same numbers: what every trainer computes in a few seeded, deterministic steps.

Each scenario seeds Keras (`keras.utils.set_random_seed`), builds a trainer as small as
its constructor allows on 8x8 images of 3 classes made with NumPy, compiles it with
every optimizer passed by keyword and `jit_compile=False` (one scenario with `True`),
fits it a few steps on a `tf.data.Dataset` in a fixed order, and returns

- `logs`: the logs of every step (`on_train_batch_end`), and
- `variables`: a digest of every trainable and non-trainable variable of the trainer
  (its position, shape, and in float64 the sum, the sum of squares and a ramp-weighted
  sum that notices values moved within a tensor), plus digests of the optimizers it
  was given and of other public state (DADA's EMA weights).

Two scenarios run `tfgenaug.experiment.train_generator` end to end with
`deterministic=True` and return what the run writes: the TensorBoard scalars, the
report and a digest of the sample grid.

Tracing the train functions costs more than running them, so the scenarios whose
trainer also runs compiled elsewhere here (WGAN-GP, DADA end to end and WGAN-GP with
XLA), and DFG and PGD, run eagerly (`run_eagerly=True`); DCGAN, FGSM, FineTuner and
StyleDecoderTrainer run as `tf.function`s. Each scenario records which.

The numbers were recorded before the trainers were moved onto one shared kernel, in
`same_numbers.json`; `test_same_numbers.py` recomputes them in a fresh process (op
determinism is process-wide and cannot be undone, so it stays out of the test
process) and compares.

Usage:
    python -m tests.trainers.same_numbers --record        # rewrite same_numbers.json
    python -m tests.trainers.same_numbers --compute OUT   # write the numbers to OUT
    python -m tests.trainers.same_numbers --compute OUT --only dcgan,dfg
"""

import argparse
import glob
import json
import os
import pathlib
import platform
import sys
import tempfile
from collections.abc import Callable

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

RECORD_PATH = pathlib.Path(__file__).with_name("same_numbers.json")
IMAGE_SHAPE = (8, 8, 1)
NUM_CLASSES = 3
BATCH = 8
SEED = 0

SCENARIOS: dict[str, Callable[[], dict]] = {}
# Scenarios that run before op determinism is turned on (see `scenario_wgan_gp_xla`).
WITHOUT_OP_DETERMINISM: set[str] = set()


def scenario(fn: Callable[[], dict] | None = None, *, op_determinism: bool = True):
    """Registers `fn` under its name (without a leading `scenario_`)."""

    def register(fn: Callable[[], dict]) -> Callable[[], dict]:
        name = fn.__name__.removeprefix("scenario_")
        SCENARIOS[name] = fn
        if not op_determinism:
            WITHOUT_OP_DETERMINISM.add(name)
        return fn

    return register if fn is None else register(fn)


# --------------------------------------------------------------------- data and digests
def batches(num_batches: int, seed: int = SEED) -> tuple[np.ndarray, np.ndarray]:
    """`num_batches * BATCH` images uniform in [-1, 1] and int32 labels, from `seed`."""
    rng = np.random.default_rng(seed)
    images = rng.uniform(-1.0, 1.0, (num_batches * BATCH, *IMAGE_SHAPE)).astype("float32")
    labels = rng.integers(0, NUM_CLASSES, num_batches * BATCH).astype("int32")
    return images, labels


def dataset(num_batches: int, seed: int = SEED) -> tf.data.Dataset:
    """`(images, labels)` batches of `BATCH`, in a fixed order (no shuffle)."""
    images, labels = batches(num_batches, seed)
    return tf.data.Dataset.from_tensor_slices((images, labels)).batch(BATCH, drop_remainder=True)


def digest(variables) -> list[dict]:
    """Position, shape and float64 sum, sum of squares and ramp-weighted sum of each value."""
    rows = []
    for index, variable in enumerate(variables):
        values = np.asarray(keras.ops.convert_to_numpy(variable)).astype(np.float64)
        flat = values.reshape(-1)
        ramp = np.linspace(-1.0, 1.0, flat.size) if flat.size > 1 else np.ones(flat.size)
        rows.append({
            "index": index,
            "shape": list(values.shape),
            "sum": float(flat.sum()),
            "sum_sq": float(np.square(flat).sum()),
            "ramp_sum": float(flat @ ramp),
        })
    return rows


def trainer_digest(trainer: keras.Model, optimizers: dict, **extra) -> dict:
    """Digests of the trainer's variables, of the optimizers it was given, and of `extra`."""
    groups = {
        "trainable": digest(trainer.trainable_variables),
        "non_trainable": digest(trainer.non_trainable_variables),
    }
    for name, optimizer in optimizers.items():
        groups[f"optimizer:{name}"] = digest(optimizer.variables)
    for name, variables in extra.items():
        groups[name] = digest(variables)
    return groups


class StepLogs(keras.callbacks.Callback):
    """Keeps the logs of every train step as floats."""

    def __init__(self):
        super().__init__()
        self.steps: list[dict] = []

    def on_train_batch_end(self, batch, logs=None):
        self.steps.append({
            name: float(np.asarray(keras.ops.convert_to_numpy(value)).reshape(-1)[0])
            for name, value in sorted((logs or {}).items())
        })


def fit_and_digest(trainer, optimizers: dict, num_batches: int, callbacks=(), **extra) -> dict:
    """Fits `trainer` one epoch over `num_batches` fixed batches; logs and digests.

    `extra`: name -> function returning more variables to digest after the fit.
    """
    recorder = StepLogs()
    trainer.fit(dataset(num_batches), epochs=1, verbose=0, shuffle=False,
                callbacks=[*callbacks, recorder])
    extra = {name: fn() for name, fn in extra.items()}
    return {
        "compiled": {"jit_compile": bool(trainer.jit_compile),
                     "run_eagerly": bool(trainer.run_eagerly)},
        "logs": recorder.steps,
        "variables": trainer_digest(trainer, optimizers, **extra),
    }


def adam(learning_rate: float = 1e-3, **kwargs) -> keras.optimizers.Optimizer:
    return keras.optimizers.Adam(learning_rate, **kwargs)


# --------------------------------------------------------------------- GAN trainers
def _wgan_gp(jit_compile: bool = False, run_eagerly: bool = False, **kwargs) -> dict:
    from tfgenaug.trainers import WGANGP

    keras.utils.set_random_seed(SEED)
    trainer = WGANGP(image_shape=IMAGE_SHAPE, num_classes=NUM_CLASSES, noise_dim=8, width=4,
                     critic_width=4, seed=SEED, **kwargs)
    optimizers = {"d_optimizer": adam(beta_1=0.5, beta_2=0.9),
                  "g_optimizer": adam(beta_1=0.5, beta_2=0.9)}
    trainer.compile(**optimizers, jit_compile=jit_compile, run_eagerly=run_eagerly)
    return fit_and_digest(trainer, optimizers, num_batches=4)


@scenario
def scenario_wgan_gp_plain() -> dict:
    """WGAN-GP, two critic steps per generator step (eager; compiled in `wgan_gp_xla`
    and `train_generator_wgan_gp`)."""
    return _wgan_gp(run_eagerly=True, n_critic=2)


@scenario
def scenario_wgan_gp_aux_diffaugment_ada() -> dict:
    """WGAN-GP with a class head, all three DiffAugment transforms and a fast ADA (eager)."""
    return _wgan_gp(run_eagerly=True, n_critic=2, aux_weight=0.5,
                    diffaugment="color,translation,cutout", ada_target=0.6, ada_speed=32)


@scenario(op_determinism=False)
def scenario_wgan_gp_xla() -> dict:
    """WGAN-GP with the whole step compiled by XLA.

    Keras turns XLA off while op determinism is on (`model_supports_jit`), so this
    scenario runs before it is turned on; XLA on CPU gave bit-identical numbers in
    repeated runs without it. One critic step: XLA's compile time grows with the step.
    """
    return _wgan_gp(jit_compile=True, n_critic=1)


@scenario
def scenario_dcgan() -> dict:
    """DCGAN with one-sided label smoothing."""
    from tfgenaug.trainers import DCGAN

    keras.utils.set_random_seed(SEED)
    trainer = DCGAN(image_shape=IMAGE_SHAPE, num_classes=NUM_CLASSES, noise_dim=8, width=4,
                    critic_width=4, label_smoothing=0.1, seed=SEED)
    optimizers = {"d_optimizer": adam(beta_1=0.5), "g_optimizer": adam(beta_1=0.5)}
    trainer.compile(**optimizers, jit_compile=False)
    return fit_and_digest(trainer, optimizers, num_batches=4)


@scenario
def scenario_dada_stages() -> dict:
    """DADA: steps 0-1 in the GAN stage, 2-4 in the classifier stage with augmentation.

    Eager (`run_eagerly=True`): tracing DADA's two stage functions costs about four
    times the rest of the scenario; `train_generator_dada` runs them as `tf.function`s.
    """
    from tfgenaug.trainers import DADA

    keras.utils.set_random_seed(SEED)
    trainer = DADA(image_shape=IMAGE_SHAPE, num_classes=NUM_CLASSES, noise_dim=8,
                   gan_steps=2, width_multiplier=0.05, aug=True, aug_flip=True, seed=SEED)
    optimizers = {"d_optimizer": adam(beta_1=0.5), "g_optimizer": adam(beta_1=0.5)}
    trainer.compile(**optimizers, jit_compile=False, run_eagerly=True)
    return fit_and_digest(trainer, optimizers, num_batches=5,
                          ema=lambda: trainer.ema_weights)


# --------------------------------------------------------------------- split classifiers
def _split_networks():
    from tfgenaug.networks.dfg_networks import lenet5_split

    return lenet5_split(IMAGE_SHAPE, NUM_CLASSES)  # feature maps 4x4x6


@scenario
def scenario_dfg() -> dict:
    """DFG: C-only updates at steps 2 and 4, attention updates before steps 0 and 3.

    Eager (`run_eagerly=True`), as `dada_stages`: tracing its two step functions
    costs three times the rest.
    """
    from tfgenaug.trainers import DFG
    from tfgenaug.trainers import AttentionUpdate

    keras.utils.set_random_seed(SEED)
    extractor, classifier = _split_networks()
    trainer = DFG(extractor, classifier, NUM_CLASSES, minority_classes=[0], noise_dim=8,
                  n_critic=2, classifier_every=2, generator_width=8, critic_width=4, seed=SEED)
    optimizers = {"g_optimizer": adam(beta_1=0.5, beta_2=0.9),
                  "d_optimizer": adam(beta_1=0.5, beta_2=0.9),
                  "ec_optimizer": adam(beta_1=0.5, beta_2=0.9)}
    trainer.compile(**optimizers, jit_compile=False, run_eagerly=True)
    images, labels = batches(2, seed=SEED + 1)
    attention = AttentionUpdate(images, labels, every=3, per_class=4)
    return fit_and_digest(trainer, optimizers, num_batches=5, callbacks=[attention])


@scenario
def scenario_fine_tuner() -> dict:
    """FineTuner with DELTA's regularizer."""
    from tfgenaug.trainers.fine_tune import FineTuner

    keras.utils.set_random_seed(SEED)
    extractor, classifier = _split_networks()
    trainer = FineTuner(extractor, classifier, NUM_CLASSES, delta_weight=0.01)
    optimizers = {"ec_optimizer": adam(beta_1=0.5, beta_2=0.9)}
    trainer.compile(**optimizers, jit_compile=False)
    return fit_and_digest(trainer, optimizers, num_batches=4)


# --------------------------------------------------------------------- other trainers
@scenario
def scenario_style_decoder() -> dict:
    """StyleDecoderTrainer: style images are the batch in a seeded random order."""
    from tfgenaug.networks import small_cnn
    from tfgenaug.styletransfer import encoder_from_classifier
    from tfgenaug.trainers import StyleDecoderTrainer

    keras.utils.set_random_seed(SEED)
    encoder = encoder_from_classifier(small_cnn(IMAGE_SHAPE, NUM_CLASSES, width=4),
                                      "block1_relu0")
    trainer = StyleDecoderTrainer(encoder, style_weight=1.0, seed=SEED)
    optimizers = {"optimizer": adam(3e-3)}
    trainer.compile(**optimizers, jit_compile=False)
    return fit_and_digest(trainer, optimizers, num_batches=4)


def _adversarial(run_eagerly: bool, **kwargs) -> dict:
    from tfgenaug.networks import small_cnn
    from tfgenaug.trainers import AdversarialTrainer

    keras.utils.set_random_seed(SEED)
    trainer = AdversarialTrainer(small_cnn(IMAGE_SHAPE, NUM_CLASSES, width=4), epsilon=0.1,
                                 seed=SEED, **kwargs)
    optimizers = {"optimizer": adam()}
    trainer.compile(**optimizers,
                    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                    metrics=["accuracy"], jit_compile=False, run_eagerly=run_eagerly)
    return fit_and_digest(trainer, optimizers, num_batches=4)


@scenario
def scenario_adversarial_fgsm() -> dict:
    """AdversarialTrainer, FGSM, half of each batch appended as adversarial rows."""
    return _adversarial(run_eagerly=False, method="fgsm", rate=0.5, mode="append")


@scenario
def scenario_adversarial_pgd() -> dict:
    """AdversarialTrainer, PGD from a random start, half of each batch replaced (eager)."""
    return _adversarial(run_eagerly=True, method="pgd", steps=3, rate=0.5, mode="replace")


# --------------------------------------------------------------------- end to end
def _event_scalars(log_dir: str) -> dict:
    """`{run/tag: [[step, value], ...]}` of the scalar summaries under `log_dir`."""
    scalars: dict[str, list] = {}
    for path in sorted(glob.glob(os.path.join(log_dir, "**", "events.out.tfevents.*"),
                                 recursive=True)):
        run = os.path.relpath(os.path.dirname(path), log_dir)
        for event in tf.compat.v1.train.summary_iterator(path):
            for value in event.summary.value:
                if value.HasField("tensor"):
                    array = tf.make_ndarray(value.tensor)
                    if array.dtype.kind not in "fiu" or array.size != 1:
                        continue  # images, text
                    number = float(array.reshape(-1)[0])
                elif value.HasField("simple_value"):
                    number = float(value.simple_value)
                else:
                    continue
                scalars.setdefault(f"{run}/{value.tag}", []).append([int(event.step), number])
    return {tag: sorted(points) for tag, points in sorted(scalars.items())}


def _train_generator(**overrides) -> dict:
    from tfgenaug import experiment

    with tempfile.TemporaryDirectory() as tmp:
        values = dict(image_size=8, noise_dim=8, batch_size=16, checkpoint_every=2,
                      judge_epochs=0, jit_compile=False, deterministic=True, seed=SEED,
                      model_dir=os.path.join(tmp, "run"))
        values.update(overrides)
        config = experiment.TrainConfig(**values)
        report = experiment.train_generator(config, verbose=0)
        grid = tf.io.decode_png(tf.io.read_file(os.path.join(config.model_dir, "samples.png")))
        return {
            "report": {key: value for key, value in sorted(report.items())
                       if isinstance(value, int | float)},
            "scalars": _event_scalars(os.path.join(config.model_dir, "logs")),
            "variables": {"samples_png": digest([grid])},
        }


@scenario
def scenario_train_generator_wgan_gp() -> dict:
    """`experiment.train_generator`: WGAN-GP on 8x8 digits, 4 steps, 2 per epoch.

    5 critic steps, the recorded runs' default (wgan_gp runs default to 3 since)."""
    return _train_generator(trainer="wgan_gp", width=4, critic_width=4, steps=4, n_critic=5)


@scenario
def scenario_train_generator_dada() -> dict:
    """`experiment.train_generator`: DADA, 5 images per class, 3 GAN + 3 classifier steps
    (one epoch of each)."""
    return _train_generator(trainer="dada", count=5, gan_epochs=1, epochs=2,
                            width_multiplier=0.05, aug=True, checkpoint_every=3)


# --------------------------------------------------------------------- entry points
def environment() -> dict:
    """What the numbers were computed with (reported when they differ)."""
    import tfgenaug

    return {
        "python": platform.python_version(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "numpy": np.__version__,
        "machine": platform.machine(),
        "processor": platform.processor(),
        "tfgenaug_file": os.path.abspath(tfgenaug.__file__),
    }


def compute(names: list[str] | None = None) -> dict:
    """Runs the scenarios `names` (all by default); returns their numbers.

    Those in `WITHOUT_OP_DETERMINISM` run first; then op determinism is turned on for
    the rest, irreversibly for the process
    (`tf.config.experimental.enable_op_determinism()`).
    """
    names = list(SCENARIOS) if names is None else list(names)
    unknown = sorted(set(names) - set(SCENARIOS))
    if unknown:
        raise ValueError(f"unknown scenarios {unknown}; known: {sorted(SCENARIOS)}")
    first = [name for name in names if name in WITHOUT_OP_DETERMINISM]
    numbers = {name: SCENARIOS[name]() for name in first}
    tf.config.experimental.enable_op_determinism()
    numbers.update({name: SCENARIOS[name]() for name in names if name not in first})
    return {"environment": environment(), "scenarios": dict(sorted(numbers.items()))}


def record(path: pathlib.Path | str = RECORD_PATH) -> dict:
    """Computes every scenario and writes the numbers to `path` (`same_numbers.json`)."""
    numbers = compute()
    write(numbers, path)
    return numbers


def write(numbers: dict, path: pathlib.Path | str) -> None:
    pathlib.Path(path).write_text(json.dumps(numbers, indent=1, sort_keys=True) + "\n")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--record", action="store_true", help=f"write {RECORD_PATH.name}")
    action.add_argument("--compute", metavar="OUT", help="write the numbers to OUT")
    parser.add_argument("--only", help="comma-separated scenario names (with --compute)")
    args = parser.parse_args(argv)
    if args.record:
        record()
        print(f"wrote {RECORD_PATH}")
        return
    names = args.only.split(",") if args.only else None
    write(compute(names), args.compute)


if __name__ == "__main__":
    main(sys.argv[1:])
