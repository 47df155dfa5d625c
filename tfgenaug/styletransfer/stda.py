"""ST-DA's synthetic training sets: stylise, pseudo-label, keep the confident ones."""

import numpy as np
import tensorflow as tf

from tfgenaug.data import batch_checks
from tfgenaug.styletransfer.adain import DEFAULT_EPS
from tfgenaug.styletransfer.adain import adain
from tfgenaug.styletransfer.encoder import run_network
from tfgenaug.styletransfer.pseudo_labels import check_threshold
from tfgenaug.styletransfer.pseudo_labels import pseudo_label
from tfgenaug.validation import check_int
from tfgenaug.validation import check_number


def _checked_images(images, argument: str, owner: str) -> np.ndarray:
    """`images` as float32 after the batch checks every entry point runs: numbers, finite,
    in the encoder's range [-1, 1] (0..255 pixels were stylised into clipped noise
    without a word); messages start with `owner` and `argument`."""
    images = np.asarray(images)
    spec = batch_checks.BatchSpec(owner=f"{owner}: {argument}", labels=None, range_off=None)
    if images.ndim == 4:  # other ranks: the caller names the expected shape
        batch_checks.check_static(spec, images)
        batch_checks.checked(spec, images)
    return images.astype(np.float32)


def stylise(
    content,
    style,
    encoder,
    decoder,
    alpha: float = 1.0,
    eps: float = DEFAULT_EPS,
    batch_size: int = 64,
) -> np.ndarray:
    """AdaIN style transfer of `content[i]` into the style of `style[i]`.

    `decoder(alpha * AdaIN(E(c), E(s)) + (1 - alpha) * E(c))`, clipped to [-1, 1].

    Args:
        content: images `(N, H, W, C)` in [-1, 1] (the encoder's input range).
        style: images `(N, H, W, C)` (one per content image) or `(1, H, W, C)`.
        encoder: a `keras.Model` (or callable) mapping images to features.
        decoder: a `keras.Model` (or callable) mapping features to images, e.g. trained
            by `trainers.style_decoder.StyleDecoderTrainer`.
        alpha: float in [0, 1]. Style strength. Defaults to `1.0`.
        eps: float. AdaIN's variance stabiliser. Defaults to `1e-5`.
        batch_size: int. Defaults to 64.

    Returns:
        float32 `(N, H, W, C)` in [-1, 1].

    Raises:
        ValueError: naming `content` or `style` when their shapes do not match, when
            they are not finite numbers in [-1, 1] (up to half its span beyond passes),
            or `alpha` outside [0, 1].
    """
    alpha = check_number(alpha, "alpha", minimum=0, maximum=1)
    content = _checked_images(content, "content", "stylise")
    style = _checked_images(style, "style", "stylise")
    if content.ndim != 4:
        raise ValueError(f"content must be images (N, H, W, C); got shape {content.shape}")
    if style.ndim != 4 or style.shape[1:] != content.shape[1:]:
        raise ValueError(
            f"style must be images of the content's shape (N or 1, {content.shape[1:]}); got "
            f"shape {style.shape}"
        )
    if len(style) not in (1, len(content)):
        raise ValueError(
            f"style must hold 1 image or one per content image ({len(content)}); got {len(style)}"
        )
    results = []
    for start in range(0, len(content), batch_size):
        batch = tf.constant(content[start : start + batch_size])
        styles = style if len(style) == 1 else style[start : start + batch_size]
        features = run_network(encoder, batch)
        target = adain(features, run_network(encoder, tf.constant(styles)), eps)
        target = alpha * target + (1.0 - alpha) * features
        images = tf.cast(run_network(decoder, target), tf.float32)
        results.append(tf.clip_by_value(images, -1.0, 1.0).numpy())
    return np.concatenate(results)


