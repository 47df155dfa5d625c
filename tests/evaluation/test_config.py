"""`EvalConfig.validate`: every bad field named, and the generator a condition needs."""

import pytest

from tfgenaug.evaluation import EvalConfig


@pytest.mark.parametrize("field, value, message", [
    ("condition", "mixup", r"condition must be one of \["),
    ("imbalance_ratio", 0.0, r"imbalance_ratio must be a number in \(0, 1\]; got 0.0"),
    ("imbalance_ratio", 1.5, r"imbalance_ratio must be a number in \(0, 1\]; got 1.5"),
    ("count", -1, "count must be an integer >= 0"),
    ("steps", 0, "steps"),
    ("gan_rate", 2.0, r"gan_rate must be a number in \[0, 1\]"),
    ("dada_width_multiplier", 0.0, "dada_width_multiplier must be a number > 0; got 0.0"),
    ("dada_width_multiplier", "1", "dada_width_multiplier must be a number > 0; got '1'"),
])
def test_bad_fields_are_named(field, value, message):
    with pytest.raises(ValueError, match=message):
        EvalConfig(**{field: value}).validate()


def test_gan_condition_needs_a_generator():
    with pytest.raises(ValueError, match="condition='dcgan' needs generator="):
        EvalConfig(condition="dcgan").validate()
