"""`benchmarks/efficacy.py --report_only`: an unchanged cache rewrites the same report file."""

from benchmarks import efficacy


def test_report_only_keeps_the_machine_line_of_the_run_that_wrote_the_report(tmp_path):
    (tmp_path / "cells").mkdir()
    assert efficacy.main(["--report_only", f"--out_dir={tmp_path}"]) == 0
    path = tmp_path / "efficacy.md"
    first = path.read_text()
    assert first.count("\nMachine: ") == 1
    recorded = first.replace(efficacy.previous_machine_line(str(path)),
                             "Machine: the machine that computed the cells")
    path.write_text(recorded)
    assert efficacy.main(["--report_only", f"--out_dir={tmp_path}"]) == 0
    assert path.read_text() == recorded
    assert efficacy.previous_machine_line(str(tmp_path / "missing.md")) is None
