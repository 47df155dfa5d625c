"""The benchmark's classifier: built, fitted for a fixed number of batches, recalibrated.

A condition changes the classifier only through its registry record: `network` (the
model and optimiser; default the benchmark's `small_cnn` with Adam), `wrap` (e.g.
adversarial training) and `batches` (what the steps are taken on).
"""

import keras
import numpy as np
import tensorflow as tf

from tfgenaug.callbacks.batch_norm import recalibrate_batch_norm
from tfgenaug.evaluation import registry
from tfgenaug.evaluation.batches import training_batches
from tfgenaug.evaluation.config import EvalConfig
from tfgenaug.networks import small_cnn


def small_cnn_network(config: EvalConfig, images: np.ndarray,
                      num_classes: int) -> tuple[keras.Model, keras.optimizers.Optimizer]:
    """The benchmark's default classifier: `small_cnn(width=config.width)`, Adam."""
    model = small_cnn(images.shape[1:], num_classes, width=config.width)
    return model, keras.optimizers.Adam(config.learning_rate)


def build_classifier(config: EvalConfig, images: np.ndarray, num_classes: int) -> keras.Model:
    """The compiled, untrained classifier of `config.condition`.

    Args:
        config: the cell's `EvalConfig`.
        images: float32 training images `(N, H, W, C)` (their shape; some networks
            initialise from them).
        num_classes: int. K.

    Returns:
        A `keras.Model` mapping images to K logits, compiled with sparse categorical
        cross-entropy and accuracy.
    """
    entry = registry.get(config.condition)
    model, optimizer = (entry.network or small_cnn_network)(config, images, num_classes)
    if entry.wrap is not None:
        model = entry.wrap(model, config)
    model.compile(
        optimizer=optimizer,
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    return model


def fit_classifier(model: keras.Model, config: EvalConfig, images, labels, num_classes: int,
                   real_images=None, batches: tf.data.Dataset | None = None) -> keras.Model:
    """Fits `model` for `config.steps` batches, then recalibrates its batch norm.

    Args:
        model: a compiled classifier (`build_classifier`).
        config: the cell's `EvalConfig`.
        images: float32 training images `(N, H, W, C)` in [-1, 1].
        labels: their int class ids `(N,)`.
        num_classes: int. K.
        real_images: with `config.recalibrate_bn`, the images whose batch-norm
            statistics the model keeps (default: `images`).
        batches: replaces the condition's stream of `(images, labels)` batches.

    Returns:
        `model`, fitted.
    """
    if batches is None:
        batches = condition_batches(config, images, labels, num_classes)
    model.fit(batches, steps_per_epoch=config.steps, epochs=1, verbose=0)
    if config.recalibrate_bn:
        recalibrate_batch_norm(model, images if real_images is None else real_images)
    return model


def condition_batches(config: EvalConfig, images, labels, num_classes: int) -> tf.data.Dataset:
    """The stream of `config.condition`'s batches, with `config`'s batch size and seed."""
    return training_batches(
        images, labels, config.condition, batch_size=config.batch_size, seed=config.seed,
        num_classes=num_classes, generator=config.generator, gan_rate=config.gan_rate,
    )


def train_classifier(config: EvalConfig, images, labels, num_classes: int,
                     real_images=None, batches: tf.data.Dataset | None = None) -> keras.Model:
    """Trains the classifier of `config.condition` for `config.steps` batches.

    The global seeds are set to `config.seed` first. The adversarial conditions wrap
    the classifier in an `AdversarialTrainer` that replaces half of each plain batch
    with adversarial examples, so the number and size of the gradient steps stay the
    same. With `config.recalibrate_bn` the batch-norm statistics are then re-estimated
    on `real_images` (default: `images`).

    Args:
        config: the cell's `EvalConfig`.
        images: float32 training images `(N, H, W, C)` in [-1, 1].
        labels: their int class ids `(N,)`.
        num_classes: int. K.
        real_images: the images of the batch-norm recalibration (default: `images`).
        batches: if given, replaces the condition's stream of `(images, labels)` batches.

    Returns:
        The trained `keras.Model` (images -> K logits).

    Example:
    ```python
    model = train_classifier(EvalConfig(condition="classic", count=10), images, labels, 10)
    ```
    """
    keras.utils.set_random_seed(config.seed)
    if batches is None:
        batches = condition_batches(config, images, labels, num_classes)
    model = build_classifier(config, images, num_classes)
    return fit_classifier(model, config, images, labels, num_classes, real_images=real_images,
                          batches=batches)


def train_on_batches(config: EvalConfig, data: registry.TrainingSet) -> registry.Trained:
    """The `train` of most conditions: `train_classifier` on the condition's batches."""
    return registry.Trained(train_classifier(config, data.images, data.labels,
                                             data.num_classes))
