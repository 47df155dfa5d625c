"""`tfgenaug.runs.train_generator`: outputs, resume, export, imbalance, bad configs, judge."""

import dataclasses
import json
import re

import numpy as np
import pytest

from tfgenaug import data
from tfgenaug import metrics
from tfgenaug.runs import TrainConfig
from tfgenaug.runs import build_trainer
from tfgenaug.runs import label_agreement
from tfgenaug.runs import train_generator
from tfgenaug.runs.generator_recipes import TRAINER_SPECIFIC_FIELDS
from tfgenaug.runs.generator_recipes import recipe_for
from tfgenaug.runs.generator_recipes import takes_n_critic


def tiny_config(tmp_path, **overrides) -> TrainConfig:
    values = dict(
        image_size=8, width=4, critic_width=4, noise_dim=8, batch_size=16, steps=4,
        checkpoint_every=2, judge_epochs=1, agreement_per_class=3, model_dir=str(tmp_path / "run"),
        jit_compile=False,  # the run loop's own behaviour; "auto" has its own test
    )
    values.update(overrides)
    reads = recipe_for(values.get("trainer", "wgan_gp")).reads
    for name in TRAINER_SPECIFIC_FIELDS:  # the tiny sizes above, where the trainer reads them
        if name not in reads and name not in overrides:
            values.pop(name, None)
    if takes_n_critic(values.get("trainer", "wgan_gp")):
        values.setdefault("n_critic", 1)  # the run loop's behaviour, at a fifth of the traces
    return TrainConfig(**values)


def test_train_generator_writes_its_outputs(tmp_path):
    config = tiny_config(tmp_path, agreement_per_class=6)  # > PRDC_K: by class too
    report = train_generator(config, verbose=0)
    run = tmp_path / "run"
    assert report["step"] == 4
    assert 0.0 <= report["label_agreement"] <= 1.0
    assert len(report["label_agreement_per_class"]) == 10
    np.testing.assert_allclose(np.mean(report["label_agreement_per_class"]),
                               report["label_agreement"])
    assert np.isfinite(report["fid_judge_features"]) and report["fid_judge_features"] > 0
    for name in ("precision", "recall", "coverage"):
        assert 0.0 <= report[f"{name}_judge_features"] <= 1.0, name
        by_class = report[f"{name}_per_class_judge_features"]
        assert len(by_class) == 10 and all(0.0 <= v <= 1.0 for v in by_class), name
    assert report["density_judge_features"] >= 0.0
    assert (run / "samples.png").stat().st_size > 0
    assert json.loads((run / "metrics.json").read_text()) == report
    saved = json.loads((run / "config.json").read_text())
    assert saved["train_config"] == json.loads(json.dumps(dataclasses.asdict(config)))
    assert saved["trainer_class"] == "WGANGP"
    assert saved["dataset"]["num_classes"] == 10
    assert sorted(p.name for p in (run / "checkpoints").glob("*.index")) == [
        "ckpt-2.index", "ckpt-4.index"
    ]


def test_rerun_resumes_and_extends(tmp_path):
    train_generator(tiny_config(tmp_path, judge_epochs=0), verbose=0)
    report = train_generator(tiny_config(tmp_path, judge_epochs=0, steps=6),
                                        verbose=0)
    assert report == {"step": 6, "judge_epochs": 0}


def test_a_finished_run_run_again_is_neither_judged_nor_exported_again(tmp_path, monkeypatch):
    config = tiny_config(tmp_path, steps=2, export_dir=str(tmp_path / "exports"))
    report = train_generator(config, verbose=0)

    def judged(*args, **kwargs):
        raise AssertionError("judged again")

    monkeypatch.setattr(label_agreement, "measure_label_agreement", judged)
    assert train_generator(config, verbose=0) == report
    assert sorted(p.name for p in (tmp_path / "exports").iterdir()) == ["1"]
    other = train_generator(dataclasses.replace(config, judge_epochs=0,
                                                export_dir=str(tmp_path / "other")), verbose=0)
    assert other == {"step": 2, "judge_epochs": 0, "export_path": str(tmp_path / "other" / "1")}
    with pytest.raises(AssertionError, match="judged again"):  # another judge budget
        train_generator(dataclasses.replace(config, judge_epochs=2), verbose=0)
    (tmp_path / "run" / "metrics.json").write_text("{not json")  # unreadable: judged again
    with pytest.raises(AssertionError, match="judged again"):
        train_generator(config, verbose=0)


