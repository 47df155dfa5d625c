"""The `fgsm` and `pgd` conditions: half of each plain batch replaced by adversarial examples.

The classifier is wrapped in an `AdversarialTrainer` (`tfgenaug.trainers.adversarial`)
that attacks the classifier being trained: ε = 16/255 of the [-1, 1] range (8/255 of
[0, 1]), PGD with 3 steps. The number and size of the gradient steps stay those of every
other condition.
"""

import dataclasses

import keras

from tfgenaug.trainers.adversarial import AdversarialTrainer

ADVERSARIAL_EPSILON = 16 / 255  # of the [-1, 1] range: 8/255 of [0, 1]
PGD_STEPS = 3


@dataclasses.dataclass(frozen=True)
class AdversarialWrap:
    """A `Condition.wrap`: trains the classifier on adversarial examples of `method`.

    Attributes:
        method: `"fgsm"` or `"pgd"`.
    """

    method: str

    def __call__(self, model: keras.Model, config) -> keras.Model:
        """`model` inside an `AdversarialTrainer` seeded with `config.seed`."""
        return AdversarialTrainer(
            model, method=self.method, epsilon=ADVERSARIAL_EPSILON, steps=PGD_STEPS,
            rate=0.5, mode="replace", value_range=(-1, 1), seed=config.seed,
        )
