"""A trainer's `compile` arguments as a config: `keras.models.load_model` compiles it again.

Keras saves what `keras.Model.compile` was given and, on loading, calls
`compile(**config)` only for models that keep Keras' own `compile`; a model with its
own `compile` must say how (`get_compile_config` / `compile_from_config`), or
`load_model` leaves it uncompiled with a warning. Trainers take their optimizers by
keyword (`d_optimizer=`, `g_optimizer=`, ...) and `jit_compile="auto"`, which Keras'
config does not hold. With this mixin a `.keras` file restores a trainer ready to go on
training: its optimizers (with their slots and step counter, which Keras loads into the
optimizers this compile builds), its compile path request and Keras' own arguments
(`steps_per_execution`, a classifier's loss and metrics).
"""

import keras

# The config's keys besides Keras' own.
OPTIMIZERS_KEY = "trainer_optimizers"


def _unwrapped(optimizer):
    """The optimizer a `LossScaleOptimizer` wraps (compile wraps it again if needed)."""
    return getattr(optimizer, "inner_optimizer", optimizer)


class CompileConfigMixin:
    """`get_compile_config` / `compile_from_config` for `tfgenaug.trainers.core.Trainer`.

    State (set by `Trainer.compile_trainer`): `_optimizer_names` (the keyword names of
    the optimizers `compile` took) and `_jit_compile_request` (`True`, `False` or
    `"auto"`, as given).
    """

    @property
    def optimizer_names(self) -> tuple[str, ...]:
        """The attribute names of the optimizers `compile` set (`("d_optimizer",
        "g_optimizer")`, ...; `"optimizer"` is Keras' own); `()` before `compile`."""
        return tuple(getattr(self, "_optimizer_names", ()))

    def get_compile_config(self) -> dict:
        """Keras' compile config, plus the trainer's optimizers and `jit_compile` request.

        Returns:
            A JSON-serializable dict; `{}` before `compile`.
        """
        config = super().get_compile_config()
        if not config:
            return config
        optimizers = {name: keras.saving.serialize_keras_object(_unwrapped(getattr(self, name)))
                      for name in self.optimizer_names}
        return {**config, "jit_compile": self._jit_compile_request, OPTIMIZERS_KEY: optimizers}

    def compile_from_config(self, config: dict) -> None:
        """Compiles the trainer with the arguments `get_compile_config` recorded.

        Args:
            config: a dict from `get_compile_config`.

        Example:
        ```python
        trainer.save("wgan_gp.keras")
        restored = keras.models.load_model("wgan_gp.keras")  # calls this: compiled,
        restored.fit(ds, epochs=1)                           # optimizers restored
        ```
        """
        config = dict(config)
        optimizers = {name: keras.saving.deserialize_keras_object(optimizer)
                      for name, optimizer in config.pop(OPTIMIZERS_KEY, {}).items()}
        arguments = keras.saving.deserialize_keras_object(config)
        if "optimizer" in optimizers:
            arguments.pop("optimizer", None)  # the trainer's own, recorded above
        self.compile(**arguments, **optimizers)
        if "optimizer" in optimizers and self.built and not self.optimizer.built:
            # Keras' own optimizer, built at its first update: its variables must
            # exist now for `load_model` to restore them (as Keras does for its models).
            self.optimizer.build(self.trainable_variables)
