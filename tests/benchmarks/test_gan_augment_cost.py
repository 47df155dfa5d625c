"""Smoke test of `benchmarks/gan_augment_cost.py`: the quick mode writes a full report."""

import re

from benchmarks import gan_augment_cost


def test_quick_mode_writes_the_three_ratios_and_the_machine_line(tmp_path):
    out = tmp_path / "r.md"
    # In-process: a subprocess would import TensorFlow again (~8 s on two cores).
    assert gan_augment_cost.main(["--quick", f"--out={out}"]) == 0
    text = out.read_text()
    assert re.search(r"^Machine: \d+ cores .*TensorFlow .*Keras ", text, re.MULTILINE)
    # Only that the ratios are positive numbers: quick numbers are noise, goals not checked.
    for name in ("tf.data ratio", "in-model ratio", "throughput ratio"):
        match = re.search(rf"{name}: (\d+\.\d+)x \((\d+\.\d+)-(\d+\.\d+)\)", text)
        assert match, f"{name} missing from the report:\n{text}"
        assert all(float(value) > 0 for value in match.groups())
    assert "python -m benchmarks.gan_augment_cost --quick" in text
