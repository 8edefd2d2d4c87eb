"""The line at the top: is a daemon connected, and what it has."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static


class StatusLine(Static):
    """Connection state and counts; says how to start a daemon when there is none."""

    DEFAULT_CSS = """
    StatusLine {
        height: auto;
        max-height: 3;
        padding: 0 1;
        background: $panel;
    }
    StatusLine.-connected { color: $text; }
    StatusLine.-waiting { background: $warning 30%; }
    StatusLine.-unreachable { background: $error 30%; }
    """

    def __init__(self, socket_path: str, id: str | None = None) -> None:
        super().__init__(id=id)
        self.socket_path = socket_path
        self.state = "connecting"
        self.daemon_version = ""
        self.reason = ""
        self.attempt = 0
        self.counts = (0, 0, 0, 0)  # cameras, online, running jobs, queued jobs

    def on_mount(self) -> None:
        self._show()

    def set_connected(self, version: str) -> None:
        """A daemon answers."""
        self.state, self.daemon_version, self.reason = "connected", version, ""
        self._show()

    def set_disconnected(self, reason: str, attempt: int, ever_connected: bool) -> None:
        """No daemon: `reason` says why and how to start one."""
        self.state = "reconnecting" if ever_connected else "unreachable"
        self.reason, self.attempt = reason, attempt
        self._show()

    def set_counts(self, cameras: int, online: int, running: int, queued: int) -> None:
        """What the daemon has, for the connected line."""
        counts = (cameras, online, running, queued)
        if counts != self.counts:
            self.counts = counts
            self._show()

    @property
    def text(self) -> str:
        """The line as plain text (for tests and the help screen)."""
        return self._line().plain

    def _line(self) -> Text:
        if self.state == "connecting":
            return Text(f"○ connecting to {self.socket_path}…")
        if self.state == "connected":
            cameras, online, running, queued = self.counts
            line = Text("● ", style="bold green")
            line.append(f"oakd {self.daemon_version}" if self.daemon_version else "oakd")
            line.append(f" · {cameras} camera{'s' if cameras != 1 else ''} ({online} online)")
            line.append(f" · {running} running · {queued} queued")
            return line
        if self.state == "reconnecting":
            line = Text("⟳ reconnecting… ", style="bold")
            line.append(f"(attempt {self.attempt}) {self.reason}")
            return line
        line = Text("✗ ", style="bold")
        line.append(f"{self.reason} Retrying (attempt {self.attempt}).")
        return line

    def _show(self) -> None:
        self.set_class(self.state == "connected", "-connected")
        self.set_class(self.state == "reconnecting", "-waiting")
        self.set_class(self.state == "unreachable", "-unreachable")
        self.update(self._line())
