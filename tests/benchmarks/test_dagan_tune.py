"""benchmarks/dagan_tune.py: variants parse, and a cached variant is read, not retrained."""

import pytest

from benchmarks import dagan_tune
from tfgenaug import jsonio


def test_a_variant_is_steps_rate_widths_and_optionally_noise_and_image_size():
    assert dagan_tune.parse_variant("1500:2e-4:16:32") == {
        "steps": 1500, "learning_rate": 2e-4, "width": 16, "critic_width": 32}
    variant = dagan_tune.parse_variant("1500:2e-4:16:32:8:16")
    assert variant["noise_dim"] == 8 and variant["image_size"] == 16
    # The four-field names are the committed cache's: they must not change.
    assert dagan_tune.variant_name(dagan_tune.parse_variant("1500:1e-4:16:32")) == (
        "s1500_lr0.0001_w16_cw32")
    assert dagan_tune.variant_name(variant) == "s1500_lr0.0002_w16_cw32_z8_px16"
    for bad in ("1500:2e-4", "1:2:3:4:5:6:7"):
        with pytest.raises(ValueError, match="a variant is steps:learning_rate"):
            dagan_tune.parse_variant(bad)


def test_a_cached_variant_is_returned_without_training(tmp_path, monkeypatch):
    def no_training(*args, **kwargs):
        raise AssertionError("a cached variant was retrained")

    monkeypatch.setattr(dagan_tune.runs, "train_generator", no_training)
    record = {"variant": "s10_lr0.0001_w16_cw32", "label_agreement": 0.5}
    jsonio.write_json(str(tmp_path / "s10_lr0.0001_w16_cw32.json"), record)
    variant = dagan_tune.parse_variant("10:1e-4:16:32")
    assert dagan_tune.run_variant(variant, str(tmp_path), str(tmp_path / "work")) == record
