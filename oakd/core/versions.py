"""Bootloader versions: "0.0.28", or "0.0.28+<commit>" as depthai prints some."""

from __future__ import annotations

import re
from dataclasses import dataclass

_VERSION = re.compile(r"^\s*(\d+)\.(\d+)\.(\d+)(?:[+-].*)?\s*$")


@dataclass(frozen=True, order=True)
class Version:
    """A major.minor.patch version; a build suffix is ignored when comparing."""

    major: int
    minor: int
    patch: int

    @classmethod
    def parse(cls, text: str) -> Version:
        """Parse "0.0.28" or "0.0.28+abc"; ValueError for anything else."""
        match = _VERSION.match(text)
        if not match:
            raise ValueError(f"not a version: {text!r} (expected something like 0.0.28)")
        return cls(*(int(g) for g in match.groups()))

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}.{self.patch}"
