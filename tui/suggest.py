"""Path completion for the path inputs: type the start, accept with → (right arrow)."""

from __future__ import annotations

import os

from textual.suggester import Suggester


class PathSuggester(Suggester):
    """Suggests the first existing file or directory that completes what was typed."""

    def __init__(self) -> None:
        super().__init__(use_cache=False, case_sensitive=True)

    async def get_suggestion(self, value: str) -> str | None:
        """The typed text completed to an existing path (directories end with '/')."""
        if not value:
            return None
        expanded = os.path.expanduser(value)
        folder, start = os.path.split(expanded)
        try:
            names = sorted(n for n in os.listdir(folder or ".") if n.startswith(start))
        except OSError:
            return None
        visible = [n for n in names if not n.startswith(".")] or names
        if not visible or visible[0] == start:
            return None
        name = visible[0]
        completed = value + name[len(start) :]
        if os.path.isdir(os.path.join(folder or ".", name)):
            completed += "/"
        return completed
