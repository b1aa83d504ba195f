"""JSON command-line arguments: every step gets its config blocks and seed lists as JSON text (torch-free, so the
reporting steps can use it without importing torch)."""

from __future__ import annotations

import json

from initgen.core.errors import UserFacingError


def json_arg(text: str, name: str):
    """A JSON command-line argument `--name`, or a clear error naming it."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise UserFacingError(f"--{name} is not valid JSON: {error}") from None
