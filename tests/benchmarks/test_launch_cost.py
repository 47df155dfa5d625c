"""`benchmarks/launch_cost.py`: both ways of starting a run, timed and reported."""

import re

import pytest

from benchmarks import launch_cost


def test_the_report_pairs_the_rounds_and_names_the_ratio():
    text = launch_cost.report({"new_interpreter": [8.0, 10.0, 9.0], "forked": [2.0, 4.0, 3.0]},
                              3, "python -m benchmarks.launch_cost --rounds=3")
    assert "| new interpreter (`subprocess.run`) | 9.00 (8.00-10.00) |" in text
    assert "| fork of the zygote (`tests.launch.run`) | 3.00 (2.00-4.00) |" in text
    assert "paired by round: **0.33x (0.25-0.40)**" in text
    assert re.search(r"^Command: `python -m benchmarks.launch_cost --rounds=3`\. Machine: ",
                     text, re.MULTILINE)


def test_a_failed_run_raises_with_its_stderr(tmp_path):
    def failing(args, timeout):
        return type("Done", (), {"returncode": 2, "stderr": "bad flag"})()

    with pytest.raises(RuntimeError, match="bad flag"):
        launch_cost.train_run(failing, str(tmp_path))()


def test_zero_rounds_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exit_info:
        launch_cost.main(["--rounds=0"])
    assert exit_info.value.code == 2
    assert "--rounds must be >= 1; got 0" in capsys.readouterr().err
