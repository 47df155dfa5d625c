"""benchmarks/adam_trace.py: a measured fit, cached cells, the paired report, its flags."""

from benchmarks import adam_trace
from tests.benchmarks.usage import assert_usage_error


def test_a_fit_with_tfgenaug_adam_leaves_fewer_custom_gradients():
    measured = {variant: adam_trace.measure_fit("wgan_gp_tiny", variant, 1, 1)
                for variant in adam_trace.VARIANTS}
    for result in measured.values():
        assert result["first_fit_cpu_seconds"] > 0 and result["steady_ms_per_step"] > 0
    # Keras' Adam all-reduces the gradients through a tf.custom_gradient even on one
    # device; what both leave comes from the generator's synchronized BatchNormalization.
    assert (measured["keras"]["custom_gradients_added"]
            > measured["tfgenaug"]["custom_gradients_added"])


def fake_result(trainer_name, variant, fit_steps, steady_steps, grappler) -> dict:
    keras_variant = variant == "keras"
    return {"first_fit_cpu_seconds": 4.0 if keras_variant else 3.0,
            "first_fit_wall_seconds": 4.5 if keras_variant else 3.5,
            "steady_ms_per_step": 20.0, "custom_gradients_added": 46 if keras_variant else 40}


def test_main_pairs_the_rounds_then_reuses_the_cache(tmp_path, monkeypatch):
    monkeypatch.setattr(adam_trace, "_measure_in_new_process", fake_result)
    argv = ["--rounds=2", "--trainers=wgan_gp_tiny,main_job", f"--out_dir={tmp_path}"]
    assert adam_trace.main(argv) == 0
    assert len(list((tmp_path / "cells").glob("*.json"))) == 8
    text = (tmp_path / "adam_trace.md").read_text()
    assert ("| wgan_gp_tiny | 2 | 4.00 (4.00-4.00) | 3.00 (3.00-3.00) | 0.75x (0.75-0.75) | "
            "20.0 (20.0-20.0) | 20.0 (20.0-20.0) | 1.00x (1.00-1.00) | 46/40 |") in text
    assert "| main_job | 2 |" in text and "ssgan_tiny" not in text.split("|---|")[-1]

    def no_new_cells(*args, **kwargs):
        raise AssertionError("a cached cell was measured again")

    monkeypatch.setattr(adam_trace, "_measure_in_new_process", no_new_cells)
    assert adam_trace.main(argv) == 0


def test_bad_flags_are_named(tmp_path, capsys):
    assert_usage_error(adam_trace.main, ["--trainers=nope", f"--out_dir={tmp_path}"],
                       "--trainers must name some of wgan_gp_tiny, ssgan_tiny, main_job", capsys)
    assert_usage_error(adam_trace.main, ["--rounds=0", f"--out_dir={tmp_path}"],
                       "--rounds must be >= 1; got 0", capsys)