def test_a_resumed_run_keeps_its_critic_steps_unless_they_are_set(tmp_path, capsys):
    # Begun with 2 critic steps; resumed without n_critic it must not take the default (3).
    train_generator(tiny_config(tmp_path, judge_epochs=0, steps=2, n_critic=2), verbose=0)
    capsys.readouterr()
    train_generator(tiny_config(tmp_path, judge_epochs=0, steps=4, n_critic=None), verbose=0)
    assert "Resuming with 2 critic steps per generator step" in capsys.readouterr().out
    saved = json.loads((tmp_path / "run" / "config.json").read_text())
    assert saved["trainer_config"]["n_critic"] == 2
    train_generator(tiny_config(tmp_path, judge_epochs=0, steps=6, n_critic=1), verbose=0)
    assert "Resuming with" not in capsys.readouterr().out
    saved = json.loads((tmp_path / "run" / "config.json").read_text())
    assert saved["trainer_config"]["n_critic"] == 1 and saved["train_config"]["n_critic"] == 1


def test_export_dir_exports_when_training_ends(tmp_path):
    from tfgenaug import savedmodels

    config = tiny_config(tmp_path, judge_epochs=0, export_dir=str(tmp_path / "exports"))
    report = train_generator(config, verbose=0)
    assert report["export_path"] == str(tmp_path / "exports" / "1")
    loaded = savedmodels.load(str(tmp_path / "exports"))
    assert loaded.num_classes == 10 and loaded.image_shape == (8, 8, 1)
    assert loaded.metadata["training_data"]["steps"] == 4


def test_minority_classes_are_made_rare_before_training(tmp_path):
    config = tiny_config(tmp_path, judge_epochs=0, minority_classes=(0, 3),
                         imbalance_ratio=0.05)
    train_generator(config, verbose=0)
    saved = json.loads((tmp_path / "run" / "config.json").read_text())
    assert saved["train_config"]["minority_classes"] == [0, 3]
    pool, used = saved["dataset"]["train_counts"], saved["training_counts"]
    rare = int(0.05 * max(pool))
    assert used[0] == used[3] == rare
    assert [n for k, n in enumerate(used) if k not in (0, 3)] == [
        n for k, n in enumerate(pool) if k not in (0, 3)
    ]
    with pytest.raises(ValueError, match="ratio"):
        train_generator(
            tiny_config(tmp_path, minority_classes=(0,), imbalance_ratio=1.5), verbose=0
        )


def test_few_shot_count_too_large(tmp_path):
    with pytest.raises(ValueError, match=r"count=500 is larger than the smallest class"):
        train_generator(tiny_config(tmp_path, count=500), verbose=0)


@pytest.mark.parametrize(
    "overrides,match",
    [
        ({"trainer": "vae"}, "trainer must be one of"),
        ({"steps": 0}, "steps must be a positive integer"),
        ({"steps": -5}, "steps must be a positive integer"),
        ({"batch_size": 0}, "batch_size must be a positive integer"),
        ({"count": -1}, "count must be an integer >= 0"),
        ({"strategy": "tpu_pod"}, "strategy must be one of"),
        ({"learning_rate": 0.0}, "learning_rate must be > 0"),
        ({"image_size": 4}, r"image_size must be 'auto' .*, 0 or None \(native\), an int >= 8"),
        ({"image_size": "28"}, r"image_size must be 'auto' .*; got '28'"),
        ({"dataset": "no_such_dataset_xyz"}, "dataset=.no_such_dataset_xyz. cannot be loaded"),
        ({"diffaugment": "color,blur"}, r"diffaugment must be a comma-separated subset of "
                                        r"\['color', 'cutout', 'translation'\]"),
        ({"trainer": "dada", "diffaugment": "color"}, "diffaugment applies to wgan_gp and dcgan"),
        ({"ada_target": 1.5}, r"ada_target must be a number in \(0, 1\) or None; got 1.5"),
        ({"ada_speed": 0}, r"ada_speed must be a positive int \(images\); got 0"),
        ({"trainer": "dada", "ada_target": 0.6}, "ada_target applies to wgan_gp and dcgan"),
        ({"g_ema_decay": 1.0}, r"g_ema_decay must be a number in \(0, 1\); got 1.0"),
        ({"n_critic": 0}, "n_critic must be a positive integer"),
        ({"trainer": "dcgan", "n_critic": 2},
         "n_critic applies to trainers with a critic loop .*; got trainer='dcgan'"),
        ({"jit_compile": "yes"}, r"jit_compile must be True, False or 'auto'; got 'yes'"),
        ({"trainer": "dada", "spectral_norm": True},
         "spectral_norm applies to wgan_gp and dcgan; got trainer='dada'"),
        # Fields a trainer does not read were dropped: DADA trained its 700 epochs.
        ({"trainer": "dada", "steps": 3},
         "steps=3 does not apply to trainer='dada', which would train without it: of "
         "steps, .* it reads gan_epochs, epochs"),
        ({"trainer": "ssgan", "width": 8}, "width=8 does not apply to trainer='ssgan'"),
        ({"trainer": "wgan_gp", "epochs": 3}, "epochs=3 does not apply to trainer='wgan_gp'"),
    ],
)
def test_bad_config(tmp_path, overrides, match):
    with pytest.raises(ValueError, match=match):
        train_generator(tiny_config(tmp_path, **overrides), verbose=0)


