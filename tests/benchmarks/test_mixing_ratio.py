"""benchmarks.mixing_ratio --quick: cells per rate, paired with the efficacy rows, cached."""

import json
import re

import pytest

from benchmarks import mixing_ratio
from tests.benchmarks.usage import assert_usage_error


def test_quick_run_reports_each_rate_against_the_efficacy_rows(tmp_path, capsys):
    out, work, eff = tmp_path / "out", tmp_path / "work", tmp_path / "efficacy"
    # An efficacy plain cell for seed 0 to pair with.
    plain = eff / "cells" / "n5" / "plain" / "seed0.json"
    plain.parent.mkdir(parents=True)
    plain.write_text(json.dumps({"case": "n5", "config": {"condition": "plain", "seed": 0},
                                 "accuracy": 0.5}))
    flags = ["--quick", f"--out_dir={out}", f"--work_dir={work}", f"--efficacy_dir={eff}"]
    assert mixing_ratio.main(flags) == 0
    first = capsys.readouterr().out
    assert "[mixing_ratio] n5 rate 0.25 seed 0: accuracy" in first
    assert "[mixing_ratio] n5 rate 0.75 seed 0: accuracy" in first
    assert (eff / "generators" / "n5" / "wgan_gp" / "seed0.json").exists()
    text = (out / "mixing_ratio.md").read_text()
    for rate in ("0.25", "0.75"):
        match = re.search(rf"^\| n5 \| {rate} \| ([\d.]+) ± 0\.0 \(n=1\) \| ([+-][\d.]+) ± 0\.0 "
                          r"\(1\) \| — \|$", text, re.MULTILINE)
        assert match, text
        assert float(match.group(2)) == pytest.approx(float(match.group(1)) - 50.0, abs=0.11)
    assert mixing_ratio.main(flags) == 0  # all cached
    assert "seed 0: accuracy" not in capsys.readouterr().out


@pytest.mark.parametrize("flag, message", [
    ("--rates=0", "--rates must be in (0, 1]"),
    ("--rates=a", "--rates must be numbers and --seeds ints"),
    ("--cases=n20", "--cases must be a subset of n5,n10"),
])
def test_bad_flags_are_usage_errors(flag, message, tmp_path, capsys):
    assert_usage_error(mixing_ratio.main, [flag, f"--out_dir={tmp_path}"], message, capsys)
