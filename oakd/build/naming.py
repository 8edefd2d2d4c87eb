"""The application name written into a package: `<project>@<hash12>`.

depthai stores it on the camera (`app_name` section) and `readApplicationInfo` reads it back,
so it is how oakd tells what is flashed without reading the package. `<hash12>` is the first 12
hex digits of the build's fingerprint, not of the package bytes: the name is inside the package,
so it cannot contain the hash of the package itself; the fingerprint determines the bytes
(see fingerprint.py), which makes it the package's content hash for every practical purpose.
"""

from __future__ import annotations

import re

HASH_DIGITS = 12
MAX_BASE = 48  # the camera keeps 4 KiB, but a name should fit a table column
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_NAME = re.compile(
    rf"^(?P<base>[A-Za-z0-9._-]{{1,{MAX_BASE}}})@(?P<hash>[0-9a-f]{{{HASH_DIGITS}}})$"
)


def app_name_base(project_name: str) -> str:
    """The project's name made safe for an app name: `[A-Za-z0-9._-]`, at most 48 characters."""
    base = _UNSAFE.sub("-", project_name).strip("-.")[:MAX_BASE]
    return base or "pipeline"


def app_name(base: str, fingerprint: str) -> str:
    """The application name of a package: base, '@', and 12 hex digits of its fingerprint."""
    return f"{base}@{fingerprint[:HASH_DIGITS]}"


def parse_app_name(name: str) -> tuple[str, str] | None:
    """(base, hash12) of an app name oakd wrote; None for any other name (flashed by others)."""
    match = _NAME.match(name)
    if match is None:
        return None
    return match["base"], match["hash"]