@pytest.mark.parametrize("trainer", ["wgan_gp", "dcgan"])
def test_spectral_norm_reaches_the_critic(tmp_path, trainer):
    from tfgenaug.networks.spectral_norm import spectral_layers

    config = tiny_config(tmp_path, trainer=trainer, spectral_norm=True)
    _, _, info = data.load("digits", image_size=config.image_size)
    built = build_trainer(config, info)
    assert built.get_config()["spectral_norm"] is True
    assert len(spectral_layers([built.discriminator])) == 1  # 8x8: one strided convolution
    plain = build_trainer(tiny_config(tmp_path, trainer=trainer), info)
    assert spectral_layers([plain.discriminator]) == []


@pytest.mark.parametrize("trainer", ["wgan_gp", "dcgan"])
def test_diffaugment_reaches_the_trainer(tmp_path, trainer):
    config = tiny_config(tmp_path, trainer=trainer, diffaugment="translation,cutout")
    _, _, info = data.load("digits", image_size=config.image_size)
    built = build_trainer(config, info)
    assert built.diffaugment == ("translation", "cutout")
    assert built.get_config()["diffaugment"] == "translation,cutout"
    assert built.ada_target is None
    with_ada = build_trainer(
        tiny_config(tmp_path, trainer=trainer, ada_target=0.6, ada_speed=500), info)
    assert (with_ada.ada_target, with_ada.ada_speed) == (0.6, 500)
    assert with_ada.diffaugment == ("color", "translation", "cutout")


@pytest.mark.parametrize("trainer", ["wgan_gp", "dada", "dagan"])
def test_g_ema_decay_reaches_the_trainer_only_when_set(tmp_path, trainer):
    config = tiny_config(tmp_path, trainer=trainer, g_ema_decay=0.99)
    _, _, info = data.load("digits", image_size=config.image_size)
    built = build_trainer(config, info)
    assert built.g_ema_decay == 0.99 and built.get_config()["g_ema_decay"] == 0.99
    assert len(built.g_ema.averages) == len(built.generator.trainable_variables)
    plain = build_trainer(tiny_config(tmp_path, trainer=trainer), info)
    assert plain.g_ema is None


@pytest.mark.parametrize("trainer,default_n_critic", [("wgan_gp", 3), ("dagan", 5)])
def test_n_critic_is_the_recipes_measured_default_unless_set(tmp_path, trainer,
                                                             default_n_critic):
    # wgan_gp runs take 3 critic steps (the main job's measured budget), not WGANGP's 5.
    _, _, info = data.load("digits", image_size=8)
    built = build_trainer(tiny_config(tmp_path, trainer=trainer, n_critic=2), info)
    assert built.n_critic == 2 and built.get_config()["n_critic"] == 2
    default = build_trainer(tiny_config(tmp_path, trainer=trainer, n_critic=None), info)
    assert default.n_critic == default_n_critic
    assert default.get_config()["n_critic"] == default_n_critic


def test_judge_is_trained_once_per_pool_and_seed(tmp_path, monkeypatch):
    trained = []
    original = metrics.train_reference_classifier

    def counting(*args, **kwargs):
        trained.append(kwargs["seed"])
        return original(*args, **kwargs)

    monkeypatch.setattr(metrics, "train_reference_classifier", counting)
    monkeypatch.setattr(label_agreement, "_JUDGES", {})

    def run(name, **overrides):
        config = tiny_config(tmp_path, model_dir=str(tmp_path / name), steps=2,
                             jit_compile=False, **overrides)
        return train_generator(config, verbose=0)

    first = run("a")
    second = run("b", trainer="dcgan")
    assert trained == [0]  # the second run, same pool and seed, reused the judge
    assert first["judge_test_accuracy"] == second["judge_test_accuracy"]
    run("c", seed=1)
    assert trained == [0, 1]


