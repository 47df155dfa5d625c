"""`python -m tfgenaug.bin.train --trainer=dfg`: a tiny run, and bad flags with their messages."""

import json
import os
import sys
import textwrap

from tests import launch

TINY = ["--trainer=dfg", "--image_size=8", "--steps=2", "--source_steps=2", "--batch_size=16",
        "--checkpoint_every=2", "--nojit_compile"]


def test_tiny_dfg_run_writes_metrics_and_exports(tmp_path):
    model_dir, export_dir = tmp_path / "run", tmp_path / "export"
    result = launch.run(
        [sys.executable, "-m", "tfgenaug.bin.train", *TINY, "--dfg_method=delta",
         "--source_classes=0-3", "--target_classes=5-8,9",
         f"--model_dir={model_dir}", f"--export_dir={export_dir}"],
        capture_output=True, text=True, timeout=240,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "DFG (delta) step 2: accuracy" in result.stdout
    with open(model_dir / "metrics.json") as f:
        metrics = json.load(f)
    for key in ("accuracy", "balanced_accuracy", "minority_recall", "per_class_recall"):
        assert key in metrics, key
    assert metrics["target_classes"] == [5, 6, 7, 8, 9]
    with open(model_dir / "source" / "source.json") as f:
        assert json.load(f)["key"]["source_classes"] == [0, 1, 2, 3]
    assert os.path.isfile(model_dir / "source" / "source.weights.h5")
    assert os.path.isfile(export_dir / "classifier" / "1" / "saved_model.pb")
    assert not os.path.exists(export_dir / "feature_generator")  # delta has no generator


# Runs the binary's `app.run(main)` on many command lines in one interpreter (TensorFlow is
# imported once); the first command line must parse (absl initialises flags only once).
HARNESS = textwrap.dedent("""
    import contextlib, io, json, sys
    from absl import app
    from absl import flags
    from tfgenaug.bin import train

    results = []
    for argv in json.loads(sys.argv[1]):
        flags.FLAGS.unparse_flags()
        stderr = io.StringIO()
        code = 0
        with contextlib.redirect_stderr(stderr):
            try:
                app.run(train.main, argv=["train", *argv])
            except SystemExit as exit:
                code = exit.code
        results.append([code, stderr.getvalue()])
    print("RESULTS=" + json.dumps(results))
""")

BAD = [
    (["--trainer=dfg", "--minor_class_num=6"], "--minor_class_num must be an int in [1, 5]"),
    (["--trainer=dfg", "--dfg_method=gan"], "flag --dfg_method=gan: value should be one of"),
    (["--trainer=dfg", "--source_classes=0,5"],
     "--source_classes and target_classes must be disjoint"),
    (["--trainer=dfg", "--target_classes=5,x"],
     "--target_classes must be comma-separated class ids or ranges (e.g. 0-4,7); got 5,x"),
    (["--trainer=dfg", "--channels=2"], "--channels must be None, 1 (grayscale) or 3 (RGB)"),
    (["--trainer=dfg", "--target_classes=5,12"],
     "target_classes must be class ids of 'digits', in [0, 10); got [12]"),
    (["--trainer=dfg", "--architecture=vgg16"],
     "--image_size must be at least 32 for architecture='vgg16'"),
    (["--trainer=dfg", "--count=5"],
     "--count does not apply to --trainer=dfg (use --minor_class_num and --imbalance_ratio)"),
    (["--trainer=dfg", "--source_steps=0"], "--source_steps=0 skips source pretraining"),
    (["--trainer=wgan_gp", "--source_classes=1,2"],
     "--source_classes applies only to --trainer=dfg"),
    (["--trainer=dfg", "--unlabelled=rest"], "--unlabelled does not apply to --trainer=dfg"),
    (["--trainer=dfg", "--dfg_method=delta", "--attention_every=10"],
     "--attention_every applies only to --dfg_method=dfg; got --dfg_method=delta"),
    (["--trainer=wgan_gp", "--unlabelled=rest"],
     "--unlabelled applies to ssgan and dada; got trainer='wgan_gp'"),
]


def test_bad_flags_fail_with_a_message(tmp_path):
    lines = [["--trainer=dfg", "--steps=0", f"--model_dir={tmp_path}/first"]]
    lines += [[*argv, f"--model_dir={tmp_path}/{i}"] for i, (argv, _) in enumerate(BAD)]
    result = launch.run([sys.executable, "-c", HARNESS, json.dumps(lines)],
                            capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, result.stderr[-3000:]
    outcomes = json.loads(result.stdout.split("RESULTS=")[-1])
    assert outcomes[0][0] != 0 and "--steps must be a positive integer; got 0" in outcomes[0][1]
    for (argv, message), (code, stderr) in zip(BAD, outcomes[1:], strict=True):
        assert code != 0, argv
        assert message in stderr, (argv, stderr[-500:])
    assert not any((tmp_path / str(i)).exists() for i in range(len(BAD)))
