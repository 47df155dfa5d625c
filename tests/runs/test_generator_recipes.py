"""runs/generator_recipes.py: each recipe's `reads` lists what its trainer really reads."""

import dataclasses

import pytest

from tfgenaug.runs import TrainConfig
from tfgenaug.runs.generator_recipes import RECIPES
from tfgenaug.runs.generator_recipes import TRAINER_SPECIFIC_FIELDS

# A value other than the default for each trainer-specific field.
CHANGED = {"steps": 7, "width": 8, "critic_width": 8, "width_multiplier": 0.5,
           "gan_epochs": 3, "epochs": 5, "aug": True, "aug_flip": True}


def _what_the_trainer_gets(name: str, config: TrainConfig) -> tuple:
    recipe = RECIPES[name]
    return recipe.arguments(config, None), recipe.schedule(config, 1000)


@pytest.mark.parametrize("name", sorted(RECIPES))
def test_reads_are_the_fields_that_change_the_trainers_arguments_or_schedule(name):
    # `TrainConfig.validate` and the train binary refuse the fields a recipe does not
    # read; a field it reads but drops, or reads without listing, would slip past them.
    assert set(CHANGED) == set(TRAINER_SPECIFIC_FIELDS)
    base = TrainConfig(trainer=name)
    baseline = _what_the_trainer_gets(name, base)
    reads = {field for field, value in CHANGED.items()
             if _what_the_trainer_gets(name, dataclasses.replace(base, **{field: value}))
             != baseline}
    assert reads == set(RECIPES[name].reads)
