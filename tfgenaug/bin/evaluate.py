r"""Trains one classifier under one condition and reports on the real test split.

Writes `report.json`, `report.md` and `confusion.png` to `--output_dir`. A GAN condition
samples from `--generator` (a SavedModel from `tfgenaug.bin.export`/`--export_dir`, or the
`--model_dir` of a `tfgenaug.bin.train` run); without it, one is trained first on exactly
the classifier's training images, in `<output_dir>/generator`.

Example:
    python -m tfgenaug.bin.evaluate --condition=classic --count=10 --output_dir=runs/eval
    python -m tfgenaug.bin.evaluate --condition=wgan_gp --minority_classes=1,3,5 \
        --imbalance_ratio=0.05 --output_dir=runs/eval_gan
"""

import dataclasses
import os

from absl import app
from absl import flags
from absl import logging

from tfgenaug import evaluation
from tfgenaug import jsonio
from tfgenaug import runs
from tfgenaug import savedmodels
from tfgenaug.evaluation.conditions.dada import dada_network
from tfgenaug.runs.generator_recipes import recipe_for
from tfgenaug.runs.generator_recipes import unread_fields
from tfgenaug.runs.model_dir import recorded_run_config
from tfgenaug.runs.model_dir import run_quality
from tfgenaug.runs.same_run import setting_differences

_DEFAULTS = evaluation.EvalConfig()

flags.DEFINE_string("condition", _DEFAULTS.condition,
                    f"Training condition, one of {', '.join(evaluation.CONDITIONS)}.")
flags.DEFINE_string("dataset", _DEFAULTS.dataset,
                    "'digits' (bundled, offline) or a TensorFlow Datasets name prepared in "
                    "--data_dir.")
flags.DEFINE_string("data_dir", None, "TensorFlow Datasets data directory.")
flags.DEFINE_integer("image_size", _DEFAULTS.image_size, "Image side, any int >= 8.")
flags.DEFINE_integer("count", _DEFAULTS.count,
                     "Real images per class to train on (low data); 0 keeps all.")
flags.DEFINE_list("minority_classes", [],
                  "Comma-separated classes made rare (imbalance case), e.g. 1,3,5.")
flags.DEFINE_float("imbalance_ratio", _DEFAULTS.imbalance_ratio,
                   "Each minority class keeps int(imbalance_ratio * largest class) images; "
                   "in (0, 1].")
flags.DEFINE_integer("seed", _DEFAULTS.seed, "Seed of data selection, classifier and augmentation.")
flags.DEFINE_integer("steps", _DEFAULTS.steps, "Gradient steps of the classifier.")
flags.DEFINE_integer("batch_size", _DEFAULTS.batch_size, "Classifier batch size.")
flags.DEFINE_float("learning_rate", _DEFAULTS.learning_rate, "Classifier Adam learning rate.")
flags.DEFINE_integer("width", _DEFAULTS.width, "Width of the small_cnn classifier.")
flags.DEFINE_float("gan_rate", _DEFAULTS.gan_rate,
                   "Share of each batch generated in the GAN conditions, in [0, 1].")
flags.DEFINE_bool("recalibrate_bn", _DEFAULTS.recalibrate_bn,
                  "After training, re-estimate the classifier's batch-norm statistics on the "
                  "real training images (--norecalibrate_bn keeps those of the augmented "
                  "batches).")
flags.DEFINE_float("dada_width_multiplier", _DEFAULTS.dada_width_multiplier,
                   "dada_network_plain: width multiplier of DADA's discriminator network "
                   "(1.0 is the reference's width).")
flags.DEFINE_string("unlabelled", _DEFAULTS.unlabelled,
                    "self_training and the ssgan conditions: the unlabelled images: 'rest' "
                    "(the train images --count left out) or a dataset as --dataset takes "
                    "(folder:<path>, npz:<path>, a tfds name), its labels ignored.")
flags.DEFINE_string("generator", None,
                    "GAN conditions: a SavedModel (version or base directory) or the model_dir "
                    "of a tfgenaug.bin.train run. Default: train one first.")
