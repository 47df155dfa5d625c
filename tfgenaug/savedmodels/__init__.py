"""Export and load of class-conditional generators as SavedModels (TF Serving layout).

`export(trainer_or_generator, base_dir)` writes `base_dir/<version>/` atomically;
`load(path)` returns a `LoadedGenerator`. The exports need only TensorFlow to load:
`tf.saved_model.load(path).signatures["generate"](labels=..., noise=...)`.
"""

from tfgenaug.savedmodels.export import export
from tfgenaug.savedmodels.export import export_from_model_dir
from tfgenaug.savedmodels.export import read_run_config
from tfgenaug.savedmodels.export import trainer_from_model_dir
from tfgenaug.savedmodels.load import METADATA_PATH
from tfgenaug.savedmodels.load import LoadedGenerator
from tfgenaug.savedmodels.load import list_versions
from tfgenaug.savedmodels.load import load
from tfgenaug.savedmodels.load import read_metadata
from tfgenaug.savedmodels.load import resolve_version_dir

__all__ = [
    "METADATA_PATH",
    "LoadedGenerator",
    "export",
    "export_from_model_dir",
    "list_versions",
    "load",
    "read_metadata",
    "read_run_config",
    "resolve_version_dir",
    "trainer_from_model_dir",
]
