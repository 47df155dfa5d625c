"""Atomic publication of a version directory in TF Serving's layout.

Every exporter of this package writes `base_dir/<version>/` the same way: everything
goes to a hidden directory `base_dir/.tmp-<version>-<random>` first, which is renamed to
the version when complete, so a killed export leaves no half-written version (at worst
a hidden directory that loaders and TF Serving ignore). On a local disk the rename is
atomic; on object stores (`gs://`) it is a copy. With `version=None` the next free
version is claimed; if a concurrent export takes it first, the next one is tried.
"""

import posixpath
import uuid
from collections.abc import Callable

import tensorflow as tf
from absl import logging

from tfgenaug.savedmodels.load import list_versions

TEMP_PREFIX = ".tmp-"
MAX_AUTO_VERSION_ATTEMPTS = 5


def check_version(version) -> int:
    """Returns `version` if it is an int >= 0; raises a ValueError naming it otherwise."""
    if isinstance(version, bool) or not isinstance(version, int) or version < 0:
        raise ValueError(f"version must be a non-negative int or None; got {version!r}")
    return version


def next_version(base_dir: str) -> int:
    """One more than the largest version in `base_dir` (1 when there is none)."""
    versions = list_versions(base_dir)
    return versions[-1] + 1 if versions else 1


def publish_version(base_dir: str, version: int | None,
                    write: Callable[[str], None]) -> str:
    """Runs `write(temp_dir)` and renames the result to `base_dir/<version>/`.

    Args:
        base_dir: str. The TF Serving base directory (created if missing).
        version: int >= 0, or `None` for the next free version.
        write: called with a directory path that does not exist yet; writes the
            complete version there.

    Returns:
        The path of the published version directory.

    Raises:
        ValueError: `version` is not an int >= 0 or None, or it already exists (also
            when a concurrent export published it first).
        RuntimeError: no free version could be claimed against concurrent exports.
        Whatever `write` raises; the temporary directory is removed first.

    Example:
    ```python
    path = publish_version("exports/gen", None,
                           lambda d: tf.saved_model.save(module, d))
    ```
    """
    base_dir = str(base_dir)
    explicit = version is not None
    if explicit:
        check_version(version)
    tf.io.gfile.makedirs(base_dir)
    if explicit and tf.io.gfile.exists(posixpath.join(base_dir, str(version))):
        raise ValueError(f"version {version} already exists in {base_dir!r}: "
                         "choose another version or leave version=None")
    if not explicit:
        version = next_version(base_dir)
    temp_dir = posixpath.join(base_dir, f"{TEMP_PREFIX}{version}-{uuid.uuid4().hex[:12]}")
    try:
        write(temp_dir)
        for _ in range(MAX_AUTO_VERSION_ATTEMPTS):
            final_dir = posixpath.join(base_dir, str(version))
            try:
                tf.io.gfile.rename(temp_dir, final_dir, overwrite=False)
            except tf.errors.AlreadyExistsError as error:
                if explicit:
                    raise ValueError(
                        f"version {version} already exists in {base_dir!r} (written by a "
                        "concurrent export)"
                    ) from error
                version = next_version(base_dir)  # another export took it meanwhile
                continue
            return final_dir
        raise RuntimeError(f"could not claim a version in {base_dir!r}: concurrent exports")
    except BaseException:
        if tf.io.gfile.exists(temp_dir):
            try:
                tf.io.gfile.rmtree(temp_dir)
            except tf.errors.OpError:
                logging.warning("Could not remove the temporary export %s", temp_dir)
        raise
