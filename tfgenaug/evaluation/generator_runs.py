"""The generator runs the generative conditions sample from (or read), by name.

Several conditions share one run (`wgan_gp`, `classic+wgan_gp` and `wgan_gp_filtered` all
use the `wgan_gp` run); a `Condition` names its run in `generator_run`.
"""

from tfgenaug import data
from tfgenaug.runs.generator_recipes import recipe_for

DIFFAUGMENT_POLICY = "color,translation,cutout"
LONG_STEPS_MULTIPLIER = 4
# Run name -> `TrainConfig` fields (`steps_multiplier` scales the benchmark's steps).
GENERATOR_RUNS = {
    "wgan_gp": {"trainer": "wgan_gp"},
    "dcgan": {"trainer": "dcgan"},
    "dada": {"trainer": "dada"},
    # Image-conditioned: learns how any class varies, applied to the rare ones (issue 21).
    # The best recipe of benchmarks/results/dagan_tune (seed 9, outside the efficacy seeds):
    # a small noise (8) and a narrower critic kept the class best (68.7 % label agreement).
    "dagan": {"trainer": "dagan", "learning_rate": 1e-4, "critic_width": 32, "noise_dim": 8},
    # DADA's semi-supervised extension: the rest of the train pool, unlabelled (issue 20).
    "dada_semi": {"trainer": "dada", "unlabelled": data.REST_OF_TRAIN},
    "wgan_gp_diffaug": {"trainer": "wgan_gp", "diffaugment": DIFFAUGMENT_POLICY},
    # The same run with an EMA of the generator (benchmarks/generator_ema.py, issue 23).
    "wgan_gp_ema": {"trainer": "wgan_gp", "g_ema_decay": 0.999},
    # Longer GAN training: do 4x the generator steps make better samples?
    "wgan_gp_long": {"trainer": "wgan_gp", "steps_multiplier": LONG_STEPS_MULTIPLIER},
}


def generator_run_fields(run: str, steps: int | None = None) -> dict:
    """The `TrainConfig` fields (`trainer`, maybe `diffaugment`, `steps`) of a generator run.

    Args:
        run: a key of `GENERATOR_RUNS`.
        steps: the benchmark's generator steps; the run's `steps` field is this times
            its `steps_multiplier` (1 for most runs). `None` leaves `steps` out, as does
            a trainer that does not read it (DADA trains for its `epochs`).

    Returns:
        A new dict of `TrainConfig` fields.

    Raises:
        ValueError: naming `run` and the known runs.

    Example:
    ```python
    generator_run_fields("wgan_gp_long", 1500)  # {"trainer": "wgan_gp", "steps": 6000}
    ```
    """
    if run not in GENERATOR_RUNS:
        raise ValueError(f"run must be one of {list(GENERATOR_RUNS)}; got {run!r}")
    fields = dict(GENERATOR_RUNS[run])
    multiplier = fields.pop("steps_multiplier", 1)
    if steps is not None and "steps" in recipe_for(fields["trainer"]).reads:
        fields["steps"] = int(steps) * multiplier
    return fields
