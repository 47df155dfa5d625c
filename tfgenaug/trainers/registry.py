"""The trainers runnable by name: the train binary's `--trainer` and the run loop read it.

A trainer class joins with `@register("name")`; its constructor must take the keyword
arguments of `ConditionalGANTrainer` subclasses (`image_shape`, `num_classes`,
`noise_dim`, `seed`, and whatever its own options are).
"""

TRAINERS: dict[str, type] = {}


def register(name: str):
    """Class decorator: registers a trainer class under `name`.

    Args:
        name: str. The name `--trainer` and `get()` know it by.

    Returns:
        The decorator, which returns the class unchanged.

    Raises:
        ValueError: another class is registered under `name`.

    Example:
    ```python
    @trainers.register("lsgan")
    class LSGAN(trainers.ConditionalGANTrainer):
        ...
    ```
    """

    def decorate(cls: type) -> type:
        known = TRAINERS.get(name)
        if known is not None and known.__qualname__ != cls.__qualname__:
            raise ValueError(f"trainer name {name!r} is taken by {known.__qualname__}")
        TRAINERS[name] = cls
        return cls

    return decorate


def unregister(name: str) -> type:
    """Removes and returns the class registered under `name` (e.g. a test's trainer).

    Raises:
        ValueError: nothing is registered under `name`.
    """
    if name not in TRAINERS:
        raise ValueError(f"no trainer is registered under {name!r}")
    return TRAINERS.pop(name)


def get(name: str) -> type:
    """Returns the trainer class registered under `name`.

    Raises:
        ValueError: naming `trainer` and the known names.
    """
    if name not in TRAINERS:
        raise ValueError(f"trainer must be one of {sorted(TRAINERS)}; got {name!r}")
    return TRAINERS[name]
