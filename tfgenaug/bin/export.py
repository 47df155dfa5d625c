r"""Exports the generator of a train run as a SavedModel in TF Serving's layout.

Restores the newest checkpoint of `--model_dir` (written by `tfgenaug.bin.train`) and
writes `--export_dir/<version>/` atomically; prints the path of that directory.

Example:
    python -m tfgenaug.bin.export --model_dir=runs/wgan_gp_digits \
        --export_dir=exports/wgan_gp_digits
"""

import posixpath

import tensorflow as tf
from absl import app
from absl import flags

from tfgenaug import runs
from tfgenaug import savedmodels
from tfgenaug.runs.same_run import setting_differences

flags.DEFINE_string("model_dir", None,
                    "Output directory of tfgenaug.bin.train (config.json, checkpoints/).")
flags.DEFINE_string("export_dir", None,
                    "TF Serving base directory; the export goes to <export_dir>/<version>/.")
flags.DEFINE_integer("version", None,
                     "Version number to write (>= 0); defaults to one more than the largest "
                     "existing version (1 in an empty directory).")
flags.DEFINE_string("checkpoint", None,
                    "Checkpoint prefix to export (e.g. runs/x/checkpoints/ckpt-250); "
                    "defaults to the newest in <model_dir>/checkpoints.")

FLAGS = flags.FLAGS


def check_flags() -> None:
    """Raises `app.UsageError` naming the first missing or bad flag (no I/O)."""
    if not FLAGS.model_dir:
        raise app.UsageError("--model_dir is required: the output directory of "
                             "tfgenaug.bin.train")
    if not FLAGS.export_dir:
        raise app.UsageError("--export_dir is required: the TF Serving base directory")
    if FLAGS.version is not None and FLAGS.version < 0:
        raise app.UsageError(f"--version must be >= 0; got {FLAGS.version}")


def check_checkpoint_run(model_dir: str, checkpoint: str) -> None:
    """Raises `app.UsageError` when `checkpoint` lies in another train run whose trainer
    differs from `model_dir`'s.

    The export rebuilds the trainer from `model_dir`'s `config.json` and labels the
    SavedModel with it; another run's checkpoint of a trainer with the same variables
    (a DCGAN's into a WGAN-GP of the same widths) would restore without an error and
    give an export whose metadata names the wrong trainer.
    """
    checkpoint_run = posixpath.dirname(posixpath.dirname(checkpoint))
    try:
        theirs = runs.read_run_config(checkpoint_run)
    except (FileNotFoundError, ValueError):
        return  # not inside a train run: a checkpoint the user moved; restoring checks it
    ours = runs.read_run_config(model_dir)
    if theirs["trainer_class"] != ours["trainer_class"]:
        difference = (f"a {theirs['trainer_class']} run (--model_dir={model_dir} is a "
                      f"{ours['trainer_class']} run)")
    else:
        # Scalar settings only (as a resumed run compares them): the nested network
        # configs are what those build, in a form that changes with Keras' version.
        differences = setting_differences(ours["trainer_config"], theirs["trainer_config"],
                                          scalars_only=True)
        if not differences:
            return
        difference = (f"whose {ours['trainer_class']} differs from --model_dir={model_dir}'s "
                      f"({'; '.join(differences)})")
    raise app.UsageError(f"--checkpoint={checkpoint} belongs to the train run "
                         f"{checkpoint_run}, {difference}: export with "
                         f"--model_dir={checkpoint_run}")


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"Unexpected arguments: {argv[1:]}")
    check_flags()
    if not tf.io.gfile.isdir(FLAGS.model_dir):
        raise app.UsageError(f"--model_dir={FLAGS.model_dir} is not a directory")
    try:
        runs.read_run_config(FLAGS.model_dir)
    except (FileNotFoundError, ValueError) as error:
        raise app.UsageError(f"--model_dir={FLAGS.model_dir}: {error}") from error
    if FLAGS.checkpoint and not tf.io.gfile.exists(FLAGS.checkpoint + ".index"):
        raise app.UsageError(
            f"--checkpoint={FLAGS.checkpoint} is not a checkpoint: "
            f"{FLAGS.checkpoint}.index does not exist"
        )
    if FLAGS.checkpoint:
        check_checkpoint_run(FLAGS.model_dir, FLAGS.checkpoint)
    if FLAGS.version is not None and FLAGS.version in savedmodels.list_versions(
        FLAGS.export_dir
    ):
        raise app.UsageError(
            f"--version={FLAGS.version} already exists in {FLAGS.export_dir}: choose another "
            "version or leave --version unset for the next one"
        )
    try:
        path = runs.export_from_model_dir(
            FLAGS.model_dir, FLAGS.export_dir, version=FLAGS.version,
            checkpoint=FLAGS.checkpoint,
        )
    except (FileNotFoundError, ValueError) as error:
        raise app.UsageError(str(error)) from error
    print(path, flush=True)


def run():
    """Console-script entry point."""
    app.run(main)


if __name__ == "__main__":
    run()
