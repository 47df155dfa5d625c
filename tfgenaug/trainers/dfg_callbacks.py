"""`AttentionUpdate`: the callback that keeps DFG's class attention current during `fit`."""

import keras

from tfgenaug.trainers.dfg_protocol import attention_sample
from tfgenaug.validation import check_positive_int


class AttentionUpdate(keras.callbacks.Callback):
    """Calls `trainer.update_attention` before every `every`-th train step (step 0 too).

    Args:
        images: float images to measure the attention on.
        labels: their int class ids.
        every: int. Steps between updates. Defaults to the trainer's
            `attention_every`.
        per_class: int. Images per class kept from `images` (`attention_sample`).
            Defaults to 10.

    Example:
    ```python
    trainer.fit(ds, epochs=10, callbacks=[AttentionUpdate(images, labels)])
    ```
    """

    def __init__(self, images, labels, every: int | None = None, per_class: int = 10):
        super().__init__()
        if every is not None:
            check_positive_int(every, "every")
        self.images, self.labels = attention_sample(images, labels, per_class)
        self.every = every
        self.updates = 0
        self._last_step = None

    def on_train_batch_begin(self, batch, logs=None):
        trainer = self.model
        step = trainer.train_steps
        every = self.every or trainer.attention_every
        if step % every == 0 and step != self._last_step:
            trainer.update_attention(self.images, self.labels)
            self.updates += 1
            self._last_step = step
