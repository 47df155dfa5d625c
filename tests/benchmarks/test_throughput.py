"""Smoke test of `benchmarks/throughput.py`: the quick mode writes a full report."""

import dataclasses
import re

from benchmarks import throughput
from tests.benchmarks.usage import assert_usage_error
from tfgenaug.networks.reference import reference_critic
from tfgenaug.networks.reference import reference_generator
from tfgenaug.trainers.compile_path import CompilePath


def test_quick_mode_writes_speedups_peak_shares_and_the_machine_line(tmp_path):
    out = tmp_path / "t.md"
    # In-process: the test session has TensorFlow imported already, which saves a
    # subprocess' ten seconds of imports.
    assert throughput.main(["--quick", f"--out={out}"]) == 0
    text = out.read_text()
    assert re.search(r"^Machine: \d+ cores .*TensorFlow .*Keras ", text, re.MULTILINE)
    assert re.search(r"^Load: 1-minute load average \d+\.\d at the start", text, re.MULTILINE)
    assert "python -m benchmarks.throughput --quick" in text
    assert "Skipped in this run: DCGAN, DADA, DFG." in text
    # The compile-path row: XLA, no XLA and auto steps/s, auto's path, its probe's cost
    # and auto against the faster fixed path.
    row = re.search(r"^\| wgan_gp C=1 \| (.*) \|$", text.split("## Compile paths")[1],
                    re.MULTILINE)
    assert row, text
    cells = row.group(1).split(" | ")
    spread = r"\d+\.\d{3} \(\d+\.\d{3}-\d+\.\d{3}\)"
    assert all(re.fullmatch(spread, cell) for cell in cells[:3]), cells
    assert re.fullmatch(r"wgan_gp C=1 auto path: (XLA|graph) \(measured\)", cells[3]), cells
    assert float(re.fullmatch(r"(\d+\.\d) s", cells[4]).group(1)) > 0
    assert re.fullmatch(r"wgan_gp C=1 auto / faster: \d+\.\d\dx \(.*\)", cells[5]), cells
    assert re.fullmatch(r"(yes|no) \(median \d\.\d\d, tolerance \d\.\d\d\)", cells[6]), cells
    assert re.search(r"^- wgan_gp C=1: (XLA|graph \(no XLA\)) \(measured, median of 3 "
                     r"interleaved rounds: XLA \d+\.\d ms/step, graph \d+\.\d ms/step\); the "
                     r"probe took \d+\.\d s\.$", text, re.MULTILINE), text
    if throughput.torch_available():
        assert re.search(r"^PyTorch \d+\.\d+.* \d threads", text, re.MULTILINE)
        assert re.search(r"wgan_gp C=1 auto / PyTorch eager: \d+\.\d\dx \(", text)
        assert re.search(r"^- wgan_gp C=1: tfgenaug's default >= 1\.3x PyTorch eager: "
                         r"\*\*(met|NOT met)\*\*", text, re.MULTILINE)
        assert re.search(r"^- wgan_gp C=1 torch eager \(1 steps\): ", text, re.MULTILINE)
    else:
        assert "PyTorch not installed (pip install -e .[bench])" in text
    # Only that the numbers are positive: quick numbers are noise, goals not checked.
    for name in ("wgan_gp C=1 speed-up", "pipeline ratio"):
        number = r"(\d+(?:\.\d+)?)"
        match = re.search(rf"{name}: {number}x \({number}-{number}\)", text)
        assert match, f"{name} missing from the report:\n{text}"
        assert all(float(value) > 0 for value in match.groups())
    assert re.search(r"XLA step at \d+ % of the matmul peak", text)
    assert re.search(r"wgan_gp C=1: graph \d+\.\d+, analytic \d+\.\d+ GFLOP", text)
    assert re.search(r"^- wgan_gp C=1: XLA / no-XLA speed \d+\.\d\dx: issue 22's \*\*(met|NOT "
                     r"met)\*\* \(goal >= 1\); issue 10's \*\*(met|NOT met)\*\* \(goal >= 1\.3\)$",
                     text, re.MULTILINE), text

    # The raw results kept beside the report rebuild it, measuring nothing.
    out.write_text("spoilt")
    assert throughput.main(["--report_only", f"--out={out}"]) == 0
    assert out.read_text() == text


def test_report_only_without_raw_results_is_a_usage_error(tmp_path, capsys):
    assert_usage_error(throughput.main, ["--report_only", f"--out={tmp_path / 't.md'}"],
                       "--report_only needs the raw results of a run", capsys)


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


SETTINGS = dataclasses.replace(throughput.QUICK, repeats=3)


