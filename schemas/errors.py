"""The error tree of jatkumo. Every error that reaches a person says what happened and what to do.

    JatkumoError                 root: anything jatkumo raises on purpose
    ├── ConfigError              a setting is missing or malformed (exit 2 at the CLI)
    ├── UsageError               a command was given wrong arguments (exit 2)
    └── StoreError               the DuckDB file cannot be opened or written (exit 1)

Bad *input events* are never exceptions that escape: they become dead letters (schemas.door).
"""


class JatkumoError(Exception):
    """Root of every error jatkumo raises on purpose."""


class ConfigError(JatkumoError):
    """A setting is missing or malformed."""


class UsageError(JatkumoError):
    """A command was called with arguments it cannot use."""


class StoreError(JatkumoError):
    """The DuckDB file cannot be opened or written."""
