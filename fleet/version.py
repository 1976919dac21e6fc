"""stagefleet's version: the one place pyproject.toml and `--version` read it from."""

__version__ = "0.9.0"
