"""Train one classifier under one condition and report how it does on the real test split."""

import dataclasses
import json
import numbers
import os
import time

import keras
import numpy as np
import tensorflow as tf

from tfgenaug import data
from tfgenaug import metrics
from tfgenaug import savedmodels
from tfgenaug.callbacks.batch_norm import recalibrate_batch_norm
from tfgenaug.evaluation.conditions import ADVERSARIAL
from tfgenaug.evaluation.conditions import DADA_CLASSIFIERS
from tfgenaug.evaluation.conditions import check_condition
from tfgenaug.evaluation.conditions import generator_trainer
from tfgenaug.evaluation.conditions import training_batches
from tfgenaug.networks import dada_discriminator
from tfgenaug.networks import data_dependent_init
from tfgenaug.networks import small_cnn
from tfgenaug.networks.validation import check_positive_int
from tfgenaug.selftrain import select_confident
from tfgenaug.trainers import dada_heads
from tfgenaug.trainers.adversarial import AdversarialTrainer

SELF_TRAINING_ROUNDS = 2
SELF_TRAINING_THRESHOLD = 0.95
ADVERSARIAL_EPSILON = 16 / 255  # of the [-1, 1] range: 8/255 of [0, 1]
PGD_STEPS = 3
# DADA's discriminator network as a plain classifier: the DADA runs' optimiser.
DADA_LEARNING_RATE = 3e-4


@dataclasses.dataclass
class EvalConfig:
    """One cell of the efficacy table: a data case, a condition, a seed.

    Attributes:
        condition: one of `tfgenaug.evaluation.CONDITIONS`.
        dataset: "digits" or a TensorFlow Datasets name prepared in `data_dir`.
        data_dir: tfds data directory, or None for tfds' default.
        image_size: side of the (square) images.
        count: real images per class to train on (low-data case); 0 keeps all.
        minority_classes: classes made rare (imbalance case); empty keeps all.
        imbalance_ratio: each minority class keeps `int(ratio * largest class)` images.
        seed: seed of the data selection, the classifier and the augmentation.
        steps: gradient steps of the classifier (the same in every condition).
        batch_size: images per classifier batch (generated ones included).
        learning_rate: Adam learning rate of the classifier.
        width: width of the `small_cnn` classifier.
        gan_rate: share of each batch generated in the GAN conditions.
        recalibrate_bn: after training, set the classifier's batch-norm statistics to
            those of the real training images (`recalibrate_batch_norm`). Without it,
            every augmented condition is judged with statistics of its augmented
            batches (see `tfgenaug.callbacks.batch_norm` for what that costs).
        dada_width_multiplier: `dada_network_plain` only: the width multiplier of DADA's
            discriminator network (0.25, the efficacy benchmark's DADA runs on digits;
            1.0 is the reference's width, as on CIFAR-10).
        generator: for the GAN conditions: a SavedModel path (version or base
            directory), a trainer, or a generator model; for `dada_classifier*`: the
            `model_dir` of a DADA train run on the same images (a str) or the trainer.
    """

    condition: str = "plain"
    dataset: str = "digits"
    data_dir: str | None = None
    image_size: int = 16
    count: int = 0
    minority_classes: tuple[int, ...] = ()
    imbalance_ratio: float = 0.05
    seed: int = 0
    steps: int = 1500
    batch_size: int = 64
    learning_rate: float = 1e-3
    width: int = 32
    gan_rate: float = 0.5
    recalibrate_bn: bool = True
    dada_width_multiplier: float = 0.25
    generator: object = None

    def validate(self) -> None:
        """Raises a ValueError naming the first bad field and its expected form."""
        check_condition(self.condition)
        for name in ("steps", "batch_size", "width", "image_size"):
            check_positive_int(getattr(self, name), name)
        if isinstance(self.count, bool) or not isinstance(self.count, int) or self.count < 0:
            raise ValueError(f"count must be an integer >= 0 (0 = all images); got {self.count!r}")
        ratio = self.imbalance_ratio
        if isinstance(ratio, bool) or not isinstance(ratio, numbers.Real) or not 0 < ratio <= 1:
            raise ValueError(f"imbalance_ratio must be a number in (0, 1]; got {ratio!r}")
        if not 0.0 <= self.gan_rate <= 1.0:
            raise ValueError(f"gan_rate must be a number in [0, 1]; got {self.gan_rate!r}")
        if not self.learning_rate > 0:
            raise ValueError(f"learning_rate must be > 0; got {self.learning_rate!r}")
        if isinstance(self.dada_width_multiplier, bool) or not isinstance(
            self.dada_width_multiplier, numbers.Real
        ) or not self.dada_width_multiplier > 0:
            raise ValueError("dada_width_multiplier must be a number > 0; got "
                             f"{self.dada_width_multiplier!r}")
        if generator_trainer(self.condition) and self.generator is None:
            raise ValueError(
                f"condition={self.condition!r} needs generator= (a SavedModel path or a "
                f"trainer trained by {generator_trainer(self.condition)})"
            )


