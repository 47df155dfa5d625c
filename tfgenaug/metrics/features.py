"""Feature embeddings for FID and KID, taken from an in-domain classifier.

FID and KID in `tfgenaug` are computed on the features of an in-domain classifier
trained here on the real data (by default the `"pool"` layer of a
`tfgenaug.networks.small_cnn` from `train_reference_classifier`); no downloaded
Inception weights are used. Values are therefore comparable only between runs that
use one and the same extractor, never with published Inception FIDs.
"""

import keras
import numpy as np

from tfgenaug.validation import check_positive_int


def feature_extractor(classifier: keras.Model, layer_name: str = "pool") -> keras.Model:
    """Cuts a trained classifier at `layer_name` to embed images for FID/KID.

    FID and KID here are computed on the features of an in-domain classifier trained
    on the real data (no downloaded Inception weights), so their values are
    comparable only within one extractor, not with published Inception FIDs.

    Args:
        classifier: a functional `keras.Model`, typically the `small_cnn` returned by
            `train_reference_classifier`.
        layer_name: str. Name of the layer whose output is the feature vector.
            Defaults to `"pool"` (the global average pooling of `small_cnn`,
            before dropout and the logits).

    Returns:
        A `keras.Model` mapping the classifier's inputs to that layer's output.

    Raises:
        ValueError: the classifier has no layer called `layer_name`.

    Example:
    ```python
    judge = train_reference_classifier(x_real, y_real, num_classes=10)
    extractor = feature_extractor(judge)
    real_features = extract_features(extractor, x_real)
    ```
    """
    names = [layer.name for layer in classifier.layers]
    if layer_name not in names:
        raise ValueError(
            f"layer_name={layer_name!r} is not a layer of model {classifier.name!r}; "
            f"available layers: {names}"
        )
    return keras.Model(
        classifier.inputs,
        classifier.get_layer(layer_name).output,
        name=f"{classifier.name}_{layer_name}_features",
    )


def extract_features(
    extractor: keras.Model, images: np.ndarray, batch_size: int = 256
) -> np.ndarray:
    """Embeds images with a feature extractor, as a flat float64 matrix.

    The features come from an in-domain classifier trained on the real data (see
    `feature_extractor`), not from Inception: FID/KID values computed from them are
    comparable only within one extractor.

    Args:
        extractor: a `keras.Model`, e.g. from `feature_extractor`.
        images: images `(N, H, W, C)` in the extractor's input range ([-1, 1] for
            `small_cnn`).
        batch_size: int. Prediction batch size. Defaults to 256.

    Returns:
        A float64 array `(N, D)`; feature maps with more axes are flattened.

    Raises:
        ValueError: `images` is empty or `batch_size` is not a positive integer.

    Example:
    ```python
    gen_features = extract_features(extractor, trainer.sample(labels, seed=0))
    ```
    """
    images = np.asarray(images)
    if images.ndim < 1 or len(images) == 0:
        raise ValueError(f"images must be a non-empty batch; got shape {images.shape}")
    check_positive_int(batch_size, "batch_size")
    features = extractor.predict(images, batch_size=int(batch_size), verbose=0)
    features = np.asarray(features, dtype=np.float64)
    return features.reshape(len(features), -1)
