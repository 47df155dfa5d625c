r"""Trains a class-conditional generator; rerunning the same command resumes it.

Example:
    python -m tfgenaug.bin.train --trainer=wgan_gp --dataset=digits --steps=3000 \
        --model_dir=runs/wgan_gp_digits
    python -m tfgenaug.bin.train --trainer=dada --batch_size=100 --dataset=digits \
        --count=10 --aug

A run whose losses become NaN or infinite stops with exit status 1 and a message naming
the loss and the step; its newest checkpoint is then the last one with finite weights.
"""

import dataclasses

from absl import app
from absl import flags

from tfgenaug import callbacks
from tfgenaug import experiment
from tfgenaug import trainers

_DEFAULTS = experiment.TrainConfig()

flags.DEFINE_enum("trainer", _DEFAULTS.trainer, sorted(trainers.TRAINERS), "Trainer to run.")
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
flags.DEFINE_bool("aug_flip", _DEFAULTS.aug_flip,
                  "dada: with --aug, also flip horizontally (natural images, not digits).")

FLAGS = flags.FLAGS


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


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"Unexpected arguments: {argv[1:]}")
    config = config_from_flags()
    try:
        experiment.train_generator(config)
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
