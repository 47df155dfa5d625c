"""Same seed, same numbers: each trainer still computes what it computed when recorded.

`same_numbers.json` holds the per-step logs and variable digests of the scenarios in
`tests/trainers/same_numbers.py`, recorded at the commit before the trainers were moved
onto one shared kernel (see its `environment` for the software). The scenarios run
again here in other processes (forks of the tests' zygote, `tests/launch.py`): op
determinism is process-wide and irreversible, so it must stay out of the test process.
They run in three parts of about equal cost, one process per test, so that no test
takes the whole time (the suite's goal is no test over 30 s).

Tolerances: rtol 1e-5, atol 1e-6 rather than bit-exact equality. On one machine and
software the numbers are bit-identical run to run (checked when recording), but
oneDNN picks kernels by CPU instruction set, so another CPU can round differently in
the last bits, and a refactor that only reorders independent float32 operations (or
changes which ops grappler fuses) can too. A real change of the maths (a draw, an
update order, a loss term) moves the numbers by far more.
"""

import json
import math
import os
import pathlib
import subprocess
import sys

import pytest

from tests import launch
from tests.trainers import same_numbers

RTOL = 1e-5
ATOL = 1e-6
REPO = pathlib.Path(__file__).resolve().parents[2]
RECORDED = json.loads(same_numbers.RECORD_PATH.read_text())
# Recorded TensorBoard scalars the runs no longer write, on purpose, and why.
DROPPED_SCALARS = {
    # Keras' TensorBoard logs `model.optimizer.learning_rate`: for a GAN trainer that was
    # the default RMSprop Keras' compile made and nothing used (0.001 in every run, not
    # the 5e-4 or 3e-4 its Adams trained with). GAN trainers have no Keras optimizer now.
    "train/epoch_learning_rate",
}
# Scalars the runs write since the recording, on purpose: the learning rates of the GAN
# trainers' own optimizers (`callbacks.LearningRates`), what the dropped one pretended to be.
ADDED_SCALARS = {"train/epoch_d_learning_rate", "train/epoch_g_learning_rate"}
# Report (metrics.json) entries the runs write since the recording, on purpose: the judge
# budget the report was made with, so a finished run run again with the same budget is
# not judged again (`runs.generator_run._up_to_date`). An echo of the config, no number.
ADDED_REPORT_KEYS = {"judge_epochs"}


def _compute(out: pathlib.Path, names: list[str]) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    # The subprocess imports the tfgenaug of this work tree, not another install.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    return launch.run(
        [sys.executable, "-m", "tests.trainers.same_numbers", "--compute", str(out),
         "--only", ",".join(names)],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=900, check=False,
    )


# The scenarios in three parts, each computed in its own process by its own test, so that
# pytest-xdist spreads them over its workers and no test takes the whole time. Balanced by
# each scenario's CPU seconds alone on a 2-core machine (2026-12-07): 11.7, 11.5, 12.7.
PARTS = (
    ["train_generator_dada", "wgan_gp_plain"],  # 10.7 + 1.0
    ["adversarial_pgd", "dcgan", "train_generator_wgan_gp", "wgan_gp_xla"],  # 1.2+1.3+3.8+5.2
    ["adversarial_fgsm", "dada_stages", "dfg", "fine_tuner", "style_decoder",
     "wgan_gp_aux_diffaugment_ada"],  # 3.0 + 2.7 + 3.0 + 1.0 + 1.2 + 1.8
)


def compute_now(names: list[str], out: pathlib.Path) -> dict:
    """The numbers of the scenarios `names`, computed now in one fresh process."""
    result = _compute(out, names)
    assert result.returncode == 0, f"computing the numbers failed:\n{result.stderr[-5000:]}"
    return json.loads(out.read_text())


def _close(got: float, want: float) -> bool:
    return math.isclose(got, want, rel_tol=RTOL, abs_tol=ATOL)


def _logs_differences(got: list[dict], want: list[dict]) -> list[str]:
    if len(got) != len(want):
        return [f"{len(got)} steps logged, recorded {len(want)}"]
    problems = []
    for step, (got_step, want_step) in enumerate(zip(got, want, strict=True)):
        if set(got_step) != set(want_step):
            problems.append(f"step {step}: log names {sorted(got_step)}, recorded "
                            f"{sorted(want_step)}")
            continue
        problems += [f"step {step} {name}: {got_step[name]!r}, recorded {want_step[name]!r}"
                     for name in sorted(want_step)
                     if not _close(got_step[name], want_step[name])]
    return problems


