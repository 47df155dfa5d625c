"""benchmarks.image_size: the quick run writes its cells and report, and resumes from them."""

import json
import os

from benchmarks import image_size


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def test_quick_run_writes_cells_and_report_then_reuses_the_cache(tmp_path):
    out, work = str(tmp_path / "out"), str(tmp_path / "work")
    argv = ["--quick", "--sizes=8,12", f"--out_dir={out}", f"--work_dir={work}"]
    assert image_size.main(argv) == 0
    cells = image_size.load_cells(out)
    assert sorted(cells) == [8, 12] and all(list(c) == [0] for c in cells.values())
    for size in (8, 12):
        cell = cells[size][0]
        assert 0.0 <= cell["label_agreement"] <= 1.0 and cell["steps"] == 4
    report = read(os.path.join(out, "image_size.md"))
    assert "| 8x8 | 1 |" in report and "| 12x12 | 1 |" in report
    assert "12 − 8: fewer than 2 paired seeds, no interval yet." in report
    # A second run trains nothing: the cells are read back (a changed cell stays changed).
    path = image_size.cell_path(out, 12, 0)
    cell = json.loads(read(path))
    cell["label_agreement"] = 0.5
    with open(path, "w") as f:
        json.dump(cell, f)
    assert image_size.main(argv) == 0
    assert "| 12x12 | 1 | 0.500 ± 0.000 |" in read(os.path.join(out, "image_size.md"))


def test_paired_interval_and_verdict():
    cells = {8: {s: {"label_agreement": 0.5, "seconds": 1.0, "machine": "m, t"}
                 for s in range(3)},
             28: {s: {"label_agreement": 0.6 + 0.01 * s, "seconds": 3.0, "machine": "m, t"}
                  for s in range(3)}}
    report = image_size.report_markdown(cells, [8, 28], "cmd")
    assert "28x28 − 8x8, paired by seed (n=3): +0.110, 95 % CI [+0.085, +0.135]: higher." in report
