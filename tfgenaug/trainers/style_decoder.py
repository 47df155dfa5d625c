"""AdaIN decoder training (Huang & Belongie 2017): the fast style transfer of ST-DA.

A frozen encoder E maps images to features; AdaIN gives the content image's features the
style image's channel statistics, `t = AdaIN(E(c), E(s))`; the decoder D is trained so
that `D(t)` has features `t` (content loss) and the style's statistics at one or several
encoder layers (style loss). Only D learns.

The trainer stands on the kernel (`tfgenaug.trainers.core`): on one device
`compile(jit_compile=True)` lets Keras compile the whole step with XLA; under a
multi-replica strategy only the per-replica maths (losses and gradients) are compiled and
gradients are applied outside. Losses are averaged with the global batch size and
loss-scaled under `mixed_float16`.
"""

from collections.abc import Sequence

import keras
import tensorflow as tf

from tfgenaug.data import batch_checks
from tfgenaug.styletransfer.adain import DEFAULT_EPS
from tfgenaug.styletransfer.adain import adain
from tfgenaug.styletransfer.adain import channel_statistics
from tfgenaug.styletransfer.encoder import feature_model
from tfgenaug.styletransfer.encoder import input_shape_of
from tfgenaug.styletransfer.encoder import mirror_decoder
from tfgenaug.styletransfer.encoder import output_shape_of
from tfgenaug.styletransfer.encoder import relu_layer_names
from tfgenaug.trainers.core import Trainer


