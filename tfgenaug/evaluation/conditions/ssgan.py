"""The `ssgan` condition: Improved-GAN's EMA discriminator, trained on the unlabelled pool too.

No classifier is trained on batches here: a `tfgenaug.trainers.SemiSupervisedGAN` learns
from the selection's labelled images and, unlabelled, every train image (the selection's
and the rest of the pool, as Improved-GAN's reference uses the whole train set), and its
EMA discriminator is the classifier reported. Its budget is its own (`SSGANRecipe`:
`steps_per` train steps per classifier step of the cell, batches of `batch_size`, half
labelled), as DADA's runs have theirs; the section `"ssgan"` of the cell records it.
`benchmarks/ssgan_recipe.py` measures what each field of the recipe does.
"""

import dataclasses

import keras
import numpy as np
import tensorflow as tf

from tfgenaug import data
from tfgenaug.evaluation import batches as eval_batches
from tfgenaug.evaluation import registry
from tfgenaug.trainers import SemiSupervisedGAN


@dataclasses.dataclass(frozen=True)
class SSGANRecipe:
    """How the `ssgan` condition trains its `SemiSupervisedGAN`.

    Attributes:
        steps_per: SSGAN train steps per classifier step of the cell (2: 3000 for 1500).
        batch_size: images per batch, half labelled (the reference's 100 and 100).
        width_multiplier: of the default networks.
        init_images: images of the data-dependent weight-norm initialisation (500, as
            the reference).
        unlabelled_weight: the trainer's weight of the real-vs-fake term.
        augment_real: apply the benchmark's classic augmentation
            (`tfgenaug.evaluation.batches.classic_augmentation`) to every real image of
            a batch, labelled or not, before the discriminator sees it.
        pool_fraction: share of the rest of the pool (a seeded choice) that joins the
            labelled images as unlabelled ones, in (0, 1]: the pool-size ablation.
        gaussian_noise: the trainer's standard deviation of the Gaussian noise added to
            the discriminator's input.
        ema_decay: the trainer's EMA decay of the discriminator's weights (the
            classifier reported).
    """

    steps_per: int = 2
    batch_size: int = 100
    width_multiplier: float = 0.5
    init_images: int = 500
    unlabelled_weight: float = 0.5
    augment_real: bool = False
    pool_fraction: float = 1.0
    gaussian_noise: float = 0.2
    ema_decay: float = 0.999


DEFAULT_RECIPE = SSGANRecipe()
# XLA, as when the row's cells were measured (not "auto", whose path may differ by day).
# The condition's tests turn it off: compiling their 2-step runs took ~10 of their ~30 s.
JIT_COMPILE = True


def unlabelled_images(training: registry.TrainingSet, pool_fraction: float = 1.0,
                      seed: int = 0) -> np.ndarray:
    """The selection's images, then `pool_fraction` of the pool's (seeded), as float32."""
    if not 0.0 < pool_fraction <= 1.0:
        raise ValueError(f"pool_fraction must be in (0, 1]; got {pool_fraction!r}")
    pool_images = training.pool[0] if training.pool is not None else training.images[:0]
    if pool_fraction < 1.0:
        keep = int(round(pool_fraction * len(pool_images)))
        rows = np.sort(np.random.default_rng(seed).permutation(len(pool_images))[:keep])
        pool_images = pool_images[rows]
    return np.concatenate([training.images, pool_images]).astype(np.float32)


def ssgan_batches(training: registry.TrainingSet, unlabelled: np.ndarray,
                  recipe: SSGANRecipe, seed: int) -> tf.data.Dataset:
    """The endless semi-supervised stream of `training`'s labelled and `unlabelled` images."""
    stream = data.semi_supervised_batches(
        tf.data.Dataset.from_tensor_slices((training.images, training.labels)),
        tf.data.Dataset.from_tensor_slices(unlabelled), recipe.batch_size, seed=seed)
    if not recipe.augment_real:
        return stream
    augment = eval_batches.classic_augmentation(seed=seed)
    return stream.map(lambda images, labels: (augment(images, training=True), labels))


def train_ssgan(config, training: registry.TrainingSet,
                recipe: SSGANRecipe | None = None) -> registry.Trained:
    """A `Condition.train`: a `SemiSupervisedGAN`'s EMA classifier (see the module doc).

    `recipe` defaults to `DEFAULT_RECIPE`, the benchmark row's.
    """
    recipe = DEFAULT_RECIPE if recipe is None else recipe
    keras.utils.set_random_seed(config.seed)
    unlabelled = unlabelled_images(training, recipe.pool_fraction, config.seed)
    steps = recipe.steps_per * config.steps
    trainer = SemiSupervisedGAN(training.images.shape[1:], training.num_classes,
                                width_multiplier=recipe.width_multiplier,
                                unlabelled_weight=recipe.unlabelled_weight,
                                gaussian_noise=recipe.gaussian_noise, ema_decay=recipe.ema_decay,
                                seed=config.seed)
    trainer.initialize(unlabelled[:recipe.init_images])
    trainer.compile(jit_compile=JIT_COMPILE)
    history = trainer.fit(ssgan_batches(training, unlabelled, recipe, config.seed),
                          steps_per_epoch=steps, epochs=1, verbose=0).history
    details = {"steps": steps, "batch_size": recipe.batch_size,
               "width_multiplier": recipe.width_multiplier, "unlabelled_images": len(unlabelled),
               "final_losses": {k: float(v[-1]) for k, v in history.items()}}
    if recipe != SSGANRecipe():  # the cached cells of the row's recipe have no section
        details["recipe"] = dataclasses.asdict(recipe)
    return registry.Trained(trainer.classifier(), {"ssgan": details})