def fake_results(seconds: dict[str, list[float]], torch_version: str | None) -> dict:
    """`measure`'s results for the quick settings with the given seconds per timing."""
    times = {"matmul XLA": [0.01] * 3, "matmul no XLA": [0.02] * 3,
             "pipeline": [0.05] * 3, **seconds}
    steps = {name: 50 if name == "pipeline" else 1 for name in times}
    return {"times": times, "steps": steps, "flops": {name: 1e9 for name in times},
            "analytic": {1: 1e9},
            "paths": {"wgan_gp C=1": CompilePath(False, "measured", 0.3, 0.2)},
            "probe_seconds": {"wgan_gp C=1": 12.5}, "torch": torch_version}


def goal(text: str, what: str) -> str:
    match = re.search(rf"^- wgan_gp C=1: {re.escape(what)}.*$", text, re.MULTILINE)
    assert match, text
    return match.group(0)


def test_report_judges_auto_against_the_faster_path_and_pytorch():
    # No XLA is the faster path (0.5 s); auto runs it at 0.5 s, PyTorch at 0.75 s: auto is
    # within the noise and 1.5x PyTorch eager.
    seconds = {"wgan_gp C=1 XLA": [1.0, 1.0, 1.0], "wgan_gp C=1 no XLA": [0.5, 0.5, 0.5],
               "wgan_gp C=1 auto": [0.5, 0.52, 0.48],
               "wgan_gp C=1 torch eager": [0.75, 0.78, 0.72]}
    text = throughput.report(fake_results(seconds, "2.0, 2 threads"), SETTINGS, True, "cmd", 1)
    assert "| 12.5 s | wgan_gp C=1 auto / faster: 1.00x (0.96-1.04) | yes " in text
    assert "wgan_gp C=1 auto path: graph (measured)" in text
    assert goal(text, "auto within the noise").endswith(
        "**yes** (auto / faster 1.00x (0.96-1.04), tolerance 0.05)")
    assert goal(text, "tfgenaug's default >= 1.3x PyTorch eager").startswith(
        "- wgan_gp C=1: tfgenaug's default >= 1.3x PyTorch eager: **met** (auto / PyTorch "
        "eager 1.50x (1.50-1.50))")
    assert "wgan_gp C=1 auto / PyTorch eager: 1.50x (1.50-1.50) | 0.75x " in text
    assert "PyTorch not installed" not in text


def test_report_says_when_auto_is_slow_and_pytorch_wins_or_is_missing():
    # Auto took XLA at twice the faster no-XLA path's time; PyTorch is as fast as auto.
    seconds = {"wgan_gp C=1 XLA": [1.0, 1.0, 1.0], "wgan_gp C=1 no XLA": [0.5, 0.5, 0.5],
               "wgan_gp C=1 auto": [1.0, 1.0, 1.0],
               "wgan_gp C=1 torch eager": [1.0, 1.0, 1.0]}
    text = throughput.report(fake_results(seconds, "2.0, 2 threads"), SETTINGS, True, "cmd", 1)
    assert "**no** (auto / faster 0.50x (0.50-0.50)" in goal(text, "auto within the noise")
    assert "PyTorch eager: **NOT met** (auto / PyTorch eager 1.00x" in goal(
        text, "tfgenaug's default")
    del seconds["wgan_gp C=1 torch eager"]
    text = throughput.report(fake_results(seconds, None), SETTINGS, True, "cmd", 1)
    assert "PyTorch not installed (pip install -e .[bench])." in text
    assert ("- tfgenaug's default >= 1.3x PyTorch eager: not measured: PyTorch not installed "
            "(pip install -e .[bench])") in text
    assert "torch eager" not in text


def test_noise_tolerance_is_the_faster_paths_spread():
    # The faster path (no XLA, 2 steps/s median) spreads 1.6-2.4 steps/s: tolerance 0.4.
    seconds = {"wgan_gp C=1 XLA": [1.0, 1.0, 1.0],
               "wgan_gp C=1 no XLA": [1 / 1.6, 1 / 2.0, 1 / 2.4],
               "wgan_gp C=1 auto": [0.7, 0.7, 0.7]}
    ratios, tolerance = throughput.auto_against_faster(fake_results(seconds, None),
                                                       "wgan_gp C=1")
    assert abs(tolerance - 0.4) < 1e-9
    assert [round(r, 3) for r in ratios] == [0.893, 0.714, 0.595]
    assert throughput.within_noise(ratios, tolerance)  # 0.714 >= 0.6
    assert not throughput.within_noise(ratios, 0.2)
