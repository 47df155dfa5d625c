"""publish_version: a version appears whole or not at all."""

import os

import pytest

from tfgenaug.savedmodels import publish


def write_model(directory: str) -> None:
    os.makedirs(directory)
    with open(os.path.join(directory, "saved_model.pb"), "w") as f:
        f.write("model")


def test_versions_count_up_from_one(tmp_path):
    base = str(tmp_path / "exports")
    assert publish.publish_version(base, None, write_model) == f"{base}/1"
    assert publish.publish_version(base, None, write_model) == f"{base}/2"
    assert publish.publish_version(base, 7, write_model) == f"{base}/7"
    assert publish.next_version(base) == 8
    assert sorted(os.listdir(base)) == ["1", "2", "7"]


def test_a_failing_write_leaves_no_version_and_no_temporary(tmp_path):
    base = tmp_path / "exports"

    def half_then_fail(directory):
        write_model(directory)
        raise KeyboardInterrupt  # even an interrupt cleans up

    with pytest.raises(KeyboardInterrupt):
        publish.publish_version(str(base), None, half_then_fail)
    assert os.listdir(base) == []


def test_an_existing_explicit_version_is_refused_before_writing(tmp_path):
    base = str(tmp_path)
    publish.publish_version(base, 3, write_model)
    calls = []
    with pytest.raises(ValueError, match="version 3 already exists"):
        publish.publish_version(base, 3, calls.append)
    assert calls == []


def test_a_version_taken_meanwhile_moves_an_automatic_export_on(tmp_path):
    base = str(tmp_path)

    def racing_write(directory):
        write_model(os.path.join(base, "1"))  # a concurrent export publishes 1 first
        write_model(directory)

    assert publish.publish_version(base, None, racing_write) == f"{base}/2"
    assert sorted(os.listdir(base)) == ["1", "2"]


def test_a_version_taken_meanwhile_fails_an_explicit_export(tmp_path):
    base = str(tmp_path)

    def racing_write(directory):
        write_model(os.path.join(base, "4"))
        write_model(directory)

    with pytest.raises(ValueError, match="written by a concurrent export"):
        publish.publish_version(base, 4, racing_write)
    assert os.listdir(base) == ["4"]  # the other export's, and no temporary


@pytest.mark.parametrize("version", [-1, 1.5, True, "2"])
def test_bad_versions_are_named(tmp_path, version):
    with pytest.raises(ValueError, match="version must be a non-negative int or None"):
        publish.publish_version(str(tmp_path), version, write_model)
