"""benchmarks/truncation.py: the report and plot come from cached records, nothing retrained."""

import numpy as np

from benchmarks import truncation
from tfgenaug import jsonio


def record(seed: int) -> dict:
    rng = np.random.default_rng(seed)
    rows = {truncation.t_name(t): {score: float(rng.uniform()) for score in truncation.SCORES}
            for t in truncation.TRUNCATIONS}
    return {"case": "n10", "seed": seed, "per_class": 100, "judge_test_accuracy": 0.97,
            "truncations": rows}


def test_report_only_tabulates_the_cached_seeds_and_draws_the_plot(tmp_path, monkeypatch):
    def no_training(*args, **kwargs):
        raise AssertionError("--report_only trained a generator")

    monkeypatch.setattr(truncation, "measure_seed", no_training)
    records = [record(0), record(1)]
    for r in records:
        jsonio.write_json(str(tmp_path / f"seed{r['seed']}.json"), r)
    assert truncation.main(["--out_dir", str(tmp_path), "--report_only"]) == 0
    text = (tmp_path / "truncation.md").read_text()
    assert (tmp_path / "truncation.png").stat().st_size > 0
    values = [r["truncations"]["0.5"]["coverage"] for r in records]
    row = next(line for line in text.splitlines() if line.startswith("| 0.5 |"))
    assert f"{np.mean(values):.3f} ± {np.std(values, ddof=1):.3f}" in row
    assert text.count("\n| ") == 1 + len(truncation.TRUNCATIONS)  # header + one row per t
    assert "| none |" in text and "seeds 0, 1" in text


def test_truncation_names():
    assert [truncation.t_name(t) for t in (0.25, 1.0, None)] == ["0.25", "1", "none"]
