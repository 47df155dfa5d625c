import json
import os

import numpy as np
import pytest

from tfgenaug import jsonio


def test_to_jsonable_converts_tuples_numpy_and_unknown_objects():
    value = {"shape": (8, 8, 1), "mean": np.float32(0.5), "counts": np.arange(3),
             "nested": [{"k": np.int64(7)}], "other": object}
    out = jsonio.to_jsonable(value)
    assert out["shape"] == [8, 8, 1]
    assert out["mean"] == 0.5 and isinstance(out["mean"], float)
    assert out["counts"] == [0, 1, 2]
    assert out["nested"] == [{"k": 7}] and isinstance(out["nested"][0]["k"], int)
    assert out["other"] == str(object)


def test_write_json_creates_directory_and_round_trips(tmp_path):
    path = os.path.join(tmp_path, "a", "b", "record.json")
    jsonio.write_json(path, {"accuracy": np.float64(0.93), "classes": (1, 2)})
    with open(path) as f:
        assert json.load(f) == {"accuracy": 0.93, "classes": [1, 2]}
    assert os.listdir(os.path.dirname(path)) == ["record.json"]  # no temporary left


def test_write_json_replaces_whole_file_and_keeps_old_one_on_failure(tmp_path):
    path = os.path.join(tmp_path, "record.json")
    jsonio.write_json(path, {"v": 1})

    class Unencodable:
        def tolist(self):
            raise RuntimeError("cannot encode")

    with pytest.raises(RuntimeError, match="cannot encode"):
        jsonio.write_json(path, {"v": Unencodable()})
    with open(path) as f:
        assert json.load(f) == {"v": 1}  # the failed write did not touch the record


def test_write_json_to_bare_filename(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    jsonio.write_json("plain.json", {"v": 2})
    with open(tmp_path / "plain.json") as f:
        assert json.load(f) == {"v": 2}
