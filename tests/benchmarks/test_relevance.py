"""Smoke test of `benchmarks/relevance.py --quick`: report, heatmaps, cache."""

import json
import os
import re
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run(*flags):
    return subprocess.run([sys.executable, "-m", "benchmarks.relevance", "--quick", *flags],
                          cwd=REPO, capture_output=True, text=True, timeout=300, check=False)


def test_quick_mode_writes_the_ink_share_table_and_heatmaps_then_resumes(tmp_path):
    first = run(f"--out={tmp_path}")
    assert first.returncode == 0, first.stderr[-3000:]
    text = (tmp_path / "relevance.md").read_text()
    assert re.search(r"^Machine: \d+ cores .*TensorFlow ", text, re.MULTILINE)
    assert re.search(r"Chance level: .* share of ink pixels on ink, \d+\.\d %", text)
    for name in ("plain", "classic", "stda"):
        assert re.search(rf"^\| {name} \| \d+\.\d ± \d+\.\d \| ", text, re.MULTILINE), name
    assert "| classic | " in text and "(higher in " in text
    assert (tmp_path / "relevance.png").read_bytes()[:4] == b"\x89PNG"
    cell = tmp_path / "relevance_cells" / "seed0.json"
    record = json.loads(cell.read_text())
    for name in ("plain", "classic", "stda"):
        assert 0.0 <= record["classifiers"][name]["ink_share"] <= 1.0
        assert len(record["classifiers"][name]["example_maps"]) == len(record["examples"]) == 10
    assert 0.0 < record["chance"] < 1.0
    assert record["stda"]["kept"] + record["stda"]["dropped"] > 0

    mtime = os.path.getmtime(cell)
    second = run(f"--out={tmp_path}")
    assert second.returncode == 0, second.stderr[-3000:]
    assert "training" not in second.stdout
    assert os.path.getmtime(cell) == mtime
