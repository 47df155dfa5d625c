"""Smoke test of `benchmarks/relevance.py --quick`: report, heatmaps, cache."""

import json
import os
import re

from benchmarks import relevance


def test_quick_mode_writes_the_ink_share_table_and_heatmaps_then_resumes(tmp_path, capsys):
    # In-process: the test session has TensorFlow imported already (a subprocess would
    # import it again, ~8 s per run on two cores).
    assert relevance.main(["--quick", f"--out={tmp_path}"]) == 0
    assert "[relevance] seed 0: training" in capsys.readouterr().out
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
    assert relevance.main(["--quick", f"--out={tmp_path}"]) == 0
    assert "training" not in capsys.readouterr().out
    assert os.path.getmtime(cell) == mtime