def select_training_data(config: EvalConfig, with_pool: bool = False):
    """Loads the dataset and selects the training images of `config`'s case.

    The selection is the one `tfgenaug.experiment.train_generator` makes for the same
    `count`, `minority_classes`, `imbalance_ratio` and `seed`, so a generator trained
    there has seen exactly these images.

    Returns:
        `(train_images, train_labels, test_images, test_labels, info)` as numpy arrays
        and the `DatasetInfo`; with `with_pool=True` also `(pool_images, pool_labels)`,
        the training images left out by the selection.

    Raises:
        ValueError: the dataset cannot be loaded, `count` is larger than the smallest
            class, or `minority_classes` are not class ids.
    """
    try:
        train, test, info = data.load(config.dataset, image_size=config.image_size,
                                      data_dir=config.data_dir)
    except ValueError as error:
        raise ValueError(f"dataset={config.dataset!r} cannot be loaded: {error}") from error
    everything = data.as_numpy(train) if with_pool else None
    if config.count:
        smallest = min(info.train_counts)
        if config.count > smallest:
            raise ValueError(
                f"count={config.count} is larger than the images available: the smallest "
                f"class of {config.dataset!r} has {smallest} training images"
            )
        train = data.few_shot(train, config.count, seed=config.seed)
    if config.minority_classes:
        train = data.imbalance(train, list(config.minority_classes), config.imbalance_ratio,
                               seed=config.seed, num_classes=info.num_classes)
    images, labels = data.as_numpy(train)
    test_images, test_labels = data.as_numpy(test)
    if not with_pool:
        return images, labels, test_images, test_labels, info
    chosen = {image.tobytes() for image in images}
    left = np.array([image.tobytes() not in chosen for image in everything[0]], dtype=bool)
    pool = (everything[0][left], everything[1][left])
    return images, labels, test_images, test_labels, info, pool


