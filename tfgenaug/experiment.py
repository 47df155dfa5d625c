"""Train a generator on a dataset, with checkpoints, resume, sample grids and a report.

This is what `python -m tfgenaug.bin.train` runs; notebooks can call it directly.
"""

import dataclasses
import hashlib
import math
import os

import keras
import numpy as np
import tensorflow as tf
from absl import logging

from tfgenaug import callbacks
from tfgenaug import data
from tfgenaug import jsonio
from tfgenaug import metrics
from tfgenaug import savedmodels
from tfgenaug import strategies
from tfgenaug import trainers
from tfgenaug.callbacks.checkpoint import generator_steps
from tfgenaug.networks.validation import check_positive_int
from tfgenaug.trainers import ada
from tfgenaug.trainers import diffaugment

STRATEGIES = strategies.STRATEGIES
make_strategy = strategies.make_strategy
# Adam learning rate when `TrainConfig.learning_rate` is None: the measured default of
# the textbook GANs here, and the reference's for DADA.
DEFAULT_LEARNING_RATES = {"wgan_gp": 5e-4, "dcgan": 5e-4, "dada": 3e-4}


@dataclasses.dataclass
class TrainConfig:
    """What to train, on what, and where to write it.

    Attributes:
        trainer: name in `tfgenaug.trainers.TRAINERS` ("wgan_gp", "dcgan", "dada").
        dataset: "digits" or a TensorFlow Datasets name prepared in `data_dir`.
        data_dir: tfds data directory, or None for tfds' default.
        image_size: side of the (square) images: 8, 16, 32 or 64.
        count: images per class to train on (few-shot); 0 uses the whole train pool.
        minority_classes: classes made rare before training (DFG's imbalance protocol);
            empty keeps the data balanced.
        imbalance_ratio: each minority class keeps `int(imbalance_ratio * majority)`
            images; used only with `minority_classes`.
        batch_size: global batch size.
        steps: generator steps to reach (a restarted run continues to this number).
            DADA counts train steps (discriminator updates) and takes its number from
            `epochs` instead.
        checkpoint_every: steps between checkpoints, sample grids and log lines.
        model_dir: where checkpoints, logs, samples and metrics go.
        seed: seed of the data selection, the weights and the training randomness.
        jit_compile: compile training with XLA.
        strategy: "default" (one device), "mirrored" (all local devices),
            "multi_worker" (`MultiWorkerMirroredStrategy`, every worker runs the same
            command with its own `TF_CONFIG`; the chief writes the run's files) or
            "tpu" (`TPUStrategy`); see `tfgenaug.strategies.make_strategy`.
        width: width of the generator.
        critic_width: width of the critic / discriminator.
        noise_dim: size of the noise vector.
        learning_rate: Adam learning rate of both networks; None takes the trainer's
            entry in `DEFAULT_LEARNING_RATES` (5e-4 for wgan_gp/dcgan, 3e-4 for dada).
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
        width_multiplier: DADA only: multiplies the reference's network widths.
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
        deterministic: make training bit-reproducible: calls
            `tf.config.experimental.enable_op_determinism()` (process-wide, and it
            cannot be undone in the process) after `keras.utils.set_random_seed(seed)`.
            The same config then gives bit-identical losses, weights and samples on
            the same machine and software, and a killed run resumed from its
            checkpoint ends with exactly the weights of an uninterrupted one. Ops
            without a deterministic kernel raise instead of running. Without it, a
            resumed run matches an uninterrupted one only up to float rounding.
    """

    trainer: str = "wgan_gp"
    dataset: str = "digits"
    data_dir: str | None = None
    image_size: int = 16
    count: int = 0
    minority_classes: tuple[int, ...] = ()
    imbalance_ratio: float = 0.05
    batch_size: int = 64
    steps: int = 2000
    checkpoint_every: int = 250
    model_dir: str = "runs/wgan_gp_digits"
    seed: int = 0
    jit_compile: bool = True
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
    deterministic: bool = False

    def validate(self) -> None:
        """Raises a ValueError naming the first bad field and its expected form."""
        trainers.get(self.trainer)
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
        if self.diffaugment and self.trainer == "dada":
            raise ValueError("diffaugment applies to wgan_gp and dcgan; got trainer='dada' "
                             "(DADA augments with --aug)")
        ada.check_options(self.ada_target, self.ada_speed)
        if self.ada_target is not None and self.trainer == "dada":
            raise ValueError("ada_target applies to wgan_gp and dcgan; got trainer='dada'")
        if not isinstance(self.deterministic, bool):
            raise ValueError(f"deterministic must be True or False; got {self.deterministic!r}")


