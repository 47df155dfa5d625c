"""`benchmarks/suite_variants.py`: each variant's environment reaches pytest, cells cache,
ratios pair by round, and a failing variant is an error rather than a time."""

import json
import os
import subprocess

import pytest

from benchmarks import common
from benchmarks import suite_variants

FILES = ["tests/core"]


def write_cell(out_dir, round_index, variant, seconds, files=FILES):
    cell = {"round": round_index, "variant": variant, "env": suite_variants.VARIANTS[variant],
            "files": files, "workers": 2, "wall_seconds": seconds, "pytest": "4 passed in 1s",
            "load_average_before": 0.1, "finished": f"2026-12-06 1{round_index}:00 UTC"}
    os.makedirs(out_dir / "cells", exist_ok=True)
    with open(common.round_cell_path(str(out_dir), round_index, variant), "w") as f:
        json.dump(cell, f)
    return cell


def fake_pytest(returncode, stdout, seen):
    def run(command, **kwargs):
        seen.append((command, kwargs["env"]))
        return subprocess.CompletedProcess(command, returncode, stdout=stdout, stderr="")
    return run


def test_the_variant_environment_reaches_pytest_and_the_cell_is_cached(tmp_path,
                                                                      monkeypatch):
    seen = []
    monkeypatch.setattr(suite_variants.subprocess, "run",
                        fake_pytest(0, "....\n4 passed in 1.20s\n", seen))
    cell = suite_variants.run_cell(1, "xla_o0", FILES, 2, str(tmp_path))
    (command, env), = seen
    assert command[-3:] == ["-n", "2", "tests/core"]
    assert env["XLA_FLAGS"] == "--xla_backend_optimization_level=0"
    assert env["PATH"] == os.environ["PATH"]  # on top of the caller's environment
    assert cell["pytest"] == "4 passed in 1.20s"
    # A second call reads the cell and runs nothing.
    assert suite_variants.run_cell(1, "xla_o0", FILES, 2, str(tmp_path)) == cell
    assert len(seen) == 1


def test_cell_dir_is_a_new_directory_for_each_run(tmp_path, monkeypatch):
    seen = []
    monkeypatch.setattr(suite_variants.subprocess, "run",
                        fake_pytest(0, "....\n4 passed in 1.20s\n", seen))
    for round_index in (0, 1):
        suite_variants.run_cell(round_index, "xla_o0_compile_cache", FILES, 2, str(tmp_path))
    flags = [env["TF_XLA_FLAGS"] for _, env in seen]
    directories = [flag.split("=", 1)[1] for flag in flags]
    assert all(flag.startswith("--tf_xla_persistent_cache_directory=") for flag in flags)
    assert "{cell_dir}" not in "".join(flags) and directories[0] != directories[1]
    assert not any(os.path.exists(d) for d in directories)  # removed after the run


def test_a_cell_of_other_files_is_refused(tmp_path):
    write_cell(tmp_path, 0, "xla_o3", 100.0, files=["tests/data"])
    with pytest.raises(ValueError, match="timed files=.*tests/data.*use another --out_dir"):
        suite_variants.run_cell(0, "xla_o3", FILES, 2, str(tmp_path))


def test_failing_tests_are_an_error_not_a_time(tmp_path, monkeypatch):
    monkeypatch.setattr(suite_variants.subprocess, "run",
                        fake_pytest(1, "F...\n1 failed, 3 passed in 1.20s\n", []))
    with pytest.raises(RuntimeError, match="one_thread: .* failed \\(1\\)"):
        suite_variants.run_cell(0, "one_thread", FILES, 2, str(tmp_path))
    assert not os.path.exists(common.round_cell_path(str(tmp_path), 0, "one_thread"))


def test_ratios_pair_each_variant_with_the_baseline_of_its_own_round(tmp_path):
    # Round 1 ran on a machine twice as slow: per-round ratios stay 0.8.
    cells = [write_cell(tmp_path, 0, "xla_o3", 100.0), write_cell(tmp_path, 0, "xla_o0", 80.0),
             write_cell(tmp_path, 1, "xla_o3", 200.0), write_cell(tmp_path, 1, "xla_o0", 160.0)]
    path = suite_variants.write_table(str(tmp_path), cells, "Machine: test.")
    with open(path) as f:
        text = f.read()
    assert "| xla_o0 | 2 | 120 (80-160) | 0.80x (0.80-0.80) |" in text
    assert "| xla_o3 | 2 | 150 (100-200) | - |" in text
    assert ("| 0 | xla_o0 | `XLA_FLAGS=--xla_backend_optimization_level=0` | 80 | "
            "4 passed in 1s | 0.1 |") in text


@pytest.mark.parametrize("argv", [["--variants=xla_o0"], ["--variants=xla_o3,fast"],
                                  ["--rounds=0"], ["--workers=0"], ["--files=no/such_dir"]])
def test_bad_flags_are_a_usage_error_naming_the_flag(argv, capsys):
    with pytest.raises(SystemExit) as exit_info:
        suite_variants.main(argv)
    assert exit_info.value.code == 2
    assert argv[0].split("=")[0] in capsys.readouterr().err


def test_another_baseline_divides_the_others(tmp_path):
    cells = [write_cell(tmp_path, 0, "xla_o0", 100.0),
             write_cell(tmp_path, 0, "xla_o0_data_autotune_off", 90.0)]
    path = suite_variants.write_table(str(tmp_path), cells, "Machine: test.", "xla_o0")
    with open(path) as f:
        text = f.read()
    assert "ratio to xla_o0, median" in text
    assert "| xla_o0_data_autotune_off | 1 | 90 (90-90) | 0.90x (0.90-0.90) |" in text


def test_the_baseline_must_be_one_of_the_variants(capsys):
    with pytest.raises(SystemExit):
        suite_variants.main(["--variants=xla_o3,xla_o0", "--baseline=one_thread"])
    assert "--variants must name the baseline 'one_thread'" in capsys.readouterr().err