def test_a_short_auto_run_takes_the_graph_without_timing(tmp_path, monkeypatch, capsys):
    from tfgenaug.trainers import compile_path

    monkeypatch.setattr(compile_path, "measure_paths", _must_not_time)
    config = tiny_config(tmp_path, steps=2, judge_epochs=0, jit_compile="auto")
    train_generator(config, verbose=0)
    recorded = json.loads((tmp_path / "run" / "config.json").read_text())["compile_path"]
    assert recorded["jit_compile"] is False and recorded["reason"] == "short run"
    out = capsys.readouterr().out
    assert "Compile path: graph (no XLA) (short run)" in out and "Timing XLA" not in out


def test_auto_compile_path_is_recorded_and_kept_on_resume(tmp_path, monkeypatch, capsys):
    from tfgenaug.trainers import compile_path

    # Timed even though the run is short: what is tested is the record and the resume.
    monkeypatch.setattr(compile_path, "PROBE_TOTAL_STEPS", 0)
    config = tiny_config(tmp_path, steps=2, judge_epochs=0, jit_compile="auto")
    train_generator(config, verbose=0)
    config_path = tmp_path / "run" / "config.json"
    recorded = json.loads(config_path.read_text())["compile_path"]
    assert recorded["reason"] == "measured"
    assert recorded["xla_seconds"] > 0 and recorded["graph_seconds"] > 0
    out = capsys.readouterr().out
    assert "Compile path: " in out
    assert re.search(r"Trained 2 steps in [\d.]+ s: [\d.]+ steps/s \(compile-path probe \d+ s\)",
                     out), out
    # The resumed run must take the recorded path, not time again: flip the record to
    # tell the two apart, and make timing fail.
    flipped = not recorded["jit_compile"]
    record = json.loads(config_path.read_text())
    record["compile_path"]["jit_compile"] = flipped
    config_path.write_text(json.dumps(record))
    monkeypatch.setattr(compile_path, "measure_paths", _must_not_time)
    train_generator(dataclasses.replace(config, steps=4), verbose=0)
    kept = json.loads(config_path.read_text())["compile_path"]
    assert kept["jit_compile"] is flipped and kept["reason"] == "recorded"
    assert "recorded at the run's start" in capsys.readouterr().out


def test_the_auto_probe_leaves_the_run_on_the_batches_of_a_run_without_it(tmp_path,
                                                                          monkeypatch):
    """The probe fits on its dataset from the start; were it the run's own, each of its
    iterators would draw the next shuffle and the run would train on other batches than
    a resumed run (which does not probe) or a forced-path run."""
    import tensorflow as tf

    from tfgenaug.runs import fit_loop

    def weights(run_dir):
        reader = tf.train.load_checkpoint(str(run_dir / "checkpoints"))
        return {name: reader.get_tensor(name) for name in reader.get_variable_to_shape_map()
                if "generator" in name and "OPTIMIZER_SLOT" not in name}

    resolve = fit_loop.resolve_compile_path

    def probing(trainer, batches, recorded=None, steps=None):
        for _ in range(3):  # as the probe's fits do to the dataset it is given
            next(iter(batches))
        return resolve(trainer, batches, recorded, steps=steps)

    train_generator(tiny_config(tmp_path / "plain", judge_epochs=0, steps=2), verbose=0)
    monkeypatch.setattr(fit_loop, "resolve_compile_path", probing)
    train_generator(tiny_config(tmp_path / "probed", judge_epochs=0, steps=2), verbose=0)
    plain, probed = weights(tmp_path / "plain" / "run"), weights(tmp_path / "probed" / "run")
    assert plain and plain.keys() == probed.keys()
    for name, value in plain.items():
        np.testing.assert_allclose(probed[name], value, atol=1e-6, err_msg=name)


def test_forced_jit_compile_wins_over_the_record(tmp_path, monkeypatch):
    from tfgenaug.trainers import compile_path

    config = tiny_config(tmp_path, steps=2, judge_epochs=0)
    train_generator(config, verbose=0)
    assert json.loads((tmp_path / "run" / "config.json").read_text())["compile_path"] == {
        "jit_compile": False, "reason": "forced", "xla_seconds": None, "graph_seconds": None,
        "xla_spread": None, "graph_spread": None, "rounds": None}
    monkeypatch.setattr(compile_path, "measure_paths", _must_not_time)
    train_generator(dataclasses.replace(config, steps=4, jit_compile=True), verbose=0)
    kept = json.loads((tmp_path / "run" / "config.json").read_text())["compile_path"]
    assert kept["jit_compile"] is True and kept["reason"] == "forced"


def _must_not_time(*args, **kwargs):
    raise AssertionError("the probe ran")
