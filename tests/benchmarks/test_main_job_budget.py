"""`benchmarks/main_job_budget.py`: cached cells are not retrained; the table marks the goal."""

import json

from benchmarks import main_job_budget


def write_cell(out_dir, seed, steps, agreement, n_critic=None):
    path = main_job_budget.cell_path(str(out_dir), seed, steps, n_critic)
    cell = {"seed": seed, "steps": steps, "label_agreement": agreement, "run_seconds": 100.0,
            "finished": "2026-12-06 01:00 UTC"}
    if n_critic is not None:
        cell["n_critic"] = n_critic
    (out_dir / "cells").mkdir(exist_ok=True)
    with open(path, "w") as f:
        json.dump(cell, f)
    return cell


def test_a_cached_cell_is_read_not_trained(tmp_path, monkeypatch):
    cell = write_cell(tmp_path, 0, 1000, 0.96)
    monkeypatch.setattr(main_job_budget.runs, "train_generator",
                        lambda *a, **k: (_ for _ in ()).throw(AssertionError("trained")))
    assert main_job_budget.run_cell(0, 1000, str(tmp_path), str(tmp_path / "work")) == cell


def test_the_table_marks_a_budget_met_only_when_every_seed_reaches_the_goal(tmp_path):
    cells = [write_cell(tmp_path, 0, 1000, 0.96), write_cell(tmp_path, 1, 1000, 0.94),
             write_cell(tmp_path, 0, 1250, 0.97), write_cell(tmp_path, 1, 1250, 0.951)]
    path = main_job_budget.write_table(str(tmp_path), cells, "Machine: test.")
    with open(path) as f:
        text = f.read()
    assert "| 1000 | 5 | 2 | 0.9400 | no |" in text
    assert "| 1250 | 5 | 2 | 0.9510 | so far (2 of 3 seeds) |" in text
    assert "| 1000 | 5 | 1 | 0.9400 | 100 |" in text
    assert "Last command: `python -m benchmarks.main_job_budget` (the table holds" in text


def test_main_names_its_own_command_with_its_flags(tmp_path, monkeypatch):
    write_cell(tmp_path, 0, 2000, 0.97)
    monkeypatch.setattr(main_job_budget.runs, "train_generator",
                        lambda *a, **k: (_ for _ in ()).throw(AssertionError("trained")))
    argv = ["--steps=2000", "--seeds=0", f"--out_dir={tmp_path}"]
    assert main_job_budget.main(argv) == 0
    text = (tmp_path / "main_job_budget.md").read_text()
    assert f"Last command: `python -m benchmarks.main_job_budget {' '.join(argv)}`" in text


def test_critic_steps_are_their_own_budget_and_cell(tmp_path, monkeypatch):
    default = write_cell(tmp_path, 0, 1500, 0.97)
    fewer = write_cell(tmp_path, 0, 1500, 0.93, n_critic=3)
    assert main_job_budget.cell_path(str(tmp_path), 0, 1500, 3).endswith(
        "steps1500_critic3_seed0.json")
    monkeypatch.setattr(main_job_budget.runs, "train_generator",
                        lambda *a, **k: (_ for _ in ()).throw(AssertionError("trained")))
    assert main_job_budget.run_cell(0, 1500, str(tmp_path), "work", n_critic=3) == fewer
    path = main_job_budget.write_table(str(tmp_path), [default, fewer], "Machine: test.")
    with open(path) as f:
        text = f.read()
    assert "| 1500 | 5 | 1 | 0.9700 | so far (1 of 3 seeds) |" in text
    assert "| 1500 | 3 (default) | 1 | 0.9300 | no |" in text


def test_a_budget_meets_the_goal_only_on_three_seeds(tmp_path):
    cells = [write_cell(tmp_path, seed, 2000, 0.96) for seed in range(3)]
    path = main_job_budget.write_table(str(tmp_path), cells, "Machine: test.")
    with open(path) as f:
        assert "| 2000 | 5 | 3 | 0.9600 | yes |" in f.read()
