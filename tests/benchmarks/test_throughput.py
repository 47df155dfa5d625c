"""Smoke test of `benchmarks/throughput.py`: the quick mode writes a full report."""

import re

from benchmarks import throughput
from tfgenaug.networks.reference import reference_critic
from tfgenaug.networks.reference import reference_generator


def test_quick_mode_writes_speedups_peak_shares_and_the_machine_line(tmp_path):
    out = tmp_path / "t.md"
    # In-process: the test session has TensorFlow imported already, which saves a
    # subprocess' ten seconds of imports.
    assert throughput.main(["--quick", f"--out={out}"]) == 0
    text = out.read_text()
    assert re.search(r"^Machine: \d+ cores .*TensorFlow .*Keras ", text, re.MULTILINE)
    assert re.search(r"^Load: 1-minute load average \d+\.\d at the start", text, re.MULTILINE)
    assert "python -m benchmarks.throughput --quick" in text
    assert "DADA is skipped in this run. DFG is skipped in this run." in text
    # Only that the numbers are positive: quick numbers are noise, goals not checked.
    for name in ("wgan_gp C=1 speed-up", "pipeline ratio"):
        number = r"(\d+(?:\.\d+)?)"
        match = re.search(rf"{name}: {number}x \({number}-{number}\)", text)
        assert match, f"{name} missing from the report:\n{text}"
        assert all(float(value) > 0 for value in match.groups())
    assert re.search(r"XLA step at \d+ % of the matmul peak", text)
    assert re.search(r"wgan_gp C=1: graph \d+\.\d+, analytic \d+\.\d+ GFLOP", text)


def test_analytic_flops_of_the_reference_networks():
    generator = reference_generator((32, 32, 3))
    critic = reference_critic((32, 32, 3))
    # Per example, forward: G = Dense 138 -> 4096 and three transposed convolutions;
    # D = three convolutions on 13 = 3 + 10 label channels and Dense 4096 -> 1.
    g = 2 * (138 * 4096 + 16 * 256 * 16 * 128 + 64 * 128 * 16 * 64 + 256 * 64 * 16 * 3)
    d = 2 * (256 * 64 * 16 * 13 + 64 * 128 * 16 * 64 + 16 * 256 * 16 * 128 + 4096)
    assert sum(throughput.layer_flops(generator).values()) == g
    assert sum(throughput.layer_flops(critic).values()) == d
    assert throughput.analytic_wgan_gp_flops(generator, critic, 2, 5) == 2 * (8 * g + 62 * d)
