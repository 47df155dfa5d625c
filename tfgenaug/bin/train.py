r"""Trains a class-conditional generator; rerunning the same command resumes it.

Example:
    python -m tfgenaug.bin.train --trainer=wgan_gp --dataset=digits --steps=3000 \
        --model_dir=runs/wgan_gp_digits
    python -m tfgenaug.bin.train --trainer=dada --batch_size=100 --dataset=digits \
        --count=10 --aug
    python -m tfgenaug.bin.train --trainer=ssgan --count=5 --unlabelled=rest \
        --batch_size=100 --steps=3000 --width_multiplier=0.5
    python -m tfgenaug.bin.train --trainer=dfg --dataset=digits --source_classes=0-4 \
        --target_classes=5-9 --minor_class_num=2 --imbalance_ratio=0.05 \
        --dfg_method=dfg --steps=1500 --model_dir=runs/dfg_digits

`--trainer=dfg` runs DFG's transfer experiment (`tfgenaug.runs.run_dfg`):
E and C are pretrained on `--source_classes` (of `--source_dataset`, default
`--dataset`), then trained on the imbalanced `--target_classes` by `--dfg_method`
(original, delta or dfg); it reports accuracy, balanced accuracy and minority recall.

`--trainer=ssgan` trains Improved-GAN's semi-supervised GAN on the labelled `--count`
images and the `--unlabelled` ones, and reports its EMA discriminator's test accuracy.

A run whose losses become NaN or infinite stops with exit status 1 and a message naming
the loss and the step; its newest checkpoint is then the last one with finite weights.
"""

import dataclasses
from collections.abc import Callable

from absl import app
from absl import flags

from tfgenaug import callbacks
from tfgenaug import data
from tfgenaug import runs
from tfgenaug import strategies
from tfgenaug import trainers
from tfgenaug.bin import jit_flag
from tfgenaug.runs.generator_recipes import TRAINER_SPECIFIC_FIELDS
from tfgenaug.runs.generator_recipes import recipe_for
from tfgenaug.runs.generator_recipes import unread_fields

_DEFAULTS = runs.TrainConfig()
_DFG_DEFAULTS = runs.DFGConfig()
# DFG is not a ConditionalGANTrainer (it generates features, for a classifier): it is run
# by `runs.run_dfg`, not through `trainers.TRAINERS` and `train_generator`.
DFG_TRAINER = "dfg"

flags.DEFINE_enum("trainer", _DEFAULTS.trainer, [*sorted(trainers.TRAINERS), DFG_TRAINER],
                  "Trainer to run (dfg: DFG's source-to-target transfer experiment).")
flags.DEFINE_string("dataset", _DEFAULTS.dataset,
                    "'digits' (bundled, offline) or a TensorFlow Datasets name prepared in "
                    "--data_dir (e.g. mnist, cifar10, svhn_cropped).")
flags.DEFINE_string("data_dir", None, "TensorFlow Datasets data directory.")
flags.DEFINE_string("image_size", _DEFAULTS.image_size,
                    "Image size: a side >= 8 (e.g. 28), HEIGHTxWIDTH (e.g. 100x60), 'native' "
                    "(or 0), or 'auto': 16 for digits and tfds, native for folder: and npz: "
                    "(dfg: a side, 'auto' = 16).")
flags.DEFINE_bool("spectral_norm", _DEFAULTS.spectral_norm,
                  "wgan_gp/dcgan: spectral normalization of every critic layer instead of "
                  "layer normalization (for large images, e.g. --image_size=128).")
flags.DEFINE_string("unlabelled", _DEFAULTS.unlabelled,
                    "ssgan, dada: unlabelled images to learn from besides the labelled ones "
                    "(dada: its semi_supervised extension): 'rest' "
                    "(the train images --count left out), a dataset name as --dataset takes "
                    "(folder:<path>, npz:<path>, a tfds name; labels ignored), or '' for "
                    "none.")
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
jit_flag.define_jit_compile(
    _DEFAULTS.jit_compile,
    "auto (default): XLA on an accelerator; on a CPU the faster of XLA and the plain graph, "
    "timed on a few steps at the run's start (a resumed run keeps its choice). true or "
    "false force it (--nojit_compile = false).")
flags.DEFINE_bool("deterministic", False,
                  "Bit-reproducible training: tf.config.experimental.enable_op_determinism() "
                  "and keras.utils.set_random_seed(--seed), so the same seed and flags give "
                  "the same losses, weights and samples on the same machine and software "
                  "(ops without a deterministic kernel then raise instead of running). "
                  "Needed for a killed and resumed run to end with exactly the weights of "
                  "an uninterrupted one.")