def build_trainer(
    config: TrainConfig, info: data.DatasetInfo, gan_steps: int | None = None
) -> trainers.ConditionalGANTrainer:
    """Builds and compiles the trainer named in `config` in the current strategy scope.

    `gan_steps` is DADA's stage-1 length in train steps (see `dada_schedule`).
    """
    trainer_cls = trainers.get(config.trainer)
    if config.trainer == "dada":
        trainer = trainer_cls(
            image_shape=info.image_shape,
            num_classes=info.num_classes,
            noise_dim=config.noise_dim,
            gan_steps=gan_steps if gan_steps is not None else config.gan_epochs,
            width_multiplier=config.width_multiplier,
            aug=config.aug,
            aug_flip=config.aug_flip,
            seed=config.seed,
        )
    else:
        trainer = trainer_cls(
            image_shape=info.image_shape,
            num_classes=info.num_classes,
            noise_dim=config.noise_dim,
            width=config.width,
            critic_width=config.critic_width,
            diffaugment=config.diffaugment or None,
            ada_target=config.ada_target,
            ada_speed=config.ada_speed,
            seed=config.seed,
        )
    learning_rate = config.learning_rate or DEFAULT_LEARNING_RATES.get(config.trainer, 5e-4)
    d_optimizer, g_optimizer = trainer.default_optimizers()
    d_optimizer.learning_rate = learning_rate
    g_optimizer.learning_rate = learning_rate
    trainer.compile(d_optimizer=d_optimizer, g_optimizer=g_optimizer,
                    jit_compile=config.jit_compile)
    return trainer


