"""What `fit` takes besides training batches, refused clearly where a trainer cannot use it.

Held-out data (`validation_data`, `validation_split`) is `held_out.HeldOutMixin`'s case.
Sample weights are this module's: Keras turns `fit(..., sample_weight=...)` and
`class_weight=...` into a third element of every batch, and a trainer whose losses are
its own (the GAN trainers, the fine-tuner) never read it. Before this check a user who
weighted rare classes, the case this library exists for, trained unweighted without a
word. A trainer whose losses take weights (the adversarial classifier trainer, through
Keras' compiled loss) sets `uses_sample_weights = True`.
"""

from collections.abc import Mapping

_WHAT_TO_USE = (
    "To favour rare classes, draw balanced batches instead (e.g. "
    "tf.data.Dataset.sample_from_datasets over one dataset per class, or "
    "Dataset.rejection_resample)"
)


class FitArgumentsMixin:
    """`fit`'s held-out and sample-weight arguments, checked before any work."""

    # Whether the trainer's losses read a batch's sample weights.
    uses_sample_weights: bool = False

    def check_fit_arguments(self, kwargs: Mapping) -> None:
        """Raises a `ValueError` for a `fit` keyword argument the trainer cannot use.

        Args:
            kwargs: `fit`'s keyword arguments (besides `x` and `y`).
        """
        if kwargs.get("validation_data") is not None or kwargs.get("validation_split"):
            self.check_held_out("fit(validation_data=..., validation_split=...)")
        given = [key for key in ("sample_weight", "class_weight") if kwargs.get(key) is not None]
        if given and not self.uses_sample_weights:
            raise ValueError(self._unused_weights(f"fit({given[0]}=...)"))

    def check_batch_weights(self, batch) -> None:
        """Raises a `ValueError` for a tuple batch with sample weights the trainer ignores.

        Args:
            batch: one element of the training data: a tuple `(images, labels[,
                sample_weight])` or a dict.
        """
        has_weights = (isinstance(batch, tuple | list) and len(batch) > 2
                       and batch[2] is not None)
        if has_weights and not self.uses_sample_weights:
            raise ValueError(self._unused_weights(
                f"fit on batches of {len(batch)} elements (images, labels, sample_weight)"))

    def _unused_weights(self, where: str) -> str:
        name = type(self).__name__
        return (f"{name}.{where}: {name} computes its losses in its own train_step and does "
                f"not weight samples, so the weights would be ignored. {_WHAT_TO_USE}.")
