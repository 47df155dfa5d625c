r"""Trains a class-conditional generator; rerunning the same command resumes it.

Example:
    python -m tfgenaug.bin.train --trainer=wgan_gp --dataset=digits --steps=3000 \
        --model_dir=runs/wgan_gp_digits
    python -m tfgenaug.bin.train --trainer=dada --batch_size=100 --dataset=digits \
        --count=10 --aug
    python -m tfgenaug.bin.train --trainer=dfg --dataset=digits --source_classes=0-4 \
        --target_classes=5-9 --minor_class_num=2 --imbalance_ratio=0.05 \
        --dfg_method=dfg --steps=1500 --model_dir=runs/dfg_digits

`--trainer=dfg` runs DFG's transfer experiment (`tfgenaug.dfg_experiment.run_dfg`):
E and C are pretrained on `--source_classes` (of `--source_dataset`, default
`--dataset`), then trained on the imbalanced `--target_classes` by `--dfg_method`
(original, delta or dfg); it reports accuracy, balanced accuracy and minority recall.

A run whose losses become NaN or infinite stops with exit status 1 and a message naming
the loss and the step; its newest checkpoint is then the last one with finite weights.
"""

import dataclasses

from absl import app
from absl import flags

from tfgenaug import callbacks
from tfgenaug import dfg_experiment
from tfgenaug import experiment
from tfgenaug import trainers

_DEFAULTS = experiment.TrainConfig()
_DFG_DEFAULTS = dfg_experiment.DFGConfig()
# DFG is not a ConditionalGANTrainer (it generates features, for a classifier): it is run
# by `dfg_experiment.run_dfg`, not through `trainers.TRAINERS` and `train_generator`.
DFG_TRAINER = "dfg"

flags.DEFINE_enum("trainer", _DEFAULTS.trainer, [*sorted(trainers.TRAINERS), DFG_TRAINER],
                  "Trainer to run (dfg: DFG's source-to-target transfer experiment).")
flags.DEFINE_string("dataset", _DEFAULTS.dataset,
                    "'digits' (bundled, offline) or a TensorFlow Datasets name prepared in "
                    "--data_dir (e.g. mnist, cifar10, svhn_cropped).")
flags.DEFINE_string("data_dir", None, "TensorFlow Datasets data directory.")
flags.DEFINE_integer("image_size", _DEFAULTS.image_size, "Image side: 8, 16, 32 or 64.")
flags.DEFINE_integer("count", _DEFAULTS.count,
                     "Images per class to train on (few-shot); 0 uses the whole train pool.")
flags.DEFINE_list("minority_classes", [],
                  "Comma-separated classes made rare before training (DFG's protocol), e.g. 0,1,2.")
flags.DEFINE_float("imbalance_ratio", _DEFAULTS.imbalance_ratio,
                   "Each minority class keeps int(imbalance_ratio * majority) images.")
flags.DEFINE_integer("batch_size", _DEFAULTS.batch_size, "Global batch size.")
flags.DEFINE_integer("steps", _DEFAULTS.steps,
                     "Generator steps to reach (not dada, which uses --epochs).")
flags.DEFINE_integer("checkpoint_every", _DEFAULTS.checkpoint_every,
                     "Steps between checkpoints and sample grids.")
flags.DEFINE_string("model_dir", None,
                    "Output directory (checkpoints, logs, samples.png, metrics.json). "
                    "Defaults to runs/<trainer>_<dataset>.")
flags.DEFINE_integer("seed", _DEFAULTS.seed, "Seed of data selection, weights and training.")
flags.DEFINE_bool("jit_compile", _DEFAULTS.jit_compile, "Compile training with XLA.")
flags.DEFINE_bool("deterministic", False,
                  "Bit-reproducible training: tf.config.experimental.enable_op_determinism() "
                  "and keras.utils.set_random_seed(--seed), so the same seed and flags give "
                  "the same losses, weights and samples on the same machine and software "
                  "(ops without a deterministic kernel then raise instead of running). "
                  "Needed for a killed and resumed run to end with exactly the weights of "
                  "an uninterrupted one.")
flags.DEFINE_enum("strategy", _DEFAULTS.strategy, list(experiment.STRATEGIES),
                  "tf.distribute strategy: default (one device), mirrored (all local "
                  "devices), multi_worker (MultiWorkerMirroredStrategy: run the same command "
                  "on every worker with its TF_CONFIG; the chief writes --model_dir) or tpu.")
