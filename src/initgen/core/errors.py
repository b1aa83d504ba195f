"""Errors caused by the user's input (config, files, archives).

The CLI prints them as one clear message and exits 1, with no traceback. Raise them with a message that
names the config key or the file and says what to do.
"""


class UserFacingError(Exception):
    """Bad input: printed as one message, exit code 1."""


class ConfigError(UserFacingError, ValueError):
    """A config value is invalid; the message names the key."""
