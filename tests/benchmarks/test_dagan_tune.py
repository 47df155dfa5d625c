"""benchmarks/dagan_tune.py: variants parse, and a cached variant is read, not retrained."""

import pytest

from benchmarks import dagan_tune
from tfgenaug import jsonio


def test_a_variant_is_steps_rate_width_and_critic_width():
    assert dagan_tune.parse_variant("1500:2e-4:16:32") == {
        "steps": 1500, "learning_rate": 2e-4, "width": 16, "critic_width": 32}
    with pytest.raises(ValueError):
        dagan_tune.parse_variant("1500:2e-4")


def test_a_cached_variant_is_returned_without_training(tmp_path, monkeypatch):
    def no_training(*args, **kwargs):
        raise AssertionError("a cached variant was retrained")

    monkeypatch.setattr(dagan_tune.runs, "train_generator", no_training)
    record = {"variant": "s10_lr0.0001_w16_cw32", "label_agreement": 0.5}
    jsonio.write_json(str(tmp_path / "s10_lr0.0001_w16_cw32.json"), record)
    variant = dagan_tune.parse_variant("10:1e-4:16:32")
    assert dagan_tune.run_variant(variant, str(tmp_path), str(tmp_path / "work")) == record