flags.DEFINE_enum("strategy", _DEFAULTS.strategy, list(strategies.STRATEGIES),
                  "tf.distribute strategy: default (one device), mirrored (all local "
                  "devices), multi_worker (MultiWorkerMirroredStrategy: run the same command "
                  "on every worker with its TF_CONFIG; the chief writes --model_dir) or tpu.")
flags.DEFINE_integer("width", _DEFAULTS.width, "Width of the generator.")
flags.DEFINE_integer("critic_width", _DEFAULTS.critic_width, "Width of the critic.")
flags.DEFINE_integer("noise_dim", _DEFAULTS.noise_dim, "Size of the noise vector.")
flags.DEFINE_float("learning_rate", _DEFAULTS.learning_rate,
                   "Adam learning rate; defaults to 5e-4 (wgan_gp, dcgan) or 3e-4 (dada, ssgan).")
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
                   "dada, ssgan: multiplies the reference's network widths (1 = the paper's).")
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
flags.DEFINE_integer("n_critic", None,
                     "wgan_gp/dagan: critic steps per generator step; unset: 3 for "
                     "wgan_gp (measured to keep label agreement on the default run), 5 "
                     "for dagan; a resumed run keeps the steps it began with.")
flags.DEFINE_float("g_ema_decay", None,
                   "GAN trainers: sample, judge and export an exponential moving average of "
                   "the generator's weights with this largest decay in (0, 1) (0.999 is "
                   "usual); unset: the generator's own weights.")
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
flags.DEFINE_enum("dfg_method", _DFG_DEFAULTS.method, list(runs.METHODS),
                  "dfg: original (fine-tuning), delta (fine-tuning with DELTA's regularizer "
                  "toward the source) or dfg (feature generation).")