flags.DEFINE_integer("gan_steps", 1500, "Generator steps when a generator is trained here.")
flags.DEFINE_integer("judge_epochs", 30,
                     "Epochs of the real-image classifier that judges a generator trained here "
                     "(label agreement, FID, precision/recall/density/coverage in the "
                     "report); 0 skips it.")
flags.DEFINE_string("output_dir", "runs/evaluate", "Where the report files go.")

FLAGS = flags.FLAGS


def config_from_flags() -> evaluation.EvalConfig:
    """Maps the flags onto an `EvalConfig`, raising `app.UsageError` for bad values."""
    values = {field.name: getattr(FLAGS, field.name)
              for field in dataclasses.fields(evaluation.EvalConfig) if field.name != "generator"}
    try:
        values["minority_classes"] = tuple(int(c) for c in values["minority_classes"])
    except ValueError as error:
        raise app.UsageError(
            f"--minority_classes must be comma-separated class ids; got {FLAGS.minority_classes}"
        ) from error
    config = evaluation.EvalConfig(**values, generator="(resolved later)")
    try:
        config.validate()
    except ValueError as error:
        raise app.UsageError(f"--{error}") from error
    return config


def ignored_flags(config: evaluation.EvalConfig) -> list[str]:
    """Warnings for the flags given on the command line that `config.condition` ignores.

    A `--generator` passed to `--condition=classic` may be a user who meant another
    condition; a loop over conditions with the same flags is legitimate. So these are
    warnings, printed before anything runs, not usage errors.
    """
    entry = evaluation.registry.get(config.condition)
    samples = entry.generator_run is not None
    trains_one = samples and FLAGS.generator is None
    counts_steps = samples and "steps" in recipe_for(
        evaluation.generator_run_fields(entry.generator_run)["trainer"]).reads
    unused = {
        "generator": (not samples, "the conditions that sample from or read a generator"),
        "gan_steps": (not (trains_one and counts_steps),
                      "a generator trained here (a GAN condition without --generator) by "
                      "steps (DADA's runs train for epochs)"),
        "judge_epochs": (not trains_one, "a generator trained here (a GAN condition without "
                         "--generator)"),
        "gan_rate": (not getattr(entry.batches, "generated", False),
                     "the conditions whose batches hold generated images"),
        "dada_width_multiplier": (entry.network is not dada_network,
                                  "the conditions that train DADA's discriminator network"),
    }
    return [f"--{name} is ignored: it applies only to {applies_to}, not to "
            f"--condition={config.condition}"
            for name, (ignored, applies_to) in unused.items()
            if ignored and FLAGS[name].present]


def resolve_generator(config: evaluation.EvalConfig, output_dir: str) -> str | None:
    """The generator a GAN condition samples from: given, or trained here.

    A condition that reads its classifier from the run itself (`Condition.reads_run`,
    DADA's) gets the run's `model_dir`; the others a SavedModel export.
    """
    trainer = evaluation.generator_trainer(config.condition)
    if trainer is None:
        return None
    condition = evaluation.registry.get(config.condition)
    reads_run = condition.reads_run
    if FLAGS.generator:
        path = FLAGS.generator
        is_run = os.path.exists(os.path.join(path, "config.json"))
        if reads_run:
            if not is_run:
                raise app.UsageError(
                    f"--generator must be the model_dir of a {trainer} train run for "
                    f"--condition={config.condition} (it reads the run's classifier); "
                    f"got {path}")
            return path
        if is_run:
            export_dir = os.path.join(path, "export")
            if not savedmodels.list_versions(export_dir):
                runs.export_from_model_dir(path, export_dir)
            return export_dir
        if not os.path.exists(path):
            raise app.UsageError(f"--generator path does not exist: {path}")
        return path
    model_dir = os.path.join(output_dir, "generator")
    export_dir = os.path.join(model_dir, "export")
    train_config = runs.TrainConfig(
        **evaluation.generator_run_fields(trainer, FLAGS.gan_steps), dataset=config.dataset,
        data_dir=config.data_dir,
        image_size=config.image_size, count=config.count,
        minority_classes=config.minority_classes, imbalance_ratio=config.imbalance_ratio,
        checkpoint_every=min(250, FLAGS.gan_steps),
        model_dir=model_dir, seed=config.seed, export_dir=export_dir,
        **{"judge_epochs": FLAGS.judge_epochs, **condition.run_options},
    )
    check_generator_run(train_config)
    if not savedmodels.list_versions(export_dir):
        runs.train_generator(train_config)
    return model_dir if reads_run else export_dir


