"""Tests for tfgenaug.runs.fit_loop's end-of-run line (the loop itself runs in the run tests)."""

from tfgenaug.runs.fit_loop import training_time_line


def test_the_line_gives_minutes_and_the_rate_without_the_probe():
    assert training_time_line(2000, 271.4, 21.4) == (
        "Trained 2000 steps in 4 min 31 s: 8.00 steps/s (compile-path probe 21 s).")


def test_a_short_run_without_a_probe_gives_seconds_and_no_probe():
    assert training_time_line(4, 2.0, 0.0) == "Trained 4 steps in 2.0 s: 2.00 steps/s."
