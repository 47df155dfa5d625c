"""`benchmarks.efficacy --report_only` rewrites the committed report from the committed cells.

The cached cells stay valid across refactors only if the report they give does not
change: this rebuilds `efficacy.md` from a copy of `benchmarks/results/efficacy` in a
temporary directory and compares it with the committed text. (The plot, `efficacy.png`,
is not compared: its bytes depend on matplotlib and its fonts, not only on the cells.)
"""

import pathlib
import shutil

from benchmarks import efficacy

COMMITTED = pathlib.Path(__file__).resolve().parents[2] / efficacy.DEFAULT_OUT


def test_report_only_rewrites_the_committed_report(tmp_path):
    out_dir = tmp_path / "efficacy"
    # The cells, the generators' metrics and the report whose Machine: line is kept.
    shutil.copytree(COMMITTED, out_dir)
    committed = (COMMITTED / "efficacy.md").read_text()
    (out_dir / "efficacy.md").write_text(committed.replace("| ", "|  "))  # spoil the copy
    assert efficacy.main(["--report_only", f"--out_dir={out_dir}"]) == 0
    assert (out_dir / "efficacy.md").read_text() == committed
