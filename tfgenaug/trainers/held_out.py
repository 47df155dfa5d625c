"""Keras' held-out evaluation on a trainer: `evaluate` and `fit(validation_data=...)`.

Keras' default test step calls the model on a batch's inputs and applies the compiled
loss. A trainer that computes its losses in its own `train_step` compiles no loss, and
its `call` is its generator's (`[noise, labels] -> images`), so Keras' step failed deep
inside with "Layer 'generator' expects 2 named input(s)" (and a classifier trainer
without a compiled loss or metrics returned nothing). The mixin says what is wrong, and
what to use, before any work starts. A trainer compiled with a Keras loss or metrics (the
adversarial classifier trainer) or with its own `test_step` evaluates as any Keras model.
"""

import keras

_WHAT_TO_USE = (
    "Judge a generator by its samples instead: tfgenaug.metrics.label_agreement, "
    "fid_from_features, precision_recall_density_coverage (on "
    "tfgenaug.metrics.feature_extractor features), or the train binary's report."
)


class HeldOutMixin:
    """`evaluate` and `fit`'s validation arguments, refused clearly when they cannot work."""

    def can_evaluate(self) -> bool:
        """Whether Keras' test step has a loss or metrics to compute on held-out batches."""
        if type(self).test_step is not keras.Model.test_step:
            return True
        compiled = keras.Model.get_compile_config(self) or {}  # Keras' own arguments
        return any(compiled.get(key) for key in ("loss", "metrics", "weighted_metrics"))

    def check_held_out(self, where: str) -> None:
        """Raises a `ValueError` naming `where` unless `can_evaluate()`.

        Args:
            where: the call that asked for held-out evaluation, e.g. `"evaluate"`.
        """
        if not self.can_evaluate():
            name = type(self).__name__
            raise ValueError(
                f"{name}.{where}: {name} computes its losses in its own train_step and "
                "compiles no Keras loss, so there is no held-out loss for Keras' test "
                f"step to compute (it would call the generator on images). {_WHAT_TO_USE}")

    def evaluate(self, *args, **kwargs):
        """`keras.Model.evaluate`; a `ValueError` for a trainer without a test loss."""
        self.check_held_out("evaluate")
        return super().evaluate(*args, **kwargs)
