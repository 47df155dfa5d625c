"""Fine-tuning of a pretrained, split classifier: DFG's "Original" and "DELTA" baselines.

`FineTuner` trains the feature extractor E and the classifier C of a network pretrained
on source data (see `tfgenaug.trainers.dfg_protocol.pretrain_source`) on target data, with the
loss of DFG's E+C update and nothing else:

    CE(C(E(x)), y) + delta_weight * Omega

Omega is DELTA's regularizer toward frozen copies of the source E
(`tfgenaug.trainers.dfg_losses.delta_regularizer`), with the channel weights DFG uses
(channel ablation of the source E and C on target images, `update_delta_weights`).
`delta_weight=0` is the paper's *Original* row (plain fine-tuning), `delta_weight=0.01`
(DFG's default) its *DELTA* row. There is no generator and no critic, so the two rows
differ from `DFG` only by the feature generation: the same losses, optimizer (Adam
1e-4, 0.5, 0.9), step counter and metric names (`ec_loss`, `omega`, `accuracy`).

Why a separate trainer rather than `DFG` with generation off: `DFG`'s step always makes
its critic and generator updates (five critic passes with a gradient penalty per step),
which would make the baselines five to ten times slower for nothing, and turning them
off inside `DFG` would add a mode to every branch of its step.
"""

import keras
import numpy as np
import tensorflow as tf

from tfgenaug.trainers.source_regularized import SourceRegularizedTrainer
from tfgenaug.trainers.source_regularized import default_adam


@keras.saving.register_keras_serializable(package="tfgenaug")
class FineTuner(SourceRegularizedTrainer):
    """Fine-tunes E and C on target data with cross-entropy plus DELTA's Omega.

    See the module docstring. `fit()` takes `(images, labels)` batches in the range E
    was pretrained on ([-1, 1] in this library); `classifier_model()` is E then C.

    References:
        - Li et al., [DELTA: DEep Learning Transfer using Feature Map with
          Attention](https://arxiv.org/abs/1901.09229).
        - Suh et al., [Discriminative Feature Generation for Classification of
          Imbalanced Data](https://arxiv.org/abs/2010.12888) (its baselines).

    Args:
        extractor: `keras.Model` E from images to feature maps `(N, h, w, c)`,
            pretrained on the source.
        classifier: `keras.Model` C from E's feature maps to logits `(N, K)`.
        num_classes: int. K.
        delta_weight: float >= 0. Weight of Omega; 0 for plain fine-tuning. Defaults to
            0.01 (DELTA, as in `DFG`).
        **kwargs: passed to `keras.Model`.

    Example:
    ```python
    extractor, classifier = lenet5_split((16, 16, 1), num_classes=5)
    pretrain_source(extractor, classifier, source_images, source_labels, steps=500)
    tuner = FineTuner(extractor, classifier, num_classes=5, delta_weight=0.01)
    tuner.compile()
    tuner.update_delta_weights(*attention_sample(images, labels))
    tuner.fit(train.repeat().batch(64), steps_per_epoch=500, epochs=2)
    logits = tuner.classifier_model().predict(test_images)
    ```
    """

    metric_names = ("ec_loss", "omega", "accuracy")
    classifier_model_name = "fine_tuned_classifier"

    def __init__(
        self,
        extractor: keras.Model,
        classifier: keras.Model,
        num_classes: int,
        delta_weight: float = 0.01,
        **kwargs,
    ):
        super().__init__(extractor, classifier, num_classes, delta_weight, **kwargs)
        self.init_trackers(self.metric_names)
        self._delta_fn = None
        self.built = True

    step_optimizer = "ec_optimizer"  # one E+C update per step

    def default_optimizers(self) -> dict[str, keras.optimizers.Optimizer]:
        return {"ec_optimizer": default_adam()}

    def optimizer_variables(self) -> dict[str, list]:
        return {"ec_optimizer": self._ec_variables()}

    def compile(
        self,
        *,
        ec_optimizer: keras.optimizers.Optimizer | None = None,
        jit_compile: bool | str = "auto",
        **kwargs,
    ) -> None:
        """Configures the trainer for `fit()`.

        Args:
            ec_optimizer: optimizer of E and C. Defaults to `Adam(1e-4, 0.5, 0.9)`
                (DFG's). Wrapped in a `LossScaleOptimizer` when E or C computes in
                float16 (`mixed_float16`).
            jit_compile: `True`, `False` or `"auto"`: XLA on an accelerator, and on a CPU the faster
                path, timed on the first `fit`'s data (see `tfgenaug.trainers.compile_path`). `True`
                compiles the step (per replica under a multi-replica strategy, as `DFG` does).
                Defaults to `"auto"`.
            **kwargs: passed to `keras.Model.compile`.
        """
        self.compile_trainer({"ec_optimizer": ec_optimizer}, jit_compile=jit_compile, **kwargs)

    def train_step(self, data):
        images, labels = self.unpack_batch(data)
        terms, grads = self.xla_maths(self.extractor_classifier_maths)(images, labels)
        self.apply_update(self.ec_optimizer, grads, self._ec_variables())
        return self.update_trackers(terms)

    def update_delta_weights(self, images, labels) -> np.ndarray:
        """Sets DELTA's channel weights from the source E and C on `(images, labels)`.

        The same weights `DFG.update_attention` sets (the source networks are frozen,
        so one call at the start suffices).

        Args:
            images: float `(N, *image_shape)`, e.g. 10 per class (`attention_sample`).
            labels: int `(N,)` class ids.

        Returns:
            The weights `(channels,)` as a NumPy array.

        Raises:
            ValueError: images or labels of the wrong shape.

        Example:
        ```python
        tuner.update_delta_weights(*attention_sample(images, labels, 10))
        ```
        """
        images, labels = self._checked_arrays(images, labels)
        if self._delta_fn is None:
            self._delta_fn = tf.function(self._source_channel_weights)
        weights = self._delta_fn(images, labels)
        self.delta_weights.assign(weights)
        return np.asarray(weights)

    def get_config(self) -> dict:
        """The constructor's arguments (the source copies and DELTA's weights are state)."""
        return {
            **super().get_config(),
            "extractor": keras.saving.serialize_keras_object(self.extractor),
            "classifier": keras.saving.serialize_keras_object(self.classifier),
            "num_classes": self.num_classes,
            "delta_weight": self.delta_weight,
        }

    @classmethod
    def from_config(cls, config: dict):
        config = dict(config)
        for key in ("extractor", "classifier"):
            if isinstance(config.get(key), dict):
                config[key] = keras.saving.deserialize_keras_object(config[key])
        return cls(**config)
