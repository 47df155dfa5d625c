"""benchmarks.common: interleaved timing, ratio statistics, machine and load lines."""

import argparse
import os
import re

import pytest

from benchmarks import common
from tests.benchmarks.usage import assert_usage_error


def test_interleaved_rotates_the_order_and_times_every_variant():
    calls = []
    variants = {name: (lambda name=name: calls.append(name)) for name in "abc"}
    times = common.interleaved(variants, repeats=3, warmup=1, log=None)
    assert calls[:3] == ["a", "b", "c"]  # warm-up
    assert calls[3:] == ["a", "b", "c", "b", "c", "a", "c", "a", "b"]
    assert {name: len(values) for name, values in times.items()} == {"a": 3, "b": 3, "c": 3}
    assert all(t >= 0 for values in times.values() for t in values)


def test_interleaved_needs_a_repeat():
    with pytest.raises(ValueError, match="repeats must be >= 1"):
        common.interleaved({"a": lambda: None}, repeats=0)


def test_ratios_pair_by_repeat_and_spread_is_median_min_max():
    assert common.ratios([2.0, 6.0, 3.0], [1.0, 2.0, 3.0]) == [2.0, 3.0, 1.0]
    assert common.spread([2.0, 3.0, 1.0]) == (2.0, 1.0, 3.0)
    assert common.format_spread([2.0, 3.0, 1.0], unit="x") == "2.00x (1.00-3.00)"
    with pytest.raises(ValueError, match="as many timings on both sides"):
        common.ratios([1.0], [1.0, 2.0])


def test_load_line_states_the_measured_load():
    line = common.load_line(0.25, 2.04)
    assert line.startswith("Load: 1-minute load average 0.2 at the start, 2.0 at the end (")
    assert common.load_line(None, 1.0) == "Load: unknown (no load average on this system)."
    average = common.load_average()
    assert average is None or average >= 0


def test_machine_line_names_cores_tensorflow_keras_and_the_time():
    line = common.machine_line()
    assert re.match(r"Machine: \d+ cores \(os.cpu_count\), .*TensorFlow \d", line)
    assert re.search(r"Keras \d.* \d{4}-\d\d-\d\d \d\d:\d\d UTC$", line)


def test_json_records_reads_every_json_file_in_sorted_path_order(tmp_path):
    for path, value in (("b/2.json", 3), ("a/z/1.json", 2), ("a/0.json", 1),
                        ("a/notes.txt", None)):
        target = tmp_path / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("not json" if value is None else f'{{"v": {value}}}')
    assert [r["v"] for r in common.json_records(str(tmp_path))] == [1, 2, 3]
    assert common.json_records(str(tmp_path / "missing")) == []


def test_command_line_and_write_markdown(tmp_path, capsys, monkeypatch):
    assert (common.command_line("benchmarks.novelty", ["--out=x.md", "--per_class=3"])
            == "python -m benchmarks.novelty --out=x.md --per_class=3")
    monkeypatch.setattr("sys.argv", ["novelty.py", "--quick"])
    assert common.command_line("benchmarks.novelty", None) == "python -m benchmarks.novelty --quick"
    path = tmp_path / "deep" / "r.md"
    common.write_markdown(str(path), "# report\n")
    assert path.read_text() == "# report\n" and capsys.readouterr().out == "# report\n\n"


def test_cached_table_machine_line_names_the_newest_cell():
    line = common.cached_table_machine_line([{"finished": "2026-12-06 10:00 UTC"},
                                             {"finished": "2026-12-06 11:30 UTC"}])
    assert line.startswith("Machine: ")
    assert line.endswith(" (table written); last cell finished 2026-12-06 11:30 UTC.")


def test_paired_by_round_divides_within_each_round_and_lists_the_baseline_first():
    cells = [{"round": 0, "variant": "b", "wall_seconds": 50.0},
             {"round": 0, "variant": "a", "wall_seconds": 100.0},
             {"round": 1, "variant": "a", "wall_seconds": 200.0},
             {"round": 1, "variant": "b", "wall_seconds": 160.0},
             {"round": 2, "variant": "b", "wall_seconds": 70.0}]  # no baseline in round 2
    assert common.paired_by_round(cells, "a") == [
        ("a", [100.0, 200.0], []), ("b", [50.0, 160.0, 70.0], [0.5, 0.8])]


def test_call_in_new_process_returns_the_json_result_or_the_childs_error():
    assert common.call_in_new_process("common", "spread", [3.0, 1.0, 2.0]) == [2.0, 1.0, 3.0]
    with pytest.raises(RuntimeError, match=r"(?s)benchmarks\.common\.ratios\(\[1\.0\], \[\]\)"
                                           r" failed \(exit code 1\):.*need as many timings on "
                                           r"both sides"):
        common.call_in_new_process("common", "ratios", [1.0], [])


def test_call_in_new_process_sets_the_given_environment_in_the_child_only(monkeypatch):
    monkeypatch.delenv("TFGENAUG_PROBE", raising=False)
    # The child imports benchmarks.common, which imports os: `m.os.getenv` reads its own.
    assert common.call_in_new_process("common", "os.getenv", "TFGENAUG_PROBE",
                                      env={"TFGENAUG_PROBE": "set"}) == "set"
    assert common.call_in_new_process("common", "os.getenv", "TFGENAUG_PROBE") is None
    assert "TFGENAUG_PROBE" not in os.environ


def test_names_from_flag_keeps_the_order_and_names_what_is_unknown(capsys):
    parser = argparse.ArgumentParser()
    assert common.names_from_flag(parser, "trainers", "dfg,,wgan_gp", ("wgan_gp", "dfg")) == [
        "dfg", "wgan_gp"]

    def names(argv):
        return common.names_from_flag(parser, "trainers", argv[0], ("wgan_gp", "dfg"))

    assert_usage_error(names, ["dada,dfg"],
                       "--trainers must name some of wgan_gp, dfg; got ['dada']", capsys)
    assert_usage_error(names, [","], "--trainers must name some of wgan_gp, dfg; got []",
                       capsys)


def test_require_positive_names_the_first_flag_below_one(capsys):
    parser = argparse.ArgumentParser()
    common.require_positive(parser, argparse.Namespace(rounds=1, steps=4), "rounds", "steps")
    assert_usage_error(
        lambda argv: common.require_positive(parser, argparse.Namespace(rounds=0, steps=-1),
                                             "rounds", "steps"),
        [], "--rounds must be >= 1; got 0", capsys)