def train_classifier(config: EvalConfig, images, labels, num_classes: int,
                     real_images=None, batches: tf.data.Dataset | None = None) -> keras.Model:
    """Trains the benchmark's `small_cnn` for `config.steps` batches of `config.condition`.

    The adversarial conditions wrap the classifier in an `AdversarialTrainer` that
    replaces half of each plain batch with adversarial examples, so the number and
    size of the gradient steps stay the same. With `config.recalibrate_bn` the
    batch-norm statistics are then re-estimated on `real_images` (default: `images`).
    `batches`, if given, replaces the condition's stream of `(images, labels)` batches.
    """
    keras.utils.set_random_seed(config.seed)
    adversarial = config.condition in ADVERSARIAL
    if batches is None:
        batches = training_batches(
            images, labels, "plain" if adversarial else config.condition,
            batch_size=config.batch_size, seed=config.seed, num_classes=num_classes,
            generator=config.generator, gan_rate=config.gan_rate,
        )
    if config.condition == "dada_network_plain":
        model = dada_network_classifier(images, num_classes, config.dada_width_multiplier)
        optimizer = keras.optimizers.Adam(DADA_LEARNING_RATE, beta_1=0.5)
    else:
        model = small_cnn(images.shape[1:], num_classes, width=config.width)
        optimizer = keras.optimizers.Adam(config.learning_rate)
    if adversarial:
        model = AdversarialTrainer(
            model, method=config.condition, epsilon=ADVERSARIAL_EPSILON, steps=PGD_STEPS,
            rate=0.5, mode="replace", value_range=(-1, 1), seed=config.seed,
        )
    model.compile(
        optimizer=optimizer,
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    model.fit(batches, steps_per_epoch=config.steps, epochs=1, verbose=0)
    if config.recalibrate_bn:
        recalibrate_batch_norm(model, images if real_images is None else real_images)
    return model


def dada_network_classifier(images: np.ndarray, num_classes: int,
                            width_multiplier: float = 0.25) -> keras.Model:
    """DADA's discriminator network as an images -> K class logits classifier.

    The network the DADA runs use (`width_multiplier`, Gaussian input noise 0.2,
    dropout 0.5, weight normalisation initialised from up to 500 of `images`), read
    through DADA's class head (`l_r,k + l_f,k`).
    """
    discriminator = dada_discriminator(images.shape[1:], num_classes,
                                       width_multiplier=width_multiplier)
    data_dependent_init(discriminator, tf.constant(images[:500], tf.float32))
    inputs = keras.Input(images.shape[1:])
    logits = discriminator(inputs)["logits"]
    class_logits = keras.layers.Lambda(
        lambda x: dada_heads.class_logits(x, num_classes), name="class_head"
    )(logits)
    return keras.Model(inputs, class_logits, name="dada_network_classifier")


def self_training(config: EvalConfig, images, labels, pool, num_classes: int):
    """Self-training: each round a plain classifier labels the confident part of the pool.

    Round r fits the benchmark classifier (`config.steps` plain steps, from scratch) on
    the labelled set, then moves the pool images it predicts with probability
    `>= SELF_TRAINING_THRESHOLD` (the same number per class) into the labelled set
    with their predicted class. After `SELF_TRAINING_ROUNDS` rounds the last fit is the
    classifier reported, so it had the same budget as every other condition.

    Returns:
        `(model, history)`; `history` has per round the images added and the share of
        pseudo-labels that are right (the pool's true labels are known here).
    """
    plain = dataclasses.replace(config, condition="plain")
    pool_images, pool_labels = pool
    history = []
    for round_index in range(SELF_TRAINING_ROUNDS + 1):
        model = train_classifier(plain, images, labels, num_classes)
        if round_index == SELF_TRAINING_ROUNDS or not len(pool_labels):
            break
        logits = model.predict(pool_images, batch_size=256, verbose=0)
        probabilities = tf.nn.softmax(logits).numpy()
        chosen = select_confident(probabilities, threshold=SELF_TRAINING_THRESHOLD)
        if not len(chosen):
            break
        pseudo = probabilities.argmax(axis=-1)[chosen].astype(np.int32)
        history.append({
            "round": round_index,
            "added": int(len(chosen)),
            "pseudo_label_accuracy": float(np.mean(pseudo == pool_labels[chosen])),
        })
        images = np.concatenate([images, pool_images[chosen]])
        labels = np.concatenate([labels, pseudo])
        keep = np.ones(len(pool_labels), dtype=bool)
        keep[chosen] = False
        pool_images, pool_labels = pool_images[keep], pool_labels[keep]
    return model, history


def evaluate_condition(config: EvalConfig) -> dict:
    """Trains one classifier under `config.condition` and reports on the real test split.

    Args:
        config: an `EvalConfig`.

    Returns:
        A JSON-serialisable dict: the config (without the generator object), the
        training counts per class, `tfgenaug.metrics.classification_report` of the test
        split (accuracy, balanced accuracy, minority recall, per-class
        precision/recall/F1, confusion matrix) and `seconds`, the wall time. The
        `self_training` condition adds its rounds under `"self_training"`; `stda` adds
        `"stda"`: the ST-DA images kept and dropped, the mix, and the teacher's test
        accuracy (`tfgenaug.evaluation.stda_condition.train_stda`).

    Raises:
        ValueError: a bad field of `config`, naming it.

    Example:
    ```python
    report = evaluate_condition(EvalConfig(condition="classic", count=10, seed=0))
    print(report["accuracy"])
    ```
    """
    config.validate()
    start = time.perf_counter()
    extra = {}
    if config.condition == "self_training":
        images, labels, test_images, test_labels, info, pool = select_training_data(
            config, with_pool=True)
        model, extra["self_training"] = self_training(config, images, labels, pool,
                                                      info.num_classes)
    elif config.condition == "stda":
        # Imported here: stda_condition builds on this module's train_classifier.
        from tfgenaug.evaluation import stda_condition

        images, labels, test_images, test_labels, info = select_training_data(config)
        model, teacher, extra["stda"] = stda_condition.train_stda(config, images, labels,
                                                                  info.num_classes)
    elif config.condition == "wgan_gp_filtered":
        from tfgenaug.evaluation import filtered_condition

        images, labels, test_images, test_labels, info = select_training_data(config)
        model, extra["filtered"] = filtered_condition.train_filtered(config, images, labels,
                                                                     info.num_classes)
    elif config.condition in DADA_CLASSIFIERS:
        images, labels, test_images, test_labels, info = select_training_data(config)
        trainer = config.generator
        if isinstance(trainer, str):
            trainer = savedmodels.trainer_from_model_dir(trainer)
        model = trainer.classifier()
    else:
        images, labels, test_images, test_labels, info = select_training_data(config)
        model = train_classifier(config, images, labels, info.num_classes)
    logits = model.predict(test_images, batch_size=256, verbose=0)
    if config.condition == "stda":
        extra["stda"]["teacher_accuracy"] = stda_condition.accuracy_on(teacher, test_images,
                                                                        test_labels)
    report = metrics.classification_report(
        test_labels, np.argmax(logits, axis=-1), info.num_classes,
        minority_classes=list(config.minority_classes) or None,
    )
    settings = dataclasses.asdict(config)
    generator = settings.pop("generator")
    settings["generator"] = generator if isinstance(generator, str | type(None)) else repr(
        type(generator).__name__
    )
    report.update({
        "config": settings,
        "training_counts": np.bincount(labels, minlength=info.num_classes).tolist(),
        "class_names": list(info.class_names),
        "seconds": time.perf_counter() - start,
        **extra,
    })
    return report


def report_markdown(report: dict) -> str:
    """A short markdown summary of one `evaluate_condition` report."""
    config = report["config"]
    case = f"count={config['count']}" if config["count"] else "all images"
    if config["minority_classes"]:
        case += (f", minority classes {list(config['minority_classes'])} at "
                 f"ratio {config['imbalance_ratio']}")
    lines = [
        f"# {config['condition']} on {config['dataset']} ({case}, seed {config['seed']})",
        "",
        f"Classifier: small_cnn width {config['width']}, {config['steps']} steps of batch "
        f"{config['batch_size']}, Adam {config['learning_rate']}.",
        "",
        "| metric | value |",
        "|---|---|",
        f"| accuracy | {report['accuracy']:.4f} |",
        f"| balanced accuracy | {report['balanced_accuracy']:.4f} |",
        f"| macro F1 | {report['macro_f1']:.4f} |",
    ]
    if report.get("minority_recall") is not None:
        lines.append(f"| minority recall | {report['minority_recall']:.4f} |")
    lines += ["", "| class | train images | precision | recall | F1 | test support |",
              "|---|---|---|---|---|---|"]
    for k, name in enumerate(report["class_names"]):
        lines.append(
            f"| {name} | {report['training_counts'][k]} | {report['precision'][k]:.3f} | "
            f"{report['recall'][k]:.3f} | {report['f1'][k]:.3f} | {report['support'][k]} |"
        )
    return "\n".join(lines) + "\n"


def write_report(report: dict, output_dir: str) -> dict[str, str]:
    """Writes `report.json`, `report.md` and `confusion.png` to `output_dir`.

    Returns:
        The paths written, by kind ("json", "markdown", "confusion").
    """
    tf.io.gfile.makedirs(output_dir)
    paths = {
        "json": os.path.join(output_dir, "report.json"),
        "markdown": os.path.join(output_dir, "report.md"),
        "confusion": os.path.join(output_dir, "confusion.png"),
    }
    with tf.io.gfile.GFile(paths["json"], "w") as f:
        json.dump(report, f, indent=2)
    with tf.io.gfile.GFile(paths["markdown"], "w") as f:
        f.write(report_markdown(report))
    metrics.confusion_matrix_png(np.asarray(report["confusion_matrix"]), paths["confusion"],
                                 class_names=report["class_names"])
    return paths
