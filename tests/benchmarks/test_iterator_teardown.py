"""benchmarks/iterator_teardown.py: the deletion timer, its cached cells and its report."""

import json
import os

import pytest

from benchmarks import iterator_teardown


class InProcessCell:
    """Stands in for a cell's subprocess: measures in this process when communicated with."""

    def __init__(self, variant, iterators, age):
        self.args = (iterators, age, variant == "autotune_on")
        self.returncode = 0

    def communicate(self, timeout=None):
        return json.dumps(iterator_teardown.measure(*self.args)) + "\n", ""


def test_measure_times_every_deletion():
    seconds = iterator_teardown.measure(3, 0.0, autotune=True)
    assert len(seconds) == 3 and all(0.0 <= s < 60.0 for s in seconds)


def test_main_writes_cells_and_report_then_reuses_the_cache(tmp_path, monkeypatch):
    monkeypatch.setattr(iterator_teardown, "_start_cell", InProcessCell)
    argv = ["--rounds=2", "--iterators=2", "--age=0", f"--out_dir={tmp_path}"]
    assert iterator_teardown.main(argv) == 0
    cells = sorted(os.listdir(tmp_path / "cells"))
    assert cells == [f"round{r}_{v}.json" for r in (0, 1)
                     for v in sorted(iterator_teardown.VARIANTS)]
    text = (tmp_path / "iterator_teardown.md").read_text()
    assert text.count("| autotune_on |") == 2 and text.count("| autotune_off |") == 2
    assert "Deletions over 1 s: autotune on" in text and "(of 4 each)" in text

    def no_new_cells(*args):
        raise AssertionError("a cached cell was measured again")

    monkeypatch.setattr(iterator_teardown, "_start_cell", no_new_cells)
    assert iterator_teardown.main(argv) == 0


def test_report_counts_stalls_per_variant():
    cells = [{"variant": "autotune_on", "round": 0, "iterators": 3, "age": 90,
              "deletion_seconds": [0.001, 51.9, 0.002], "finished": "2026-12-07 04:00 UTC"},
             {"variant": "autotune_off", "round": 0, "iterators": 3, "age": 90,
              "deletion_seconds": [0.0, 0.0, 0.001], "finished": "2026-12-07 04:00 UTC"}]
    text = iterator_teardown.report(cells, "python -m benchmarks.iterator_teardown")
    assert "| autotune_on | 0 | 3 | 90 | 51.90 | 1 | 51.90 |" in text
    assert "autotune on 1, autotune off 0 (of 3 each)" in text


@pytest.mark.parametrize("flag", ["--rounds=0", "--iterators=0", "--age=-1"])
def test_bad_flags_are_named(flag, tmp_path):
    with pytest.raises(SystemExit):
        iterator_teardown.main([flag, f"--out_dir={tmp_path}"])
