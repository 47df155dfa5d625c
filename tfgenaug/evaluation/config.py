"""`EvalConfig`: one cell of the efficacy table (a data case, a condition, a seed)."""

import dataclasses
import numbers

from tfgenaug import data
from tfgenaug.evaluation import registry
from tfgenaug.validation import check_interval
from tfgenaug.validation import check_positive_int


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
        unlabelled: the unlabelled images of the conditions that use them
            (`self_training`, `ssgan`, `ssgan_self_training`, `ssgan_augment`): "rest"
            (the train images the selection left out, whose labels then score the
            pseudo-labels) or a
            dataset `tfgenaug.data.load` takes (`"folder:<path>"`, `"npz:<path>"`, a
            tfds name), whose train images are used without their labels.
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
    unlabelled: str = data.REST_OF_TRAIN
    generator: object = None

    def validate(self) -> None:
        """Raises a ValueError naming the first bad field and its expected form."""
        entry = registry.get(self.condition)
        for name in ("steps", "batch_size", "width", "image_size"):
            check_positive_int(getattr(self, name), name)
        if isinstance(self.count, bool) or not isinstance(self.count, int) or self.count < 0:
            raise ValueError(f"count must be an integer >= 0 (0 = all images); got {self.count!r}")
        check_interval(self.imbalance_ratio, "imbalance_ratio", 0, 1, include_low=False)
        if not 0.0 <= self.gan_rate <= 1.0:
            raise ValueError(f"gan_rate must be a number in [0, 1]; got {self.gan_rate!r}")
        if not self.learning_rate > 0:
            raise ValueError(f"learning_rate must be > 0; got {self.learning_rate!r}")
        if isinstance(self.dada_width_multiplier, bool) or not isinstance(
            self.dada_width_multiplier, numbers.Real
        ) or not self.dada_width_multiplier > 0:
            raise ValueError("dada_width_multiplier must be a number > 0; got "
                             f"{self.dada_width_multiplier!r}")
        if not isinstance(self.unlabelled, str) or not self.unlabelled:
            raise ValueError(f"unlabelled must be 'rest' or a dataset name; got "
                             f"{self.unlabelled!r}")
        if self.unlabelled != data.REST_OF_TRAIN and not entry.needs_pool:
            raise ValueError(f"unlabelled applies to the conditions that use unlabelled "
                             f"images ({', '.join(registry.pool_conditions())}); got "
                             f"condition={self.condition!r}")
        if entry.generator_run and self.generator is None:
            raise ValueError(
                f"condition={self.condition!r} needs generator= (a SavedModel path or a "
                f"trainer trained by {entry.generator_run})"
            )