flags.DEFINE_integer("width", _DEFAULTS.width, "Width of the generator.")
flags.DEFINE_integer("critic_width", _DEFAULTS.critic_width, "Width of the critic.")
flags.DEFINE_integer("noise_dim", _DEFAULTS.noise_dim, "Size of the noise vector.")
flags.DEFINE_float("learning_rate", _DEFAULTS.learning_rate,
                   "Adam learning rate; defaults to 5e-4 (wgan_gp, dcgan) or 3e-4 (dada).")
flags.DEFINE_integer("judge_epochs", _DEFAULTS.judge_epochs,
                     "Epochs of the real-data classifier measuring label agreement (0 skips).")
flags.DEFINE_integer("agreement_per_class", _DEFAULTS.agreement_per_class,
                     "Generated images per class for label agreement.")
flags.DEFINE_string("export_dir", None,
                    "If set, export the generator there as a SavedModel (TF Serving layout, "
                    "next version) when training ends.")

flags.DEFINE_integer("gan_epochs", _DEFAULTS.gan_epochs,
                     "dada: epochs over the training set of the GAN stage, before the "
                     "discriminator is trained as a classifier.")
flags.DEFINE_integer("epochs", _DEFAULTS.epochs,
                     "dada: total epochs over the training set (an epoch is "
                     "max(1, train size // batch size) steps).")
flags.DEFINE_float("width_multiplier", _DEFAULTS.width_multiplier,
                   "dada: multiplies the reference's network widths (1 = the paper's).")
flags.DEFINE_bool("aug", _DEFAULTS.aug,
                  "dada: rotate (20 degrees) and shift (0.1) real images in the classifier "
                  "stage.")
flags.DEFINE_string("diffaugment", _DEFAULTS.diffaugment,
                    "wgan_gp/dcgan: DiffAugment policy for the critic's inputs, a "
                    "comma-separated subset of color,translation,cutout (empty: none).")
flags.DEFINE_float("ada_target", None,
                   "wgan_gp/dcgan: adaptive discriminator augmentation (Karras et al. 2020): "
                   "the overfitting signal to hold, in (0, 1) (the paper's 0.6); unset: none. "
                   "Augments with the --diffaugment policy (all three when empty).")
flags.DEFINE_integer("ada_speed", _DEFAULTS.ada_speed,
                     "wgan_gp/dcgan with --ada_target: images that move the augmentation "
                     "probability from 0 to 1.")
flags.DEFINE_bool("aug_flip", _DEFAULTS.aug_flip,
                  "dada: with --aug, also flip horizontally (natural images, not digits).")

flags.DEFINE_string("source_dataset", None,
                    "dfg: dataset to pretrain E and C on (same image size and channels); "
                    "defaults to --dataset.")
flags.DEFINE_list("source_classes", "0-4",
                  "dfg: comma-separated source class ids or inclusive ranges (0-4,7) E and "
                  "C are pretrained on.")
flags.DEFINE_list("target_classes", "5-9",
                  "dfg: comma-separated target class ids or ranges, relabelled 0..K-1 in "
                  "this order.")
flags.DEFINE_integer("minor_class_num", _DFG_DEFAULTS.minor_class_num,
                     "dfg: how many target classes (a seeded choice) keep only "
                     "int(majority * --imbalance_ratio) train images.")
flags.DEFINE_enum("dfg_method", _DFG_DEFAULTS.method, list(dfg_experiment.METHODS),
                  "dfg: original (fine-tuning), delta (fine-tuning with DELTA's regularizer "
                  "toward the source) or dfg (feature generation).")
flags.DEFINE_enum("architecture", _DFG_DEFAULTS.architecture,
                  list(dfg_experiment.ARCHITECTURES),
                  "dfg: the split classifier E+C (vgg16 and resnet50 need --image_size >= 32).")
flags.DEFINE_string("weights", None,
                    "dfg: optional weights file of the architecture (e.g. ImageNet "
                    "notop .h5 fetched beforehand); nothing is downloaded.")
flags.DEFINE_integer("source_steps", _DFG_DEFAULTS.source_steps,
                     "dfg: source pretraining steps (cached in <model_dir>/source); 0 uses "
                     "--weights as the source model.")
flags.DEFINE_integer("attention_every", _DFG_DEFAULTS.attention_every,
                     "dfg: steps between updates of DFG's class attention.")
flags.DEFINE_string("source_dir", None,
                    "dfg: where the pretrained source E and C are cached (default "
                    "<model_dir>/source); give the three --dfg_method runs the same one to "
                    "pretrain once and compare them from the same weights.")
flags.DEFINE_integer("channels", None,
                     "dfg: convert source and target images to 1 (grayscale) or 3 (RGB) "
                     "channels, e.g. 1 for svhn_cropped with an emnist source.")