@keras.saving.register_keras_serializable(package="tfgenaug")
class StyleDecoderTrainer(Trainer):
    """Trains an AdaIN decoder for a frozen encoder.

    Per batch: content images `c` and style images `s` (given, or the batch itself in a
    random order), `t = AdaIN(E(c), E(s))`, `g = D(t)`, and the loss
    `mean((E(g) - t)^2) + style_weight * sum_l [mean_C (mu_l(g) - mu_l(s))^2 +
    mean_C (sigma_l(g) - sigma_l(s))^2]` over the `style_layers` l of the encoder
    (per-channel mean and standard deviation over the spatial axes), averaged over the
    global batch. The AdaIN paper uses the un-squared L2 norms summed over channels;
    the squared means here make the weight independent of the number of channels.
    The encoder runs with `training=False` and gets no gradient update.

    References:
        - Huang & Belongie, [Arbitrary Style Transfer in Real-time with Adaptive Instance
          Normalization](https://arxiv.org/abs/1703.06868), ICCV 2017.

    Args:
        encoder: a `keras.Model` mapping images (in the range it was trained on; [-1, 1]
            for tfgenaug's classifiers) to feature maps `(h, w, c)`, e.g.
            `styletransfer.encoder_from_classifier(classifier, "block1_relu0")`.
        decoder: a `keras.Model` mapping the encoder's features back to images.
            Defaults to `styletransfer.mirror_decoder(encoder)`.
        style_layers: names of encoder layers whose statistics the style loss matches.
            Defaults to every ReLU output of the encoder (`relu_layer_names`).
        style_weight: float >= 0. The style loss weight lambda. Defaults to `1.0`.
        eps: float. AdaIN's variance stabiliser. Defaults to `1e-5`.
        seed: int. Seed of the style order drawn when batches carry no style images.
            Defaults to 0.
        **kwargs: passed to `keras.Model`.

    Example:
    ```python
    encoder = styletransfer.encoder_from_classifier(classifier, "block1_relu0")
    trainer = StyleDecoderTrainer(encoder, style_weight=1.0)
    trainer.compile(optimizer=keras.optimizers.Adam(1e-3))
    trainer.fit(tf.data.Dataset.from_tensor_slices(x_train).shuffle(1000).batch(32), epochs=5)
    stylised = trainer.transfer(x_content, x_style)  # in [-1, 1]
    ```
    """

    metric_names = ("loss", "content_loss", "style_loss")
    step_optimizer = "optimizer"
    # One draw a step (the style order): its seed is `(seed, step)`.
    draws_per_step = 1

    def __init__(
        self,
        encoder: keras.Model,
        decoder: keras.Model | None = None,
        style_layers: Sequence[str] | None = None,
        style_weight: float = 1.0,
        eps: float = DEFAULT_EPS,
        seed: int = 0,
        **kwargs,
    ):
        super().__init__(seed=seed, **kwargs)
        if not float(style_weight) >= 0.0:
            raise ValueError(f"style_weight must be a number >= 0; got {style_weight!r}")
        self.encoder = encoder
        self.decoder = mirror_decoder(encoder) if decoder is None else decoder
        decoded = output_shape_of(self.decoder)
        image_shape = input_shape_of(encoder)
        if decoded != image_shape:
            raise ValueError(
                f"decoder must make images of the encoder's input shape {image_shape}; "
                f"got {decoded}"
            )
        self.style_layers = list(style_layers or relu_layer_names(encoder))
        self.features = feature_model(encoder, self.style_layers, "style_layers")
        self.style_weight = float(style_weight)
        self.eps = float(eps)
        self.image_shape = image_shape
        self.init_trackers(self.metric_names)
        self.built = True

    # ----------------------------------------------------------------- compile
    def networks(self) -> tuple[keras.Model, ...]:
        return (self.decoder,)

    def default_optimizers(self) -> dict[str, keras.optimizers.Optimizer]:
        return {"optimizer": keras.optimizers.Adam(1e-3)}

    def optimizer_variables(self) -> dict[str, list]:
        return {"optimizer": self.decoder.trainable_variables}

    def compile(
        self, *, optimizer: keras.optimizers.Optimizer | None = None,
        jit_compile: bool | str = "auto", **kwargs,
    ) -> None:
        """Configures the trainer for `fit()`.

        Args:
            optimizer: the decoder's optimizer. Defaults to `Adam(1e-3)`.
            jit_compile: `True`, `False` or `"auto"`: XLA on an accelerator, and on a CPU the faster
                path, timed on the first `fit`'s data (see `tfgenaug.trainers.compile_path`). `True`
                compiles the whole step on one device, the per-replica maths under a strategy.
                Defaults to `"auto"`.
            **kwargs: passed to `keras.Model.compile`.
        """
        self.compile_trainer({"optimizer": optimizer}, jit_compile=jit_compile, **kwargs)

    # ----------------------------------------------------------------- maths
    def _statistics(self, images):
        outputs = self.features(images, training=False)
        outputs = outputs if isinstance(outputs, list | tuple) else [outputs]
        return [channel_statistics(tf.cast(o, tf.float32), self.eps) for o in outputs]

    def losses_and_gradients(self, content, style):
        """Per-replica loss terms (averaged over the global batch) and decoder gradients."""
        batch = tf.shape(content)[0]
        content_features = tf.cast(self.encoder(content, training=False), tf.float32)
        style_features = tf.cast(self.encoder(style, training=False), tf.float32)
        target = tf.stop_gradient(adain(content_features, style_features, self.eps))
        style_statistics = self._statistics(style)
        with tf.GradientTape() as tape:
            generated = self.decoder(target, training=True)
            generated_features = tf.cast(self.encoder(generated, training=False), tf.float32)
            content_per_example = tf.reduce_mean(
                tf.square(generated_features - target), axis=[1, 2, 3]
            )
            style_per_example = tf.zeros_like(content_per_example)
            generated_statistics = self._statistics(generated)
            for (mean_g, std_g), (mean_s, std_s) in zip(
                generated_statistics, style_statistics, strict=True
            ):
                style_per_example += tf.reduce_mean(tf.square(mean_g - mean_s), axis=[1, 2, 3])
                style_per_example += tf.reduce_mean(tf.square(std_g - std_s), axis=[1, 2, 3])
            content_loss = self.average_loss(content_per_example, batch)
            style_loss = self.average_loss(style_per_example, batch)
            loss = content_loss + self.style_weight * style_loss
        grads = self.gradients(tape, loss, self.decoder, self.optimizer)
        terms = {"loss": loss, "content_loss": content_loss, "style_loss": style_loss}
        return terms, grads

    def batch_spec(self, range_check: bool = True) -> batch_checks.BatchSpec:
        """What `fit` takes: image batches of the encoder's input shape in [-1, 1]."""
        return self.fit_spec(range_check, image_shape=tuple(self.image_shape),
                             image_shape_source="the encoder's input", labels=None)

    def checked_batch(self, batch, spec: batch_checks.BatchSpec):
        """`batch` with its content and style images checked (labels are not used)."""

        def check(images):
            batch_checks.check_static(spec, images)
            return batch_checks.checked(spec, images)[0]

        if isinstance(batch, dict):
            return {key: check(value) if key in ("content", "style", "images") else value
                    for key, value in batch.items()}
        if isinstance(batch, tuple | list):
            return tuple(
                check(value) if index == 0 or len(value.shape) == 4 else value
                for index, value in enumerate(batch)
            )
        return check(batch)

    def unpack_batch(self, data) -> tuple[tf.Tensor, tf.Tensor]:
        """`(content, style)` from a batch.

        A dict `{"content", "style"}` or a tuple of two image batches gives both; images
        alone, `(images, labels)` or `{"images": ...}` use the batch in a random order
        (keyed by the seed and the step) as the style images.
        """
        if isinstance(data, dict):
            if "content" in data:
                content, style = data["content"], data["style"]
            else:
                content, style = data["images"], None
        elif isinstance(data, tuple | list):
            content = data[0]
            second = data[1] if len(data) > 1 else None
            style = second if second is not None and second.shape.rank == 4 else None
        else:
            content, style = data, None
        content = tf.cast(content, self.compute_dtype)
        if style is None:
            keys = self.replica_uniform(tf.shape(content)[0], draw=0)
            style = tf.gather(content, tf.argsort(keys))
        return content, tf.cast(style, self.compute_dtype)

    def train_step(self, data):
        content, style = self.unpack_batch(data)
        terms, grads = self.xla_maths(self.losses_and_gradients)(content, style)
        self.apply_update(self.optimizer, grads, self.decoder)
        return self.update_trackers(terms)

    # ----------------------------------------------------------------- use
    def call(self, inputs, training=False):
        """Stylises `(content, style)` images with alpha 1 (see `transfer`)."""
        content, style = inputs
        target = adain(self.encoder(content, training=False),
                       self.encoder(style, training=False), self.eps)
        return self.decoder(target, training=training)

    def transfer(self, content, style, alpha: float = 1.0, clip: Sequence[float] | None = (-1, 1)):
        """Renders `content` in the style of `style`.

        Args:
            content: images `(N, H, W, C)` in the encoder's input range.
            style: images `(N or 1, H, W, C)`, same range.
            alpha: float in [0, 1]. Blend of the AdaIN target with the content features:
                `alpha * t + (1 - alpha) * E(c)`; 0 reconstructs the content.
                Defaults to `1.0`.
            clip: `(low, high)` the output is clipped to, or `None`. Defaults to
                `(-1, 1)`.

        Returns:
            float32 tensor `(N, H, W, C)`.
        """
        if not 0.0 <= float(alpha) <= 1.0:
            raise ValueError(f"alpha must be in [0, 1]; got {alpha!r}")
        content_features = self.encoder(content, training=False)
        target = adain(content_features, self.encoder(style, training=False), self.eps)
        target = alpha * target + (1.0 - alpha) * content_features
        images = tf.cast(self.decoder(target, training=False), tf.float32)
        return images if clip is None else tf.clip_by_value(images, clip[0], clip[1])

    # ----------------------------------------------------------------- config
    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "encoder": keras.saving.serialize_keras_object(self.encoder),
            "decoder": keras.saving.serialize_keras_object(self.decoder),
            "style_layers": list(self.style_layers),
            "style_weight": self.style_weight,
            "eps": self.eps,
            "seed": self.seed,
        }

    @classmethod
    def from_config(cls, config: dict):
        config = dict(config)
        for key in ("encoder", "decoder"):
            if isinstance(config.get(key), dict):
                config[key] = keras.saving.deserialize_keras_object(config[key])
        return cls(**config)
