"""benchmarks/custom_gradient_leak.py: the leak it reports, the release, cells and report."""

import pytest

from benchmarks import custom_gradient_leak


def test_each_fit_keeps_its_step_graph_until_the_custom_gradients_are_released():
    kept = custom_gradient_leak.measure(3, release=False)
    # One step graph (and its custom gradients) more per fit: TensorFlow's registry holds
    # them. If this fails, TensorFlow no longer leaks and tests/conftest.py's release can go.
    assert kept[2]["func_graphs"] - kept[0]["func_graphs"] >= 2
    assert kept[2]["custom_gradients"] > kept[0]["custom_gradients"] > 0
    released = custom_gradient_leak.measure(3, release=True)
    assert released[2]["func_graphs"] == released[0]["func_graphs"]
    assert [r["custom_gradients"] for r in released] == [0, 0, 0]


def test_main_writes_both_variants_then_reuses_the_cache(tmp_path, monkeypatch):
    def in_process(fits, release):
        return custom_gradient_leak.measure(fits, release)

    monkeypatch.setattr(custom_gradient_leak, "_measure_in_new_process", in_process)
    argv = ["--fits=2", f"--out_dir={tmp_path}"]
    assert custom_gradient_leak.main(argv) == 0
    text = (tmp_path / "custom_gradient_leak.md").read_text()
    assert "| kept | 2 |" in text and "| released | 2 |" in text

    def no_new_cells(*args, **kwargs):
        raise AssertionError("a cached cell was measured again")

    monkeypatch.setattr(custom_gradient_leak, "_measure_in_new_process", no_new_cells)
    assert custom_gradient_leak.main(argv) == 0


def test_report_rows():
    records = [{"func_graphs": 5, "custom_gradients": 1, "resident_mib": 700.0},
               {"func_graphs": 6, "custom_gradients": 2, "resident_mib": 710.0},
               {"func_graphs": 7, "custom_gradients": 3, "resident_mib": 720.0}]
    cells = [{"variant": "kept", "fits": 3, "records": records,
              "finished": "2026-12-07 13:00 UTC"}]
    text = custom_gradient_leak.report(cells, "python -m benchmarks.custom_gradient_leak")
    assert "| kept | 3 | 5 / 7 | 3 | 700 / 720 | 10.0 |" in text


def test_bad_fits_is_named(tmp_path, capsys):
    with pytest.raises(SystemExit):
        custom_gradient_leak.main(["--fits=1", f"--out_dir={tmp_path}"])
    assert "--fits must be >= 2; got 1" in capsys.readouterr().err