def stda_dataset(
    content_images,
    style_images,
    *,
    encoder,
    decoder,
    teacher,
    threshold: float,
    num_per_image: int = 1,
    content_labels=None,
    style_labels=None,
    other_class_styles: bool = False,
    alpha: float = 1.0,
    seed: int = 0,
    batch_size: int = 64,
) -> tuple[np.ndarray, np.ndarray, int]:
    """Builds an ST-DA synthetic training set: content x style -> stylised -> pseudo-labels.

    Every content image is rendered `num_per_image` times, each time in the style of a
    style image drawn at random (uniformly, with replacement; with `other_class_styles`,
    among the style images of another class than the content's), and the teacher
    labels the results; images below `threshold` confidence are dropped and counted.
    Pass training images only: ST-DA validates and tests on real images, never on
    synthetic or pseudo-labelled ones.

    Args:
        content_images: `(N, H, W, C)` in [-1, 1].
        style_images: `(S, H, W, C)` in [-1, 1].
        encoder: the encoder `keras.Model` the decoder was trained for.
        decoder: the decoder `keras.Model`.
        teacher: a classifier `keras.Model` (logits or probabilities) labelling the
            stylised images, e.g. trained on the real training images.
        threshold: float in (0, 1]. Minimum teacher confidence to keep an image.
        num_per_image: int >= 1. Stylised images per content image. Defaults to 1.
        content_labels: int `(N,)`; needed with `other_class_styles`. Defaults to `None`.
        style_labels: int `(S,)`; needed with `other_class_styles`. Defaults to `None`.
        other_class_styles: bool. Draw each content image's styles among the style
            images of other classes (ST-DA: benign content in malignant styles).
            Defaults to `False`.
        alpha: float in [0, 1]. Style strength. Defaults to `1.0`.
        seed: int. Seed of the style draws. Defaults to 0.
        batch_size: int. Defaults to 64.

    Returns:
        `(images, labels, dropped)`: the kept stylised images float32 `(M, H, W, C)` in
        [-1, 1], their int32 pseudo-labels `(M,)`, and how many were dropped
        (`N * num_per_image - M`).

    Raises:
        ValueError: naming the argument: `threshold` outside (0, 1], `num_per_image`
            < 1, shapes that differ, images that are not finite numbers in [-1, 1],
            missing labels, or a content class with no style image of another class.
    """
    threshold = check_threshold(threshold)
    check_int(num_per_image, "num_per_image", minimum=1)
    content_images = _checked_images(content_images, "content_images", "stda_dataset")
    style_images = _checked_images(style_images, "style_images", "stda_dataset")
    if content_images.ndim != 4 or len(content_images) == 0:
        raise ValueError(
            f"content_images must be a non-empty batch (N, H, W, C); got {content_images.shape}"
        )
    if style_images.ndim != 4 or style_images.shape[1:] != content_images.shape[1:] or (
        len(style_images) == 0
    ):
        raise ValueError(
            f"style_images must be a non-empty batch of the content images' shape "
            f"(S, {content_images.shape[1:]}); got {style_images.shape}"
        )
    rng = np.random.default_rng(seed)
    contents = np.repeat(np.arange(len(content_images)), num_per_image)
    if other_class_styles:
        if content_labels is None or style_labels is None:
            raise ValueError("other_class_styles needs content_labels and style_labels")
        content_labels = np.asarray(content_labels).reshape(-1)
        style_labels = np.asarray(style_labels).reshape(-1)
        if len(content_labels) != len(content_images) or len(style_labels) != len(style_images):
            raise ValueError(
                "content_labels and style_labels must have one label per image; got "
                f"{len(content_labels)} for {len(content_images)} content images and "
                f"{len(style_labels)} for {len(style_images)} style images"
            )
        styles = np.empty(len(contents), np.int64)
        for cls in np.unique(content_labels):
            rows = np.flatnonzero(content_labels[contents] == cls)
            candidates = np.flatnonzero(style_labels != cls)
            if len(candidates) == 0:
                raise ValueError(
                    f"style_labels: no style image of a class other than {cls} to render "
                    "its content images in"
                )
            styles[rows] = rng.choice(candidates, size=len(rows))
    else:
        styles = rng.integers(0, len(style_images), size=len(contents))
    stylised = stylise(
        content_images[contents], style_images[styles], encoder, decoder, alpha=alpha,
        batch_size=batch_size,
    )
    return pseudo_label(teacher, stylised, threshold, batch_size=max(batch_size, 256))


def stda_training_set(
    images,
    labels,
    *,
    encoder,
    decoder,
    teacher,
    num_per_image: int,
    threshold: float,
    seed: int,
    alpha: float = 1.0,
    batch_size: int = 64,
) -> tuple[np.ndarray, np.ndarray, int]:
    """ST-DA on a (few-shot) training set: its images in the styles of its other classes.

    Content and style images both come from `images`; each image is rendered
    `num_per_image` times in the style of a random image of another class (on digits:
    any other digit; in ST-DA's lesions: benign content in malignant styles), then
    pseudo-labelled by `teacher` (see `stda_dataset`).

    Args:
        images: the training images `(N, H, W, C)` in [-1, 1].
        labels: their int class ids `(N,)`; at least two classes.
        encoder: the encoder `keras.Model`.
        decoder: the decoder `keras.Model` trained for it.
        teacher: the pseudo-labelling classifier.
        num_per_image: int >= 1. Stylised images per training image.
        threshold: float in (0, 1]. Minimum teacher confidence.
        seed: int. Seed of the style draws.
        alpha: float in [0, 1]. Style strength. Defaults to `1.0`.
        batch_size: int. Defaults to 64.

    Returns:
        `(stylised images, pseudo labels, dropped count)` as in `stda_dataset`.

    Example:
    ```python
    x_syn, y_syn, dropped = stda_training_set(
        x_few, y_few, encoder=encoder, decoder=trainer.decoder, teacher=teacher,
        num_per_image=10, threshold=0.9, seed=0)
    classifier.fit(x_syn, y_syn, validation_data=(x_val, y_val))  # real validation
    ```
    """
    return stda_dataset(
        images, images, encoder=encoder, decoder=decoder, teacher=teacher, threshold=threshold,
        num_per_image=num_per_image, content_labels=labels, style_labels=labels,
        other_class_styles=True, alpha=alpha, seed=seed, batch_size=batch_size,
    )
