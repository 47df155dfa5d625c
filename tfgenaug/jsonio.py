"""JSON helpers shared by the experiments, the exports and the benchmarks.

Records written by long runs (configs, metrics, benchmark cells) must never be left
half-written: a reader that finds a file trusts it. `write_json` writes a temporary file
beside the target and renames it over the target, which is atomic on local file systems
and on the object stores `tf.io.gfile` supports.
"""

import json
import os

import tensorflow as tf


def to_jsonable(value):
    """Returns `value` as plain JSON types.

    Tuples become lists, NumPy scalars and arrays (anything with `tolist()`) become
    Python numbers and lists, and anything else JSON cannot encode becomes its `str()`.

    Args:
        value: a dict, list, tuple, number, string, NumPy value or nesting of them.

    Returns:
        The same structure made of dicts, lists, strings, numbers, booleans and None.

    Example:
    ```python
    to_jsonable({"shape": (8, 8, 1), "mean": np.float32(0.5)})
    # {"shape": [8, 8, 1], "mean": 0.5}
    ```
    """
    return json.loads(json.dumps(value, default=_encode_default))


def write_json(path: str, payload: dict) -> None:
    """Writes `payload` as indented JSON to `path`, atomically, creating its directory.

    Values JSON cannot encode are written as `to_jsonable` writes them.

    Args:
        path: str. Destination file (local or any `tf.io.gfile` scheme).
        payload: dict. What to write.

    Example:
    ```python
    write_json("runs/n5/metrics.json", {"accuracy": 0.93})
    ```
    """
    directory = os.path.dirname(path)
    if directory:
        tf.io.gfile.makedirs(directory)
    tmp = path + ".tmp"
    with tf.io.gfile.GFile(tmp, "w") as f:
        json.dump(payload, f, indent=2, default=_encode_default)
    tf.io.gfile.rename(tmp, path, overwrite=True)


def _encode_default(value):
    return value.tolist() if hasattr(value, "tolist") else str(value)
