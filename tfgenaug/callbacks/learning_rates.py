"""Each optimizer's learning rate in the epoch logs, for TensorBoard and `History`."""

import keras


class LearningRates(keras.callbacks.Callback):
    """Adds the learning rate of each of the trainer's optimizers to the epoch logs.

    Keras' `TensorBoard` plots `model.optimizer.learning_rate` only, and a GAN trainer's
    optimizers are its own (`d_optimizer`, `g_optimizer`, ...). This callback writes
    `d_learning_rate`, `g_learning_rate`, ... (the optimizer's name without
    `_optimizer`) into the logs at each epoch's end: the value the optimizer uses now,
    a schedule's included. Put it *before* `TensorBoard` in the callbacks so that it
    sees them. A model without `optimizer_names` (not a tfgenaug trainer) gets nothing.

    Example:
    ```python
    trainer.fit(ds, epochs=10, callbacks=[
        tfgenaug.callbacks.LearningRates(), keras.callbacks.TensorBoard("logs")])
    ```
    """

    def on_epoch_end(self, epoch, logs=None):
        if logs is None:
            return
        for name in getattr(self.model, "optimizer_names", ()):
            if name == "optimizer":
                continue  # Keras' own: TensorBoard logs it as `learning_rate`
            rate = getattr(self.model, name).learning_rate
            logs[f"{name.removesuffix('_optimizer')}_learning_rate"] = float(
                keras.ops.convert_to_numpy(rate))
