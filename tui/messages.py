"""What a flow tells the app it learned from the daemon's answers; the app updates its widgets.

Flows (tui/flows.py) talk to the daemon and to the user; they never touch a widget. The daemon's
events bring the same facts a moment later: these messages only make the answer show at once.
"""

from __future__ import annotations

from textual.message import Message

from oakd.protocol.replies import DeviceInfo, JobInfo, ProjectInfo


class JobsAnswered(Message):
    """Jobs the daemon returned (queued by a flash, a reset, a cancel, ...)."""

    def __init__(self, jobs: list[JobInfo]) -> None:
        super().__init__()
        self.jobs = jobs


class DeviceAnswered(Message):
    """A camera as the daemon returned it (after an inspection)."""

    def __init__(self, device: DeviceInfo) -> None:
        super().__init__()
        self.device = device


class ProjectWatched(Message):
    """A project the daemon now watches."""

    def __init__(self, project: ProjectInfo) -> None:
        super().__init__()
        self.project = project


class ProjectUnwatched(Message):
    """A project the daemon no longer watches, by row key (tui/hosts.py)."""

    def __init__(self, key: str) -> None:
        super().__init__()
        self.key = key
