"""The built-in facility profiles, one TOML file each (read and validated by ``sitefinder.model.profiles``)."""

from __future__ import annotations

from importlib import resources


def builtin_profile_names() -> list[str]:
    """The names of the profiles shipped here, sorted (a file ``NAME.toml`` is the profile ``NAME``)."""
    return sorted(f.name[:-5] for f in resources.files(__name__).iterdir() if f.name.endswith(".toml"))
