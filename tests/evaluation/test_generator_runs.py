"""The generator runs the generative conditions sample from."""

import pytest

from tfgenaug.evaluation import generator_runs
from tfgenaug.evaluation import registry


def test_generator_runs_name_their_trainer_and_options():
    assert generator_runs.generator_run_fields("wgan_gp") == {"trainer": "wgan_gp"}
    assert generator_runs.generator_run_fields("wgan_gp_diffaug") == {
        "trainer": "wgan_gp", "diffaugment": "color,translation,cutout"}
    fields = generator_runs.generator_run_fields("dcgan")
    fields["trainer"] = "changed"  # a copy: the table itself is untouched
    assert generator_runs.generator_run_fields("dcgan") == {"trainer": "dcgan"}
    assert generator_runs.generator_run_fields("wgan_gp_ema", 1500) == {
        "trainer": "wgan_gp", "g_ema_decay": 0.999, "steps": 1500}
    assert generator_runs.generator_run_fields("wgan_gp_long") == {"trainer": "wgan_gp"}
    assert generator_runs.generator_run_fields("wgan_gp_long", 1500) == {
        "trainer": "wgan_gp", "steps": 6000}
    assert generator_runs.generator_run_fields("wgan_gp", 1500) == {
        "trainer": "wgan_gp", "steps": 1500}
    # DADA trains for its epochs: the benchmark's steps are not its to take.
    assert generator_runs.generator_run_fields("dada", 1500) == {"trainer": "dada"}
    assert registry.generator_trainer("wgan_gp_long") == "wgan_gp_long"
    with pytest.raises(ValueError, match=r"run must be one of \['wgan_gp', 'dcgan', 'dada', "
                                         r"'dagan', 'dada_semi', 'wgan_gp_diffaug', "
                                         r"'wgan_gp_ema', 'wgan_gp_long'\]; got 'vae'"):
        generator_runs.generator_run_fields("vae")
