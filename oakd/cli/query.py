"""Placeholder, filled in by the foundation work."""

from __future__ import annotations

from typing import Any


def register(sub: Any) -> None:
    """Add this module's commands."""
