"""What differs between the generator trainers of a run: one `TrainerRecipe` per family.

`train_generator` asks the recipe of `TrainConfig.trainer` for the trainer's own
constructor arguments, its step schedule, its preparation before training and its own
report lines. A trainer registered in `tfgenaug.trainers.TRAINERS` without a recipe here
is a GAN trainer (`GAN_RECIPE`: width, critic width, DiffAugment, ADA).
"""

import dataclasses
import inspect
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from tfgenaug import data
from tfgenaug import trainers

if TYPE_CHECKING:
    from tfgenaug.runs.generator_config import TrainConfig


def dada_schedule(config: "TrainConfig", train_size: int) -> tuple[int, int]:
    """DADA's `(gan_steps, steps)` from `gan_epochs` and `epochs` over `train_size` images.

    An epoch is `max(1, train_size // batch_size)` steps: the reference runs
    `int(len(trainx) / batch_size)` batches per epoch (at least one here, so that
    fewer images than a batch still train).
    """
    per_epoch = max(1, train_size // config.batch_size)
    return config.gan_epochs * per_epoch, config.epochs * per_epoch


def _fixed_steps(config: "TrainConfig", train_size: int) -> tuple[int | None, int]:
    return None, config.steps


def _dada_steps(config: "TrainConfig", train_size: int) -> tuple[int | None, int]:
    gan_steps, total_steps = dada_schedule(config, train_size)
    print(f"DADA: {gan_steps} GAN steps, then {total_steps - gan_steps} classifier steps",
          flush=True)
    return gan_steps, total_steps


def _gan_arguments(config: "TrainConfig", gan_steps: int | None) -> dict:
    arguments = {
        "width": config.width,
        "critic_width": config.critic_width,
        "diffaugment": config.diffaugment or None,
        "ada_target": config.ada_target,
        "ada_speed": config.ada_speed,
    }
    # Only when asked: a trainer registered by a user (default recipe) need not know it.
    return {**arguments, "spectral_norm": True} if config.spectral_norm else arguments


def _dada_arguments(config: "TrainConfig", gan_steps: int | None) -> dict:
    return {
        "gan_steps": gan_steps if gan_steps is not None else config.gan_epochs,
        "width_multiplier": config.width_multiplier,
        "aug": config.aug,
        "aug_flip": config.aug_flip,
        "semi_supervised": bool(config.unlabelled),
    }


def _weight_norm_initialize(trainer, images: np.ndarray, selection: data.Selection) -> None:
    # The reference's data-dependent weight-norm initialisation of D, on up to 500
    # training images; a resumed run then overwrites it from the checkpoint.
    trainer.initialize(images[:500])


def _classifier_report(trainer, selection: data.Selection) -> dict:
    test_images, test_labels = selection.test_arrays
    accuracy = float(np.mean(trainer.classify(test_images) == test_labels))
    print(f"{type(trainer).__name__}'s EMA discriminator as classifier: test accuracy "
          f"{accuracy:.4f}", flush=True)
    return {"classifier_test_accuracy": accuracy}


def _ssgan_arguments(config: "TrainConfig", gan_steps: int | None) -> dict:
    return {"width_multiplier": config.width_multiplier}


def _dagan_arguments(config: "TrainConfig", gan_steps: int | None) -> dict:
    return {"width": config.width, "critic_width": config.critic_width}


def _keep_sources(trainer, images: np.ndarray, selection: data.Selection) -> None:
    # DAGAN samples by label from the run's training images (a checkpoint's bank,
    # the same images, replaces them on resume).
    trainer.set_sources(*selection.train_arrays)


def _same_class_pairs(config: "TrainConfig", selection: data.Selection):
    images, labels = selection.train_arrays

    def stream(start_step: int):
        return data.same_class_pairs(images, labels, config.batch_size, config.seed,
                                     start_step)
    return stream


@dataclasses.dataclass(frozen=True)
class TrainerRecipe:
    """How a generator run builds, schedules, prepares and reports one trainer family.

    Attributes:
        arguments: `(config, gan_steps) -> dict`, the trainer's own constructor
            arguments (besides image shape, classes, noise size and seed).
        learning_rate: Adam learning rate when `TrainConfig.learning_rate` is None.
        n_critic: critic steps per generator step when `TrainConfig.n_critic` is None,
            or None for the trainer's own default.
        schedule: `(config, train_size) -> (gan_steps or None, steps to reach)`.
        prepare: `(trainer, images, selection) -> None`, run in the strategy scope
            after the build (before any checkpoint is restored) with the run's
            training images (its unlabelled ones for a semi-supervised run) and its
            `data.Selection`, or None.
        batches: `(config, selection) -> (start_step -> tf.data.Dataset)`, the run's
            own batch stream (e.g. DAGAN's same-class pairs), or None for the seeded
            `(images, labels)` stream (or the mixed one of `mixed_batches`).
        report: `(trainer, selection) -> dict` of extra metrics on the chief, or None.
        critic_augmentation: takes `diffaugment`, `ada_target` and `spectral_norm`
            (a critic of `networks.conditional_critic`).
        augmentation_hint: appended to the error refusing `diffaugment`.
        takes_unlabelled: accepts `TrainConfig.unlabelled` images (batches of labelled
            images and unlabelled ones, label -1; see `runs.unlabelled`).
        always_mixed: trains on such mixed batches even without `unlabelled` (its
            labelled images are then its unlabelled ones too).
        class_faithful: its samples follow the labels asked for, so label agreement
            measures it; a trainer whose product is its classifier is not.
        reads: the fields of `TRAINER_SPECIFIC_FIELDS` its `arguments` and `schedule`
            read (the train binary refuses the others' flags: DADA trains for
            `epochs`, so a `--steps` given to it would be dropped without a word).
    """

    arguments: Callable[["TrainConfig", int | None], dict]
    learning_rate: float = 5e-4
    n_critic: int | None = None
    schedule: Callable[["TrainConfig", int], tuple[int | None, int]] = _fixed_steps
    prepare: Callable | None = None
    batches: Callable | None = None
    report: Callable | None = None
    critic_augmentation: bool = True
    augmentation_hint: str = ""
    takes_unlabelled: bool = False
    always_mixed: bool = False
    class_faithful: bool = True
    reads: tuple[str, ...] = ("steps", "width", "critic_width")

    def mixed_batches(self, config: "TrainConfig") -> bool:
        """Whether a run of `config` trains on labelled + unlabelled batches."""
        return self.always_mixed or (self.takes_unlabelled and bool(config.unlabelled))


# `TrainConfig` fields that only some trainers read (`TrainerRecipe.reads`).
TRAINER_SPECIFIC_FIELDS = ("steps", "width", "critic_width", "width_multiplier", "gan_epochs",
                           "epochs", "aug", "aug_flip")
GAN_RECIPE = TrainerRecipe(arguments=_gan_arguments)
# 3 critic steps, not WGANGP's own 5 (the WGAN-GP paper's): on the default run (digits
# 16x16, 2000 steps) they keep label agreement >= 0.95 on seeds 0-2 (0.976, 0.978, 0.976;
# `benchmarks/results/main_job_budget`) and take 0.67x the time of the whole command
# (`benchmarks/results/main_job_timing`, interleaved rounds on a quiet machine).
WGAN_GP_RECIPE = dataclasses.replace(GAN_RECIPE, n_critic=3)
DADA_RECIPE = TrainerRecipe(
    arguments=_dada_arguments, learning_rate=3e-4, schedule=_dada_steps,
    prepare=_weight_norm_initialize, report=_classifier_report, critic_augmentation=False,
    augmentation_hint=" (DADA augments with --aug)", takes_unlabelled=True,
    reads=("gan_epochs", "epochs", "width_multiplier", "aug", "aug_flip"),
)
SSGAN_RECIPE = TrainerRecipe(
    arguments=_ssgan_arguments, learning_rate=3e-4, prepare=_weight_norm_initialize,
    report=_classifier_report, critic_augmentation=False, takes_unlabelled=True,
    always_mixed=True,
    class_faithful=False, reads=("steps", "width_multiplier"),
)
DAGAN_RECIPE = TrainerRecipe(
    arguments=_dagan_arguments, learning_rate=1e-4, prepare=_keep_sources,
    batches=_same_class_pairs, critic_augmentation=False,
)
RECIPES = {"wgan_gp": WGAN_GP_RECIPE, "dcgan": GAN_RECIPE, "dada": DADA_RECIPE,
           "ssgan": SSGAN_RECIPE, "dagan": DAGAN_RECIPE}
# Adam learning rate when `TrainConfig.learning_rate` is None: the measured default of
# the textbook GANs here, and the reference's for DADA.
DEFAULT_LEARNING_RATES = {name: recipe.learning_rate for name, recipe in RECIPES.items()}


def takes_n_critic(trainer: str) -> bool:
    """Whether the trainer called `trainer` has an `n_critic` argument (wgan_gp, dagan)."""
    return "n_critic" in inspect.signature(trainers.get(trainer)).parameters


def recipe_for(trainer: str) -> TrainerRecipe:
    """The recipe of the trainer called `trainer` (`GAN_RECIPE` unless listed)."""
    return RECIPES.get(trainer, GAN_RECIPE)


def unread_fields(trainer: str) -> tuple[str, ...]:
    """The `TRAINER_SPECIFIC_FIELDS` the trainer called `trainer` does not read (its
    recipe's `reads`): what the train binary refuses as flags, `TrainConfig.validate`
    refuses away from their defaults, and the evaluate binary does not compare.

    Example:
    ```python
    unread_fields("dada")  # ("steps", "width", "critic_width")
    ```
    """
    reads = recipe_for(trainer).reads
    return tuple(name for name in TRAINER_SPECIFIC_FIELDS if name not in reads)


def build_trainer(
    config: "TrainConfig", info: data.DatasetInfo, gan_steps: int | None = None
) -> trainers.ConditionalGANTrainer:
    """Builds and compiles the trainer named in `config` in the current strategy scope.

    Args:
        config: a validated `TrainConfig`.
        info: the dataset's `DatasetInfo` (image shape, classes).
        gan_steps: DADA's stage-1 length in train steps (see `dada_schedule`).

    Returns:
        The compiled trainer, both Adam optimizers at the run's learning rate.
    """
    recipe = recipe_for(config.trainer)
    n_critic = recipe.n_critic if config.n_critic is None else config.n_critic
    trainer = trainers.get(config.trainer)(
        image_shape=info.image_shape,
        num_classes=info.num_classes,
        noise_dim=config.noise_dim,
        seed=config.seed,
        **recipe.arguments(config, gan_steps),
        **({} if n_critic is None else {"n_critic": n_critic}),
        # Only when asked: a trainer registered by a user need not know it.
        **({} if config.g_ema_decay is None else {"g_ema_decay": config.g_ema_decay}),
    )
    learning_rate = config.learning_rate or recipe.learning_rate
    optimizers = trainer.default_optimizers()
    for name in ("d_optimizer", "g_optimizer"):
        optimizers[name].learning_rate = learning_rate
    trainer.compile(**optimizers, jit_compile=config.jit_compile)
    return trainer
