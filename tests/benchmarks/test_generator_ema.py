"""benchmarks/generator_ema.py: paired verdicts and a report from cached records only."""

import numpy as np
import pytest

from benchmarks import generator_ema
from tfgenaug import jsonio


def record(case: str, seed: int, ema_gain: float) -> dict:
    rng = np.random.default_rng(seed)
    last = {score: float(rng.uniform(0.3, 0.7)) for score in generator_ema.SCORES}
    if case != "imbalance20":
        last.pop("rare_label_agreement")
    ema = {score: value + ema_gain for score, value in last.items()}
    ema["fid"] = last["fid"] - ema_gain  # lower is better
    return {"case": case, "seed": seed, "per_class": 100, "g_ema_decay": 0.999,
            "generator_steps": 1500, "judge_test_accuracy": 0.97,
            "arms": {"last": last, "ema": ema}}


@pytest.mark.parametrize("gains,verdict", [
    ((0.02, 0.03, 0.025), "EMA better"),
    ((-0.02, -0.03, -0.025), "last better"),
    ((0.05, -0.04, 0.01), "tie"),
])
def test_paired_cell_calls_a_winner_only_outside_the_noise(gains, verdict):
    records = [record("n10", seed, gain) for seed, gain in enumerate(gains)]
    for score in ("label_agreement", "fid"):  # fid's sign is flipped in the records
        cell = generator_ema.paired_cell(records, score)
        assert cell.endswith(verdict), (score, cell)
    mean = np.mean(gains)
    assert generator_ema.paired_cell(records, "coverage").startswith(f"{mean:+.3f} ± ")


def test_report_only_tabulates_each_case_without_training(tmp_path, monkeypatch):
    def no_training(*args, **kwargs):
        raise AssertionError("--report_only trained a generator")

    monkeypatch.setattr(generator_ema, "measure", no_training)
    for case in ("n10", "imbalance20"):
        for seed in (0, 1):
            path = tmp_path / case / f"seed{seed}.json"
            path.parent.mkdir(exist_ok=True)
            jsonio.write_json(str(path), record(case, seed, 0.01 * (seed + 1)))
    assert generator_ema.main(["--out_dir", str(tmp_path), "--report_only"]) == 0
    text = (tmp_path / "generator_ema.md").read_text()
    assert "live statistics" not in text.split("## n10")[1]  # no such arm recorded
    assert "## n10 (seeds 0, 1)" in text and "## imbalance20 (seeds 0, 1)" in text
    n10, imbalance = text.split("## imbalance20")
    assert "| rare_label_agreement |" not in n10 and "| rare_label_agreement |" in imbalance
    assert "| fid |" in n10 and "| coverage |" in imbalance


def test_the_live_statistics_arm_gets_its_own_paired_column(tmp_path):
    for seed in (0, 1, 2):
        r = record("n10", seed, 0.02)
        r["arms"]["ema_live_statistics"] = {k: v - 0.05 for k, v in r["arms"]["last"].items()}
        jsonio.write_json(str(tmp_path / "n10" / f"seed{seed}.json"), r)
    assert generator_ema.main(["--out_dir", str(tmp_path), "--cases", "n10",
                               "--report_only"]) == 0
    row = next(line for line in (tmp_path / "generator_ema.md").read_text().splitlines()
               if line.startswith("| label_agreement |"))
    assert row.count("|") == 6 and "-0.050 ±" in row and row.endswith("last better |")


def test_bad_arguments_are_refused(capsys):
    with pytest.raises(SystemExit):
        generator_ema.main(["--cases", "n7", "--report_only"])
    assert "--cases must be among" in capsys.readouterr().err