flags.DEFINE_enum("architecture", _DFG_DEFAULTS.architecture,
                  list(runs.ARCHITECTURES),
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


def _image_size(name: str):
    """`--image_size` as `TrainConfig.image_size`: "auto", None (native), a side or (h, w)."""
    try:
        return data.parse_image_size_text(getattr(FLAGS, name))
    except ValueError as error:
        raise app.UsageError(f"--{error}") from error


def _dfg_image_size(name: str) -> int:
    """`--image_size` for `--trainer=dfg`: a square's side ("auto" is DFGConfig's default)."""
    size = _image_size(name)
    if size == data.AUTO_SIZE:
        return _DFG_DEFAULTS.image_size
    if not isinstance(size, int):
        raise app.UsageError(f"--image_size must be one side (square images) for "
                             f"--trainer=dfg, e.g. 32; got {getattr(FLAGS, name)!r}")
    return size


def _ids(name: str) -> tuple[int, ...]:
    """Class ids of a list flag of plain ids."""
    try:
        return tuple(int(c) for c in getattr(FLAGS, name))
    except ValueError as error:
        raise app.UsageError(
            f"--{name} must be comma-separated class ids; got {getattr(FLAGS, name)}"
        ) from error


@dataclasses.dataclass(frozen=True)
class RunKind:
    """How the flags become the config of one kind of run, and which function runs it.

    Every field of `config_class` is read from the flag of the same name (or the one
    `flag_names` gives); a set flag that only the other kind reads is refused.

    Attributes:
        config_class: the config dataclass (`runs.TrainConfig` or `runs.DFGConfig`).
        run: `config -> metrics`, the function training it.
        model_dir: `(--model_dir's value) -> str`, the run's model_dir (a default when
            the flag is unset).
        refusal: message for a set flag of the other kind, formatted with `flag`.
        flag_names: `{field: flag}` where the flag is named otherwise.
        parsers: `{flag: parse(flag name) -> value}` for flags not read as they are.
        hints: `{flag: text}` appended to the refusal of that flag.
    """

    config_class: type
    run: Callable
    model_dir: Callable[[str | None], str]
    refusal: str
    flag_names: dict = dataclasses.field(default_factory=dict)
    parsers: dict = dataclasses.field(default_factory=dict)
    hints: dict = dataclasses.field(default_factory=dict)

    def flags(self) -> list[str]:
        """The flags this kind of run reads, in the order of its config's fields."""
        return [self.flag_names.get(f.name, f.name)
                for f in dataclasses.fields(self.config_class)]


_USE_DFG_IMBALANCE = " (use --minor_class_num and --imbalance_ratio)"
GENERATOR_RUN = RunKind(
    config_class=runs.TrainConfig, run=runs.train_generator,
    model_dir=lambda given: (f"runs/{FLAGS.trainer}_{data.short_name(FLAGS.dataset)}"
                             if given is None else given),
    refusal="--{flag} applies only to --trainer=dfg",
    parsers={"minority_classes": _ids, "image_size": _image_size},
)
DFG_RUN = RunKind(
    config_class=runs.DFGConfig, run=runs.run_dfg,
    model_dir=lambda given: (given
                             or f"runs/dfg_{FLAGS.dfg_method}_{data.short_name(FLAGS.dataset)}"),
    refusal="--{flag} does not apply to --trainer=dfg",
    flag_names={"method": "dfg_method"},
    parsers={"source_classes": _class_ids, "target_classes": _class_ids,
             "image_size": _dfg_image_size},
    hints={"count": _USE_DFG_IMBALANCE, "minority_classes": _USE_DFG_IMBALANCE},
)


def run_kind() -> RunKind:
    """The kind of run `--trainer` asks for."""
    return DFG_RUN if FLAGS.trainer == DFG_TRAINER else GENERATOR_RUN


# Flags that tune another one and do nothing without it.
TUNING_FLAGS = {"ada_speed": "ada_target"}


def check_tuning_flags() -> None:
    """Raises `app.UsageError` for a flag given without the flag it tunes (`--ada_speed`
    without `--ada_target` trained without ADA, the speed dropped without a word)."""
    for name, tuned in TUNING_FLAGS.items():
        if FLAGS[name].present and getattr(FLAGS, tuned) is None:
            raise app.UsageError(f"--{name} tunes --{tuned}, which is not set: set --{tuned} "
                                 f"too (or leave --{name} out)")


def check_trainer_reads(trainer: str) -> None:
    """Raises `app.UsageError` for a flag given on the command line that `trainer` does
    not read (`TrainerRecipe.reads`): `--steps` to DADA, which trains for `--epochs`,
    was dropped without a word and the run trained for hours."""
    for name in unread_fields(trainer):
        if FLAGS[name].present:
            raise app.UsageError(
                f"--{name} does not apply to --trainer={trainer}; of "
                f"{', '.join('--' + flag for flag in TRAINER_SPECIFIC_FIELDS)} it reads "
                f"{', '.join('--' + flag for flag in recipe_for(trainer).reads)}")


def check_method_reads(method: str) -> None:
    """Raises `app.UsageError` for a flag given on the command line that DFG's `method`
    does not read (`--attention_every` with `--dfg_method=original` was dropped without
    a word)."""
    for name, methods in runs.METHOD_SPECIFIC_FIELDS.items():
        if method not in methods and FLAGS[name].present:
            raise app.UsageError(
                f"--{name} applies only to --dfg_method={' or '.join(methods)}; got "
                f"--dfg_method={method}")


def config_from_flags(kind: RunKind | None = None):
    """Maps the flags onto the config of `kind` (default: `run_kind()`), validated.

    Raises:
        app.UsageError: a flag only the other kind of run reads is set, or a value is
            bad; the message names the flag.
    """
    kind = kind or run_kind()
    other = DFG_RUN if kind is GENERATOR_RUN else GENERATOR_RUN
    own = {"trainer", *kind.flags()}
    refused = [name for name in other.flags() if name not in own and FLAGS[name].present]
    if refused:
        raise app.UsageError(kind.refusal.format(flag=refused[0])
                             + kind.hints.get(refused[0], ""))
    if kind is GENERATOR_RUN:
        check_trainer_reads(FLAGS.trainer)
        check_tuning_flags()
    else:
        check_method_reads(FLAGS.dfg_method)
    values = {}
    for field in dataclasses.fields(kind.config_class):
        flag = kind.flag_names.get(field.name, field.name)
        parse = kind.parsers.get(flag)
        values[field.name] = parse(flag) if parse else getattr(FLAGS, flag)
    values["model_dir"] = kind.model_dir(values["model_dir"])
    config = kind.config_class(**values)
    try:
        config.validate()
    except ValueError as error:
        raise app.UsageError(f"--{error}") from error
    return config


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"Unexpected arguments: {argv[1:]}")
    kind = run_kind()
    config = config_from_flags(kind)
    try:
        kind.run(config)
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