FLAGS = flags.FLAGS
# Flags of the GAN trainers that --trainer=dfg refuses when set (they would be ignored).
_NOT_FOR_DFG = ("count", "minority_classes", "strategy", "gan_epochs", "epochs",
                "width_multiplier", "aug", "aug_flip", "diffaugment", "ada_target",
                "ada_speed", "deterministic",
                "learning_rate", "width", "critic_width", "noise_dim", "judge_epochs",
                "agreement_per_class")
_DFG_ONLY = ("source_dataset", "source_classes", "target_classes", "minor_class_num",
             "dfg_method", "architecture", "weights", "source_steps", "attention_every",
             "channels", "source_dir")


def config_from_flags() -> experiment.TrainConfig:
    """Maps the flags onto a `TrainConfig`, raising `app.UsageError` for bad values."""
    values = {field.name: getattr(FLAGS, field.name)
              for field in dataclasses.fields(experiment.TrainConfig)}
    try:
        values["minority_classes"] = tuple(int(c) for c in values["minority_classes"])
    except ValueError as error:
        raise app.UsageError(
            f"--minority_classes must be comma-separated class ids; got {FLAGS.minority_classes}"
        ) from error
    if values["model_dir"] is None:
        values["model_dir"] = f"runs/{FLAGS.trainer}_{FLAGS.dataset}"
    config = experiment.TrainConfig(**values)
    try:
        config.validate()
    except ValueError as error:
        raise app.UsageError(f"--{error}") from error
    return config


def _class_ids(name: str) -> tuple[int, ...]:
    """Class ids of a list flag whose items are ids or inclusive ranges (`0-46`)."""
    ids = []
    try:
        for item in getattr(FLAGS, name):
            low, _, high = item.partition("-")
            ids += range(int(low), int(high) + 1) if high else [int(low)]
    except ValueError as error:
        raise app.UsageError(
            f"--{name} must be comma-separated class ids or ranges (e.g. 0-4,7); got "
            f"{','.join(getattr(FLAGS, name))}"
        ) from error
    return tuple(ids)


def dfg_config_from_flags() -> dfg_experiment.DFGConfig:
    """Maps the flags onto a `DFGConfig`, raising `app.UsageError` for bad values."""
    set_flags = [name for name in _NOT_FOR_DFG if FLAGS[name].present]
    if set_flags:
        raise app.UsageError(
            f"--{set_flags[0]} does not apply to --trainer=dfg"
            + (" (use --minor_class_num and --imbalance_ratio)"
               if set_flags[0] in ("count", "minority_classes") else "")
        )
    config = dfg_experiment.DFGConfig(
        dataset=FLAGS.dataset,
        data_dir=FLAGS.data_dir,
        image_size=FLAGS.image_size,
        source_classes=_class_ids("source_classes"),
        target_classes=_class_ids("target_classes"),
        minor_class_num=FLAGS.minor_class_num,
        imbalance_ratio=FLAGS.imbalance_ratio,
        method=FLAGS.dfg_method,
        steps=FLAGS.steps,
        source_steps=FLAGS.source_steps,
        batch_size=FLAGS.batch_size,
        seed=FLAGS.seed,
        model_dir=FLAGS.model_dir or f"runs/dfg_{FLAGS.dfg_method}_{FLAGS.dataset}",
        jit_compile=FLAGS.jit_compile,
        architecture=FLAGS.architecture,
        weights=FLAGS.weights,
        source_dataset=FLAGS.source_dataset,
        checkpoint_every=FLAGS.checkpoint_every,
        attention_every=FLAGS.attention_every,
        export_dir=FLAGS.export_dir,
        channels=FLAGS.channels,
        source_dir=FLAGS.source_dir,
    )
    try:
        config.validate()
    except ValueError as error:
        raise app.UsageError(f"--{error}") from error
    return config


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"Unexpected arguments: {argv[1:]}")
    if FLAGS.trainer == DFG_TRAINER:
        config = dfg_config_from_flags()
        train_fn = dfg_experiment.run_dfg
    else:
        dfg_only = [name for name in _DFG_ONLY if FLAGS[name].present]
        if dfg_only:
            raise app.UsageError(f"--{dfg_only[0]} applies only to --trainer=dfg")
        config = config_from_flags()
        train_fn = experiment.train_generator
    try:
        train_fn(config)
    except ValueError as error:
        raise app.UsageError(str(error)) from error
    except callbacks.NonFiniteLossError as error:
        # Not a usage error: exit 1 with the message (which loss, which step).
        raise SystemExit(f"FATAL: {error}") from error


def run():
    """Console-script entry point."""
    app.run(main)


if __name__ == "__main__":
    run()
