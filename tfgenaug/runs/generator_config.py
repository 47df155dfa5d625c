"""What a generator run trains, on what, and where it writes: `TrainConfig`."""

import dataclasses

from tfgenaug import data
from tfgenaug import trainers
from tfgenaug.runs.generator_recipes import TRAINER_SPECIFIC_FIELDS
from tfgenaug.runs.generator_recipes import recipe_for
from tfgenaug.runs.generator_recipes import takes_n_critic
from tfgenaug.runs.generator_recipes import unread_fields
from tfgenaug.strategies import STRATEGIES
from tfgenaug.trainers import ada
from tfgenaug.trainers import compile_path
from tfgenaug.trainers import diffaugment
from tfgenaug.trainers import generator_ema
from tfgenaug.validation import check_positive_int


@dataclasses.dataclass
class TrainConfig:
    """What to train, on what, and where to write it.

    Attributes:
        trainer: name in `tfgenaug.trainers.TRAINERS` ("wgan_gp", "dcgan", "dada",
            "ssgan": Improved-GAN's semi-supervised GAN, whose product is its EMA
            discriminator as a classifier; it reports its test accuracy and is not
            judged by label agreement).
        dataset: "digits" or a TensorFlow Datasets name prepared in `data_dir`.
        data_dir: tfds data directory, or None for tfds' default.
        image_size: size of the images: an int >= 8 (squares), `(height, width)` with
            both >= 8, 0 or None for the data's native size (e.g. 100x60 images of a
            `folder:` dataset stay 100x60), or "auto": 16 for digits and tfds datasets,
            native for `folder:` and `npz:` data (see `tfgenaug.data.load`).
        count: images per class to train on (few-shot); 0 uses the whole train pool.
        minority_classes: classes made rare before training (DFG's imbalance protocol);
            empty keeps the data balanced.
        imbalance_ratio: each minority class keeps `int(imbalance_ratio * majority)`
            images; used only with `minority_classes`.
        batch_size: global batch size.
        steps: generator steps to reach (a restarted run continues to this number).
            DADA counts train steps (discriminator updates) and takes its number from
            `epochs` instead. The fields only some trainers read (`steps`, `width`,
            `critic_width`, `width_multiplier`, `gan_epochs`, `epochs`, `aug`,
            `aug_flip`; `generator_recipes.TRAINER_SPECIFIC_FIELDS`) must keep their
            defaults for a trainer that does not read them: `validate` refuses them.
        checkpoint_every: steps between checkpoints, sample grids and log lines.
        model_dir: where checkpoints, logs, samples and metrics go.
        seed: seed of the data selection, the weights and the training randomness.
        jit_compile: `True` (XLA), `False` or `"auto"`: XLA on an accelerator, on a CPU
            the faster of the two paths timed on the run's data at its start; a resumed
            run keeps the path recorded in its `config.json`
            (`tfgenaug.trainers.compile_path`).
        strategy: "default" (one device), "mirrored" (all local devices),
            "multi_worker" (`MultiWorkerMirroredStrategy`, every worker runs the same
            command with its own `TF_CONFIG`; the chief writes the run's files) or
            "tpu" (`TPUStrategy`); see `tfgenaug.strategies.make_strategy`.
        width: width of the generator.
        critic_width: width of the critic / discriminator.
        noise_dim: size of the noise vector.
        learning_rate: Adam learning rate of both networks; None takes the trainer's
            recipe's (`generator_recipes.DEFAULT_LEARNING_RATES`: 5e-4 for wgan_gp and
            dcgan, 3e-4 for dada).
        judge_epochs: epochs of the real-data classifier that measures label
            agreement; 0 skips the measurement.
        agreement_per_class: generated images per class for label agreement.
        export_dir: if set, the generator is exported there as a SavedModel (the next
            TF Serving version) when training ends.
        gan_epochs: DADA only: epochs over the (few-shot) training set of the GAN
            stage; the discriminator is then trained as a classifier.
        epochs: DADA only: total epochs over the training set. One epoch is
            `max(1, train_size // batch_size)` train steps, as the reference's
            `int(len(trainx) / batch_size)` batches.
        width_multiplier: dada and ssgan only: multiplies the reference's network widths.
        aug: DADA only: classic augmentation (rotation 20 degrees, shift 0.1) of the
            real images in the classifier stage.
        aug_flip: DADA only: with `aug`, also flip horizontally (natural images).
        diffaugment: wgan_gp/dcgan only: DiffAugment policy (Zhao et al. 2020), a
            comma-separated subset of "color,translation,cutout" applied to the real
            and generated images the critic sees; "" for none.
        ada_target: wgan_gp/dcgan only: adaptive discriminator augmentation's target
            overfitting signal in (0, 1) (0.6 in the paper), or None for none; see
            `tfgenaug.trainers.ada`. Uses the `diffaugment` policy (all three
            transformations when it is empty).
        ada_speed: images that move ADA's probability from 0 to 1.
        n_critic: critic steps per generator step of a trainer that takes them
            (wgan_gp, dagan), or None (default) for the measured default of its recipe:
            3 for wgan_gp (the main job's budget, `generator_recipes.WGAN_GP_RECIPE`),
            the trainer's own 5 for dagan; a resumed run keeps the steps it began with.
            Fewer make each step cheaper.
        g_ema_decay: the largest decay, in (0, 1), of an exponential moving average of
            the generator's weights that sampling, label agreement and the export then
            use (`tfgenaug.trainers.generator_ema`), or None (default) for none.
        deterministic: make training bit-reproducible: calls
            `tf.config.experimental.enable_op_determinism()` (process-wide, and it
            cannot be undone in the process) after `keras.utils.set_random_seed(seed)`.
            The same config then gives bit-identical losses, weights and samples on
            the same machine and software, and a killed run resumed from its
            checkpoint ends with exactly the weights of an uninterrupted one. Ops
            without a deterministic kernel raise instead of running. Without it, a
            resumed run matches an uninterrupted one only up to float rounding.
        spectral_norm: wgan_gp/dcgan only: spectral normalization of every critic layer
            instead of layer normalization (for large images, e.g. 128x128).
        unlabelled: ssgan and dada only: unlabelled images to learn from besides the labelled
            selection: "rest" (the train images the selection left out), a dataset
            name `tfgenaug.data.load` takes ("folder:<path>", "npz:<path>", a tfds
            name; its train images, labels ignored), or "" for none (the labelled
            images only). Batches are then half labelled, half unlabelled (see
            `tfgenaug.runs.unlabelled`); dada then trains with
            `semi_supervised=True` (an extension beyond the paper).

    For ssgan, `export_dir` receives the EMA classifier as a classifier SavedModel
    (its generator ignores the labels it is given, so it is not exported).
    """

    trainer: str = "wgan_gp"
    dataset: str = "digits"
    data_dir: str | None = None
    image_size: int | tuple[int, int] | str | None = data.AUTO_SIZE
    count: int = 0
    minority_classes: tuple[int, ...] = ()
    imbalance_ratio: float = 0.05
    batch_size: int = 64
    steps: int = 2000
    checkpoint_every: int = 250
    model_dir: str = "runs/wgan_gp_digits"
    seed: int = 0
    jit_compile: bool | str = compile_path.AUTO
    strategy: str = "default"
    width: int = 16
    critic_width: int = 64
    noise_dim: int = 128
    learning_rate: float | None = None
    judge_epochs: int = 30
    agreement_per_class: int = 100
    export_dir: str | None = None
    gan_epochs: int = 200
    epochs: int = 700
    width_multiplier: float = 0.25
    aug: bool = False
    aug_flip: bool = False
    diffaugment: str = ""
    ada_target: float | None = None
    ada_speed: int = 10_000
    n_critic: int | None = None
    g_ema_decay: float | None = None
    deterministic: bool = False
    spectral_norm: bool = False
    unlabelled: str = ""

    def validate(self) -> None:
        """Raises a ValueError naming the first bad field and its expected form."""
        trainers.get(self.trainer)
        try:
            data.parse_image_size(data.resolve_image_size(self.native_if_zero(), False))
        except ValueError:
            raise ValueError(
                f"image_size must be 'auto' (16 for digits and tfds, native for folder: and "
                f"npz:), 0 or None (native), an int >= 8 or (height, width) with both >= 8; "
                f"got {self.image_size!r}") from None
        compile_path.check_jit_compile(self.jit_compile)
        for name in ("batch_size", "steps", "checkpoint_every", "width", "critic_width",
                     "noise_dim", "agreement_per_class", "epochs"):
            check_positive_int(getattr(self, name), name)
        if isinstance(self.count, bool) or not isinstance(self.count, int) or self.count < 0:
            raise ValueError(f"count must be an integer >= 0 (0 = all images); got {self.count!r}")
        if self.judge_epochs < 0:
            raise ValueError(f"judge_epochs must be >= 0; got {self.judge_epochs}")
        if self.strategy not in STRATEGIES:
            raise ValueError(f"strategy must be one of {STRATEGIES}; got {self.strategy!r}")
        if isinstance(self.gan_epochs, bool) or not isinstance(self.gan_epochs, int) or (
            self.gan_epochs < 0
        ):
            raise ValueError(f"gan_epochs must be an integer >= 0; got {self.gan_epochs!r}")
        if not self.width_multiplier > 0:
            raise ValueError(f"width_multiplier must be > 0; got {self.width_multiplier}")
        if self.learning_rate is not None and not self.learning_rate > 0:
            raise ValueError(f"learning_rate must be > 0; got {self.learning_rate}")
        if not self.model_dir:
            raise ValueError("model_dir must be a non-empty path")
        diffaugment.parse_policy(self.diffaugment)
        recipe = recipe_for(self.trainer)
        if self.diffaugment and not recipe.critic_augmentation:
            raise ValueError(f"diffaugment applies to wgan_gp and dcgan; got trainer="
                             f"{self.trainer!r}{recipe.augmentation_hint}")
        ada.check_options(self.ada_target, self.ada_speed)
        generator_ema.check_g_ema_decay(self.g_ema_decay)
        if self.n_critic is not None:
            check_positive_int(self.n_critic, "n_critic")
            if not takes_n_critic(self.trainer):
                raise ValueError(f"n_critic applies to trainers with a critic loop (wgan_gp, "
                                 f"dagan); got trainer={self.trainer!r}")
        if self.ada_target is not None and not recipe.critic_augmentation:
            raise ValueError(f"ada_target applies to wgan_gp and dcgan; got trainer="
                             f"{self.trainer!r}")
        if self.spectral_norm and not recipe.critic_augmentation:
            raise ValueError(f"spectral_norm applies to wgan_gp and dcgan; got trainer="
                             f"{self.trainer!r}")
        if not isinstance(self.unlabelled, str):
            raise ValueError(f"unlabelled must be 'rest', a dataset name or ''; got "
                             f"{self.unlabelled!r}")
        if self.unlabelled and not recipe.takes_unlabelled:
            raise ValueError(f"unlabelled applies to ssgan and dada; got "
                             f"trainer={self.trainer!r}")
        if not isinstance(self.deterministic, bool):
            raise ValueError(f"deterministic must be True or False; got {self.deterministic!r}")
        unread = unread_settings(self)
        if unread:
            raise ValueError(
                f"{unread[0]}={getattr(self, unread[0])!r} does not apply to trainer="
                f"{self.trainer!r}, which would train without it: of "
                f"{', '.join(TRAINER_SPECIFIC_FIELDS)} it reads {', '.join(recipe.reads)} "
                "(leave the others at their defaults)")

    def native_if_zero(self):
        """`image_size` as `load` takes it: 0 is None (native), a list a tuple."""
        if self.image_size == 0:
            return None
        return tuple(self.image_size) if isinstance(self.image_size, list) else self.image_size

    def data_case(self) -> data.DataCase:
        """The `DataCase` this run trains on (the same images as every run of that case)."""
        return data.DataCase(
            dataset=self.dataset, image_size=self.native_if_zero(), data_dir=self.data_dir,
            count=self.count, minority_classes=self.minority_classes,
            imbalance_ratio=self.imbalance_ratio, seed=self.seed,
        )


def unread_settings(config: TrainConfig) -> list[str]:
    """The trainer-specific fields (`TRAINER_SPECIFIC_FIELDS`) set away from their defaults
    that `config.trainer` does not read (`TrainerRecipe.reads`): DADA trains for `epochs`,
    so `steps=100` was dropped and the run trained its 700 epochs.

    Example:
    ```python
    unread_settings(TrainConfig(trainer="dada", steps=100))  # ["steps"]
    ```
    """
    return [name for name in unread_fields(config.trainer)
            if getattr(config, name) != _DEFAULTS[name]]


_DEFAULTS = {field.name: field.default for field in dataclasses.fields(TrainConfig)}