def dada_schedule(config: TrainConfig, train_size: int) -> tuple[int, int]:
    """DADA's `(gan_steps, steps)` from `gan_epochs` and `epochs` over `train_size` images.

    An epoch is `max(1, train_size // batch_size)` steps: the reference runs
    `int(len(trainx) / batch_size)` batches per epoch (at least one here, so that
    fewer images than a batch still train).
    """
    per_epoch = max(1, train_size // config.batch_size)
    return config.gan_epochs * per_epoch, config.epochs * per_epoch


def training_steps(trainer) -> int:
    """The steps a run counts: train steps for DADA, generator steps for the others."""
    steps_fn = getattr(trainer, "train_steps", None)
    return int(steps_fn()) if callable(steps_fn) else generator_steps(trainer)


def training_stream(train: tf.data.Dataset, batch_size: int, seed: int, start_step: int):
    """The endless, seeded batch stream, positioned at `start_step` for an exact resume."""
    ds = train.cache().shuffle(4096, seed=seed, reshuffle_each_iteration=True).repeat()
    ds = ds.batch(batch_size, drop_remainder=True)
    options = tf.data.Options()
    # In-memory data has no files to shard: multi-worker training shards the batches.
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return ds.skip(start_step).prefetch(tf.data.AUTOTUNE).with_options(options)


def train_generator(config: TrainConfig, verbose="auto") -> dict:
    """Trains (or resumes training of) a conditional generator and reports on it.

    Writes to `config.model_dir`: `checkpoints/`, `logs/` (TensorBoard scalars and
    sample images), `samples.png` (one row per class), `config.json` and
    `metrics.json` (label agreement, overall and per class); with
    `config.export_dir`, a SavedModel version there.

    Args:
        config: a `TrainConfig`.
        verbose: Keras `fit` verbosity. Defaults to `"auto"`.

    Returns:
        The metrics dict written to `metrics.json`.

    Raises:
        ValueError: a bad field of `config`, naming it; or data that cannot serve
            (e.g. `count` larger than the smallest class).
        callbacks.NonFiniteLossError: a loss became NaN or infinite; the message
            names the loss and the step, and the newest checkpoint (the last one
            with finite weights).

    Example:
    ```python
    result = train_generator(TrainConfig(steps=500, model_dir="/tmp/wgan"))
    print(result["label_agreement"])
    ```
    """
    config.validate()
    # First: MultiWorkerMirroredStrategy must configure collective ops before any op runs.
    strategy = make_strategy(config.strategy)
    keras.utils.set_random_seed(config.seed)
    if config.deterministic:
        enable_determinism(config.seed)
    try:
        train, test, info = data.load(config.dataset, image_size=config.image_size,
                                   data_dir=config.data_dir)
    except ValueError as error:
        raise ValueError(f"dataset={config.dataset!r} cannot be loaded: {error}") from error
    pool = train
    if config.count:
        train = data.few_shot(train, config.count, seed=config.seed)
    if config.minority_classes:
        train = data.imbalance(train, config.minority_classes, config.imbalance_ratio,
                               seed=config.seed, num_classes=info.num_classes)

    training_counts = [int(n) for n in data.class_counts(train, info.num_classes)]
    total_steps, gan_steps = config.steps, None
    if config.trainer == "dada":
        gan_steps, total_steps = dada_schedule(config, sum(training_counts))
        print(f"DADA: {gan_steps} GAN steps, then {total_steps - gan_steps} classifier steps",
              flush=True)

    with strategy.scope():
        trainer = build_trainer(config, info, gan_steps=gan_steps)
        if config.trainer == "dada":
            # The reference's data-dependent weight-norm initialisation of D, on up to
            # 500 training images; a resumed run then overwrites it from the checkpoint.
            trainer.initialize(data.as_numpy(train)[0][:500])
    chief = strategies.is_chief(strategy)
    out_dir = strategies.write_dir(config.model_dir, strategy)
    checkpoint = callbacks.TrainingCheckpoint(
        os.path.join(out_dir, "checkpoints"), step_fn=training_steps,
        restore_from=os.path.join(config.model_dir, "checkpoints"),
    )
    checkpoint.set_model(trainer)
    start = checkpoint.restore()
    if start:
        logging.info("Resuming from step %d of %d", start, total_steps)
        print(f"Resuming from step {start} of {total_steps}", flush=True)
    jsonio.write_json(os.path.join(out_dir, "config.json"), {
        "train_config": dataclasses.asdict(config),
        "trainer_class": type(trainer).__name__,
        "trainer_config": jsonio.to_jsonable(trainer.get_config()),
        "dataset": dataclasses.asdict(info),
        "training_counts": training_counts,
    })

    log_dir = os.path.join(out_dir, "logs")
    if start < total_steps:
        every = config.checkpoint_every
        try:
            trainer.fit(
                training_stream(train, config.batch_size, config.seed, start),
                steps_per_epoch=every,
                epochs=math.ceil(total_steps / every),
                initial_epoch=start // every,
                callbacks=[
                    callbacks.StopAtStep(total_steps, step_fn=training_steps),
                    # Before the checkpoint: a diverged step raises before it can save.
                    callbacks.StopOnNonFinite(step_fn=training_steps),
                    checkpoint,
                    callbacks.SampleGrid(out_dir, log_dir=log_dir, keep_all=False),
                    keras.callbacks.TensorBoard(log_dir=log_dir),
                ],
                verbose=verbose,
            )
        except callbacks.NonFiniteLossError as error:
            latest = tf.train.latest_checkpoint(checkpoint.directory)
            kept = (f"The newest checkpoint, {latest}, holds the last finite weights"
                    if latest else "No checkpoint was written before it")
            raise callbacks.NonFiniteLossError(
                f"{error} {kept}; lower --learning_rate or change the seed.",
                name=error.name, value=error.value, step=error.step, logs=error.logs,
            ) from error
    report = {"step": training_steps(trainer)}
    if not chief:  # the chief evaluates, exports and keeps the files
        strategies.remove_scratch(config.model_dir, strategy)
        return report
    if config.trainer == "dada":
        test_images, test_labels = data.as_numpy(test)
        accuracy = float(np.mean(trainer.classify(test_images) == test_labels))
        report["classifier_test_accuracy"] = accuracy
        print(f"DADA EMA discriminator as classifier: test accuracy {accuracy:.4f}", flush=True)
    if config.judge_epochs:
        report.update(measure_label_agreement(trainer, pool, test, info, config))
        print(f"Label agreement: {report['label_agreement']:.4f} "
              f"(judge test accuracy {report['judge_test_accuracy']:.4f})", flush=True)
        with tf.summary.create_file_writer(log_dir).as_default():
            tf.summary.scalar("label_agreement", report["label_agreement"], step=report["step"])
    if config.export_dir:
        report["export_path"] = savedmodels.export_from_model_dir(
            config.model_dir, config.export_dir
        )
        print(f"Exported the generator to {report['export_path']}", flush=True)
    jsonio.write_json(os.path.join(config.model_dir, "metrics.json"), report)
    return report


# Judges by (digest of the pool and test split, classes, epochs, seed): every generator
# trained in one process on the same dataset and seed (the efficacy benchmark trains
# ~17 per seed) is judged by the same classifier, trained once.
_JUDGES: dict[tuple, tuple] = {}
_MAX_JUDGES = 4


def measure_label_agreement(trainer, pool, test, info, config: TrainConfig) -> dict:
    """Trains a judge on the real train pool and scores the trainer's samples with it.

    Returns label agreement (overall and per class), the judge's test accuracy and the
    FID between the train pool and the samples on the judge's pooled features (an
    in-domain extractor, not Inception: comparable only between runs of one dataset).
    The judge is trained once per process for the same pool, test split, epochs and seed.
    """
    images, labels = data.as_numpy(pool)
    judge, judge_accuracy, extractor, real_features = _judge(images, labels, test, info, config)
    wanted = np.repeat(np.arange(info.num_classes), config.agreement_per_class)
    generated = trainer.sample(wanted, seed=config.seed + 1).numpy()
    predicted = np.argmax(judge.predict(generated, verbose=0), axis=-1)
    per_class = [float(np.mean(predicted[wanted == k] == k)) for k in range(info.num_classes)]
    fid = metrics.fid_from_features(real_features,
                                    metrics.extract_features(extractor, generated))
    return {
        "label_agreement": float(np.mean(predicted == wanted)),
        "label_agreement_per_class": per_class,
        "judge_test_accuracy": judge_accuracy,
        "fid_judge_features": float(fid),
    }


def _judge(images, labels, test, info, config: TrainConfig) -> tuple:
    """`(judge, its test accuracy, its feature extractor, the pool's features)`, cached."""
    test_images, test_labels = data.as_numpy(test)
    digest = hashlib.sha256()
    for array in (images, labels, test_images, test_labels):
        digest.update(np.ascontiguousarray(array).tobytes())
    key = (digest.hexdigest(), info.num_classes, config.judge_epochs, config.seed)
    if key not in _JUDGES:
        judge = metrics.train_reference_classifier(
            images, labels, info.num_classes, epochs=config.judge_epochs, seed=config.seed
        )
        extractor = metrics.feature_extractor(judge)
        if len(_JUDGES) >= _MAX_JUDGES:
            _JUDGES.pop(next(iter(_JUDGES)))
        _JUDGES[key] = (judge, metrics.label_agreement(judge, test_images, test_labels),
                        extractor, metrics.extract_features(extractor, images))
    return _JUDGES[key]


def enable_determinism(seed: int) -> None:
    """Seeds Python, NumPy and TensorFlow and turns on TensorFlow's op determinism.

    Process-wide and irreversible: every later op in the process must have a
    deterministic kernel (those without one raise `UnimplementedError`).

    Args:
        seed: int. Seed given to `keras.utils.set_random_seed`.
    """
    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()