def check_generator_run(train_config) -> None:
    """Raises `app.UsageError` when `train_config.model_dir` holds a generator run begun
    with other settings: its export would be sampled from (or its run resumed) as if it
    had been trained for this evaluation (a second evaluation with another --count in
    the same --output_dir reported on the first one's generator without a word)."""
    recorded = recorded_run_config(train_config.model_dir)
    if recorded is None:
        return
    # Fields the trainer does not read cannot make its generator differ (a DADA run
    # recorded before its unread steps were left at their default).
    differences = setting_differences(
        recorded.get("train_config", {}), jsonio.to_jsonable(dataclasses.asdict(train_config)),
        skip=unread_fields(train_config.trainer))
    if differences:
        raise app.UsageError(
            f"{train_config.model_dir} holds a generator trained for another evaluation "
            f"({'; '.join(differences)}): choose another --output_dir, or pass that "
            f"generator as --generator to sample from it")


def check_generator_fits(path: str | None, info) -> None:
    """Raises `app.UsageError` when the generator at `path` makes images of another shape,
    or of another number of classes, than the evaluation's data (`info`).

    Before the classifier trains: `GANAugment` refuses such a generator too, but only once
    the first batch is drawn, inside Keras' traceback.
    """
    if path is None:
        return
    run = recorded_run_config(path)  # a train run's model_dir, or None
    made = (run["dataset"] if run is not None
            else savedmodels.read_metadata(savedmodels.resolve_version_dir(path)))
    theirs = (tuple(made["image_shape"]), int(made["num_classes"]))
    ours = (tuple(info.image_shape), int(info.num_classes))
    if theirs != ours:
        raise app.UsageError(
            f"--generator={path} makes {_shape_text(*theirs)}; this evaluation's data are "
            f"{_shape_text(*ours)}: choose a generator trained on this data (or its "
            f"--image_size)")


def _shape_text(image_shape: tuple, num_classes: int) -> str:
    return f"{'x'.join(str(n) for n in image_shape)} images of {num_classes} classes"


def generator_quality(path: str | None) -> dict | None:
    """The judged quality of the generator sampled from, if its run measured it.

    Args:
        path: the generator `resolve_generator` gave: a SavedModel export (its metadata's
            `quality`), a train run's `model_dir` (its `metrics.json`), or None.

    Returns:
        The quality dict (`tfgenaug.runs.model_dir.QUALITY_KEYS` and `step`), or None
        when the run measured none.
    """
    if path is None:
        return None
    if os.path.exists(os.path.join(path, "config.json")):  # a train run's model_dir
        return run_quality(path)
    return savedmodels.read_metadata(savedmodels.resolve_version_dir(path)).get("quality")


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"Unexpected arguments: {argv[1:]}")
    config = config_from_flags()
    for warning in ignored_flags(config):
        logging.warning(warning)
    try:
        # Data errors (count too large, bad classes) surface before any generator training.
        *_, info = evaluation.select_training_data(config)
        config.generator = resolve_generator(config, FLAGS.output_dir)
        check_generator_fits(config.generator, info)
        report = evaluation.evaluate_condition(config)
    except ValueError as error:
        raise app.UsageError(str(error)) from error
    quality = generator_quality(config.generator)
    if quality:
        report["generator_quality"] = quality
    paths = evaluation.write_report(report, FLAGS.output_dir)
    print(evaluation.report_markdown(report))
    print(f"Wrote {paths['json']}, {paths['markdown']} and {paths['confusion']}")


def run():
    """Console-script entry point."""
    app.run(main)


if __name__ == "__main__":
    run()
