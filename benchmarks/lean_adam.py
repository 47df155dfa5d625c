"""An experiment, not adopted: Keras' Adam bit for bit, traced with fewer ops.

`keras.optimizers.Adam` on the TensorFlow backend casts the learning rate and the step,
raises both betas to the step's power and forms the bias-corrected rate again for every
variable (~40 graph ops a variable), and before any update it "all-reduces" the
gradients through the replica context even on one device, which wraps them in a
`tf.custom_gradient` that TensorFlow keeps in a global registry for the life of the
process, with the step's graph in its closure (`benchmarks/custom_gradient_leak.py`).

`LeanAdam` computes those scalars once per device and dtype per update, applies the same
elementwise maths in the same order with TensorFlow ops, and skips the all-reduce when
there is one replica in sync (a sum over one replica is the gradient itself). Its results
equal Keras' Adam's exactly, with and without XLA and under `tf.distribute`
(`tests/benchmarks/test_lean_adam.py`); with `amsgrad=True` or sparse gradients it takes
Keras' own update.

Tried on 2026-12-07 as the library's default optimizer and not adopted: a new trainer's
first fit was a tie with Grappler (0.97-0.98x) and 0.80-0.92x without it
(`benchmarks.adam_trace`), but `tests/trainers` ran 1.03x (0.97-1.13) as long with it
(`benchmarks.suite_variants`, results in `suite_variants_adam`), and the trainers' step
graphs stay alive anyway through Keras' synchronized BatchNormalization, which
all-reduces its moments the same way. No measured end-to-end gain did not pay for
overriding Keras' private `_backend_update_step`.
"""

import keras
import tensorflow as tf


@keras.saving.register_keras_serializable(package="tfgenaug_benchmarks")
class LeanAdam(keras.optimizers.Adam):
    """`keras.optimizers.Adam` with the same results, traced leaner (module docstring).

    Args: those of `keras.optimizers.Adam`.

    Example:
    ```python
    trainer.compile(d_optimizer=LeanAdam(1e-4, 0.0, 0.9), g_optimizer=LeanAdam(1e-4, 0.0, 0.9))
    ```
    """

    def _backend_update_step(self, grads, trainable_variables, learning_rate):
        if self.amsgrad or any(isinstance(g, tf.IndexedSlices) for g in grads):
            return super()._backend_update_step(grads, trainable_variables, learning_rate)
        variables = [v.value if isinstance(v, keras.Variable) else v
                     for v in trainable_variables]
        grads_and_vars = list(zip(grads, variables, strict=True))
        context = tf.distribute.get_replica_context()
        if context is not None and context.num_replicas_in_sync > 1:
            grads_and_vars = self._all_reduce_sum_gradients(grads_and_vars)
        tf.__internal__.distribute.interim.maybe_merge_call(
            self._update_all, self._distribution_strategy, grads_and_vars, learning_rate
        )

    def _update_all(self, distribution, grads_and_vars, learning_rate):
        step_sizes = {}  # (device, dtype) -> the bias-corrected learning rate

        def update(variable, gradient):
            dtype = variable.dtype
            key = (variable.device, dtype)
            if key not in step_sizes:
                step_sizes[key] = self._step_size(learning_rate, dtype)
            self._update_one(variable, tf.cast(gradient, dtype), step_sizes[key])

        for gradient, variable in grads_and_vars:
            distribution.extended.update(variable, update, args=(gradient,), group=False)

    def _step_size(self, learning_rate, dtype) -> tf.Tensor:
        """`lr * sqrt(1 - beta_2^t) / (1 - beta_1^t)` at `t = iterations + 1`, as Keras."""
        step = tf.cast(self.iterations + 1, dtype)
        beta_1_power = tf.pow(tf.cast(self.beta_1, dtype), step)
        beta_2_power = tf.pow(tf.cast(self.beta_2, dtype), step)
        return tf.cast(learning_rate, dtype) * tf.sqrt(1 - beta_2_power) / (1 - beta_1_power)

    def _update_one(self, variable, gradient, step_size) -> None:
        index = self._get_variable_index(variable)
        m = self._momentums[index].value
        v = self._velocities[index].value
        m.assign_add(tf.multiply(tf.subtract(gradient, m), 1 - self.beta_1))
        v.assign_add(tf.multiply(tf.subtract(tf.square(gradient), v), 1 - self.beta_2))
        variable.assign_sub(
            tf.divide(tf.multiply(m, step_size), tf.add(tf.sqrt(v), self.epsilon)))
