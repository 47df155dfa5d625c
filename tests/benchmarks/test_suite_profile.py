"""`benchmarks/suite_profile.py` and its pytest plugin: records, goals, CPU by group."""

import json
import os
import subprocess
import sys

import pytest

from benchmarks import suite_profile
from benchmarks import suite_timeline

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def record(test_id, wall, cpu, children_cpu=0.0, start=0.0):
    return {"id": test_id, "start": start, "end": start + wall, "cpu": cpu,
            "children_cpu": children_cpu, "max_rss_mib": 100.0, "worker": "gw0"}


def run_record(wall_seconds, cores=2):
    return {"command": "pytest -q -n 2", "workers": 2, "returncode": 0,
            "wall_seconds": wall_seconds, "summary_line": "3 passed in 1.00s", "cores": cores,
            "load_average_before": 0.1, "finished": "2026-12-06 20:00 UTC",
            "machine": "Machine: test."}


def test_the_plugin_records_each_test_with_its_own_and_its_subprocesses_cpu(tmp_path):
    (tmp_path / "test_tiny.py").write_text(
        "import subprocess, sys\n"
        "def test_busy():\n    sum(i * i for i in range(300_000))\n"
        "def test_child():\n"
        "    subprocess.run([sys.executable, '-c', 'sum(i for i in range(3_000_000))'])\n"
        "def test_fails():\n    assert False\n")
    timeline = tmp_path / "timeline"
    timeline.mkdir()
    env = dict(os.environ, **{suite_timeline.ENV: str(timeline)},
               PYTHONPATH=os.pathsep.join(filter(None, [REPO, os.environ.get("PYTHONPATH")])))
    env.pop("PYTEST_XDIST_WORKER", None)
    finished = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "benchmarks.suite_timeline",
         "-p", "no:cacheprovider", "test_tiny.py"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert finished.returncode == 1, finished.stdout + finished.stderr  # test_fails
    lines = [json.loads(line) for line in (timeline / "main.jsonl").read_text().splitlines()]
    by_name = {line["id"]: line for line in lines}
    assert sorted(by_name) == ["test_tiny.py::test_busy", "test_tiny.py::test_child",
                               "test_tiny.py::test_fails"]
    assert [line["failed"] for line in lines] == [False, False, True]
    assert by_name["test_tiny.py::test_child"]["children_cpu"] > 0.05
    assert by_name["test_tiny.py::test_busy"]["children_cpu"] == 0.0
    for line in lines:
        assert line["end"] >= line["start"] and line["cpu"] >= 0 and line["max_rss_mib"] > 0


def test_a_running_child_counts_with_the_children_it_reaped():
    """As the tests' zygote does: the work happens in a grandchild the child waits for."""
    before = suite_timeline.live_children_cpu()
    child = subprocess.Popen([sys.executable, "-c",
                              "import subprocess, sys, time\n"
                              "subprocess.run([sys.executable, '-c', "
                              "'sum(i for i in range(20_000_000))'])\n"
                              "print('reaped', flush=True)\ntime.sleep(60)"],
                             stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline() == "reaped\n"
        assert suite_timeline.live_children_cpu() - before > 0.3
    finally:
        child.kill()
        child.wait()
    assert suite_timeline.live_children_cpu(pid=999_999_999) == 0.0


def test_without_the_variable_the_plugin_only_passes_the_test_through(monkeypatch):
    monkeypatch.delenv(suite_timeline.ENV, raising=False)
    hook = suite_timeline.pytest_runtest_protocol(item=None, nextitem=None)
    next(hook)  # the test would run here; no item is read, no record is written
    with pytest.raises(StopIteration):
        next(hook)


def test_the_report_marks_goals_and_groups_cpu_by_directory_and_file():
    records = [record("tests/trainers/test_a.py::test_one", 40.0, 38.0),
               record("tests/trainers/test_a.py::test_two", 2.0, 2.0),
               record("tests/bin/test_b.py::test_run", 20.0, 0.5, children_cpu=19.0),
               record("tests/test_top.py::test_waits", 12.0, 1.0)]
    text = suite_profile.summarize(run_record(wall_seconds=400.0), records)
    assert "| suite <= 6 min with 2 workers | 6.7 min | not met |" in text
    assert "| no test over 30 s | 1 tests over | not met |" in text
    assert "| `tests/trainers/test_a.py::test_one` | 40.0 | 38.0 | 0.0 |" in text
    # 60.5 CPU seconds of 800: 8 % busy; 6 minutes at that share hold 54 s, 90 % of it.
    assert "**60 CPU seconds**" in text and "(8 % busy)" in text and "90 % of this run" in text
    assert "Peak resident memory per worker process: gw0 0.1 GiB." in text
    assert "| tests/trainers | 2 | 40 | 66 % |" in text
    assert "| tests/bin | 1 | 20 | 32 % |" in text
    assert "| tests/test_top.py | 1 | 1 | 2 % |" in text
    assert "| tests/trainers/test_a.py | 2 | 40 | 42 |" in text
    assert "Failed:" not in text
    records[1]["failed"] = True
    assert "Failed: `tests/trainers/test_a.py::test_two`." in suite_profile.summarize(
        run_record(wall_seconds=400.0), records)
    waited = text.split("mostly waited")[1]
    assert "`tests/test_top.py::test_waits` | 12.0 | 1.0 |" in waited
    assert "test_run" not in waited  # its CPU went to a subprocess: not waiting


def test_a_fast_suite_meets_both_goals():
    text = suite_profile.summarize(run_record(wall_seconds=300.0),
                                   [record("tests/test_x.py::test_x", 29.0, 29.0)])
    assert "| 5.0 min | **met** |" in text and "| 0 tests over | **met** |" in text


def test_report_only_without_a_run_is_a_usage_error_naming_the_flag(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        suite_profile.main(["--report_only", f"--out_dir={tmp_path}"])
    assert exit_info.value.code == 2
    assert "--report_only" in capsys.readouterr().err


def test_report_only_rebuilds_the_report_from_the_records(tmp_path):
    (tmp_path / "timeline").mkdir()
    with open(tmp_path / "timeline" / "gw0.jsonl", "w") as f:
        f.write(json.dumps(record("tests/test_x.py::test_x", 3.0, 3.0)) + "\n")
    with open(tmp_path / "run.json", "w") as f:
        json.dump(run_record(wall_seconds=100.0), f)
    assert suite_profile.main(["--report_only", f"--out_dir={tmp_path}"]) == 0
    assert "| tests/test_x.py | 1 | 3 | 3 |" in (tmp_path / "suite_profile.md").read_text()
