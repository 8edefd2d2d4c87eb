"""Is a watched project's camera running the project's last good build? As oakd's record of
the camera says: after a reset or a clear (or a flash by hand) it is not, and the project's
"ok" would hide that. Clients (the TUI's projects panel, `oakd projects`) show such a camera as
out of sync and offer the flash; oakd does not re-flash it by itself, since whoever reset or
cleared it may have meant to.

Plain wires in, so that every client reads the same rule.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from oakd.core.package import HASH_CHARS

Wire = Mapping[str, Any]
OUT_OF_SYNC = "out of sync"  # a project's state, as clients show it, when out_of_sync says so


def runs_last_build(project: Wire, device: Wire | None) -> bool | None:
    """True or False as the camera's record says; None when it cannot be told (no good build
    yet, or a camera this client does not know)."""
    build = project.get("last_build") or {}
    fingerprint = build.get("fingerprint")
    if device is None or not build.get("ok") or not fingerprint:
        return None
    return bool(device.get("flashed_hash") == str(fingerprint)[:HASH_CHARS])


def out_of_sync(project: Wire, devices: Mapping[str, Wire]) -> list[str]:
    """The project's cameras (as it names them) that do not run its last good build;
    `devices` by MX ID, a camera named by alias found by its alias."""
    by_alias = {str(d.get("alias")): d for d in devices.values() if d.get("alias")}
    stale = []
    for ref in project.get("devices") or []:
        device = devices.get(str(ref)) or by_alias.get(str(ref))
        if runs_last_build(project, device) is False:
            stale.append(str(ref))
    return stale
