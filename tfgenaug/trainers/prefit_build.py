"""What Keras' pre-fit build under a distribution strategy needs, read the safe way.

Under a strategy, Keras 3's TF trainer builds the model before `fit` from one batch
(`_maybe_symbolic_build(iterator=...)`). It has two pitfalls for the trainers:

- it averages that distributed batch across replicas with an eager `strategy.reduce`,
  only to learn its shapes; `MultiWorkerMirroredStrategy` cannot reduce eagerly
  (keras-team/keras#20585: "Attempt to convert a value (PerReplica...)"). The first
  local replica's batch has the same shapes (`first_local_batch`).
- it reads the batch even when nothing is left to build, through an iterator of its
  own, then resets the epoch iterator, so training opens a second one; a dataset that
  reshuffles per iteration then trains a mirrored run on other batches than the same
  run on one device. `needs_a_batch` says whether the build would use one.
"""

import keras
import tensorflow as tf


def needs_a_batch(model: keras.Model) -> bool:
    """Whether Keras' `_symbolic_build` would read a batch for `model`.

    Keras 3.15's own conditions: a layer not built, or compiled metrics or a compiled
    loss not built.

    Args:
        model: a compiled `keras.Model`.

    Returns:
        True if the pre-fit build needs a batch.
    """
    compiled = (model._compile_metrics, model._compile_loss)
    return (not all(layer.built for layer in model._flatten_layers())
            or any(part is not None and not part.built for part in compiled))


def first_local_value(value):
    """The first local replica's component of a distributed value; other values as they are."""
    if isinstance(value, tf.distribute.DistributedValues):
        return value.values[0]
    return value


def first_local_batch(epoch_iterator):
    """The first local replica's part of the next batch of a Keras TF epoch iterator.

    Args:
        epoch_iterator: what Keras passes to `_maybe_symbolic_build`: it yields
            `(step, index, iterator)` triples.

    Returns:
        The batch's structure with each distributed value replaced by its first local
        replica's component; None if the iterator yields nothing.
    """
    for _, _, batches in epoch_iterator:
        return tf.nest.map_structure(first_local_value, next(batches))
    return None