def _same_digest(got: dict, want: dict) -> bool:
    return got["shape"] == want["shape"] and all(
        _close(got[key], want[key]) for key in ("sum", "sum_sq", "ramp_sum")
    )


def _digest_differences(group: str, got: list[dict], want: list[dict]) -> list[str]:
    """Differences of two lists of variable digests, matched by value, not position.

    Names and order are not compared (a refactor may create the same variables in
    another order); every recorded variable must have its own match among the new
    ones, and there must be as many.
    """
    if len(got) != len(want):
        return [f"{group}: {len(got)} variables, recorded {len(want)}"]
    unmatched = list(got)
    problems = []
    for recorded in want:
        # The variable at the same position first, then any other.
        same_place = [row for row in unmatched if row["index"] == recorded["index"]]
        match = next((row for row in same_place + unmatched if _same_digest(row, recorded)),
                     None)
        if match is None:
            nearest = same_place[0] if same_place else None
            problems.append(f"{group}: no variable matches recorded {recorded}; at its "
                            f"position now {nearest}")
        else:
            unmatched.remove(match)
    return problems


def _scenario_differences(got: dict, want: dict) -> list[str]:
    if got.keys() != want.keys():
        return [f"parts {sorted(got)}, recorded {sorted(want)}"]
    problems = []
    if "compiled" in want and got["compiled"] != want["compiled"]:
        problems.append(f"compiled {got['compiled']}, recorded {want['compiled']}")
    if "logs" in want:
        problems += _logs_differences(got["logs"], want["logs"])
    if "report" in want:
        now = {key: value for key, value in got["report"].items()
               if key not in ADDED_REPORT_KEYS}
        if now.keys() != want["report"].keys():
            problems.append(f"report keys {sorted(now)}, recorded {sorted(want['report'])}")
        else:
            problems += [f"report {key}: {now[key]!r}, recorded {value!r}"
                         for key, value in want["report"].items()
                         if not _close(now[key], value)]
    if "scalars" in want:
        recorded = {tag: points for tag, points in want["scalars"].items()
                    if tag not in DROPPED_SCALARS}
        now = {tag: points for tag, points in got["scalars"].items()
               if tag not in ADDED_SCALARS}
        if now.keys() != recorded.keys():
            problems.append(f"scalars {sorted(now)}, recorded {sorted(recorded)}")
        else:
            for tag, points in recorded.items():
                values = now[tag]
                if [s for s, _ in values] != [s for s, _ in points] or not all(
                    _close(g, w) for (_, g), (_, w) in zip(values, points, strict=True)
                ):
                    problems.append(f"scalar {tag}: {values}, recorded {points}")
    if got["variables"].keys() != want["variables"].keys():
        problems.append(f"variable groups {sorted(got['variables'])}, recorded "
                        f"{sorted(want['variables'])}")
    else:
        for group, rows in want["variables"].items():
            problems += _digest_differences(group, got["variables"][group], rows)
    return problems


def test_every_scenario_is_recorded():
    assert sorted(RECORDED["scenarios"]) == sorted(same_numbers.SCENARIOS)


def test_every_scenario_is_in_one_part():
    """A new scenario goes into a part (PARTS above); none is left out or run twice."""
    assert sorted(name for part in PARTS for name in part) == sorted(same_numbers.SCENARIOS)


@pytest.mark.parametrize("part", range(len(PARTS)))
def test_same_seed_same_numbers(part, tmp_path):
    names = sorted(PARTS[part])
    current = compute_now(names, tmp_path / "numbers.json")
    tfgenaug_file = pathlib.Path(current["environment"]["tfgenaug_file"])
    assert tfgenaug_file.is_relative_to(REPO), (tfgenaug_file, REPO)
    assert sorted(current["scenarios"]) == names
    report = []
    for name in names:
        problems = _scenario_differences(current["scenarios"][name],
                                         RECORDED["scenarios"][name])
        report += [f"{name}: {problem}" for problem in problems]
    assert not report, (
        f"other numbers than recorded (recorded with {RECORDED['environment']}, now "
        f"{current['environment']}):\n" + "\n".join(report)
    )
