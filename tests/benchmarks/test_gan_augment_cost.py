"""Smoke test of `benchmarks/gan_augment_cost.py`: the quick mode writes a full report."""

import os
import re
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_quick_mode_writes_the_three_ratios_and_the_machine_line(tmp_path):
    out = tmp_path / "r.md"
    completed = subprocess.run(
        [sys.executable, "-m", "benchmarks.gan_augment_cost", "--quick", f"--out={out}"],
        cwd=REPO, capture_output=True, text=True, timeout=300, check=False,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert out.exists()
    text = out.read_text()
    assert re.search(r"^Machine: \d+ cores .*TensorFlow .*Keras ", text, re.MULTILINE)
    # Only that the ratios are positive numbers: quick numbers are noise, goals not checked.
    for name in ("tf.data ratio", "in-model ratio", "throughput ratio"):
        match = re.search(rf"{name}: (\d+\.\d+)x \((\d+\.\d+)-(\d+\.\d+)\)", text)
        assert match, f"{name} missing from the report:\n{text}"
        assert all(float(value) > 0 for value in match.groups())
    assert "python -m benchmarks.gan_augment_cost --quick" in text
