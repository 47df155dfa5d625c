"""benchmarks/ssgan_recipe.py: the baselines come from the efficacy cache; paired report."""

import json

from benchmarks import ssgan_recipe


def _write(path, accuracy):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"accuracy": accuracy, "machine": "test box, 2026-12-02"}))


def test_the_report_pairs_each_variant_with_the_efficacy_row_and_self_training(tmp_path):
    efficacy, out = tmp_path / "efficacy", tmp_path / "out"
    for seed, (row, teacher, variant) in enumerate([(0.93, 0.95, 0.94), (0.92, 0.94, 0.935),
                                                    (0.94, 0.95, 0.95)]):
        _write(efficacy / "n5" / "ssgan" / f"seed{seed}.json", row)
        _write(efficacy / "n5" / "self_training" / f"seed{seed}.json", teacher)
        _write(out / "cells" / "n5" / "pool_half" / f"seed{seed}.json", variant)
    assert ssgan_recipe.main(["--report_only", f"--out_dir={out}",
                              f"--efficacy_cells={efficacy}"]) == 0
    text = (out / "ssgan_recipe.md").read_text()
    assert "| default | the efficacy row | 93.0 ± 1.0 (n=3) | 93.0, 92.0, 94.0 |" in text
    # pool_half − default: +1, +1.5, +1 points: mean +1.2, a positive interval.
    row = next(line for line in text.splitlines() if line.startswith("| pool_half "))
    assert "pool_fraction=0.5" in row and "+1.2 [" in row and "(n=3, above)" in row
    assert "| steps2x | steps_per=4 | not run |" in text


def test_a_cached_variant_cell_is_not_rerun(tmp_path):
    out = tmp_path / "out"
    _write(out / "cells" / "n5" / "weight1" / "seed0.json", 0.9)
    cell = ssgan_recipe.run_cell("n5", "weight1", 0, str(out), str(tmp_path / "none"))
    assert cell["accuracy"] == 0.9
