"""The version of tfgenaug, in a module that imports nothing.

Modules inside the package read it from here rather than from the package root, and
`setup.py` reads it from this file's text.
"""

__version__ = "0.1.0"
