"""Label agreement: does a classifier trained on real data see the class G was asked for?"""

import keras
import numpy as np

from tfgenaug.networks import small_cnn


def train_reference_classifier(
    images: np.ndarray,
    labels: np.ndarray,
    num_classes: int,
    epochs: int = 30,
    batch_size: int = 64,
    seed: int = 0,
    verbose: int = 0,
) -> keras.Model:
    """Trains the `small_cnn` that judges generated samples, on real images.

    Args:
        images: float32 real images `(N, H, W, C)` in [-1, 1].
        labels: int class ids `(N,)`.
        num_classes: int. Number of classes K.
        epochs: int. Training epochs. Defaults to 30.
        batch_size: int. Defaults to 64.
        seed: int. Seeds the weights and the shuffling. Defaults to 0.
        verbose: int. Keras verbosity. Defaults to 0.

    Returns:
        A trained `keras.Model` returning logits.

    Example:
    ```python
    x, y = tfgenaug.data.as_numpy(train)
    judge = train_reference_classifier(x, y, num_classes=10)
    ```
    """
    keras.utils.set_random_seed(seed)
    model = small_cnn(images.shape[1:], num_classes)
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    model.fit(images, labels, epochs=epochs, batch_size=batch_size, verbose=verbose)
    return model


def label_agreement(
    classifier: keras.Model, images: np.ndarray, labels: np.ndarray, batch_size: int = 256
) -> float:
    """Share of generated images that `classifier` assigns to their conditioning label.

    Args:
        classifier: a model mapping images to logits or probabilities `(N, K)`.
        images: generated images `(N, H, W, C)` in the classifier's input range.
        labels: the labels the images were generated for, `(N,)`.
        batch_size: int. Prediction batch size. Defaults to 256.

    Returns:
        The agreement in [0, 1].

    Raises:
        ValueError: `images` and `labels` differ in length or are empty.

    Example:
    ```python
    labels = np.repeat(np.arange(10), 100)
    agreement = label_agreement(judge, trainer.sample(labels, seed=0), labels)
    ```
    """
    labels = np.asarray(labels).reshape(-1)
    if len(images) != len(labels) or len(labels) == 0:
        raise ValueError(
            "images and labels must be non-empty and of equal length; "
            f"got {len(images)} images and {len(labels)} labels"
        )
    predictions = classifier.predict(np.asarray(images), batch_size=batch_size, verbose=0)
    return float(np.mean(np.argmax(predictions, axis=-1) == labels))
