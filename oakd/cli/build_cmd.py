"""`oakd build`: build a project's application package without a daemon (for CI)."""

from __future__ import annotations

from typing import Any


def register(sub: Any) -> None:
    """Add `oakd build` (being built: issue 5)."""
