"""The line at the top: is each daemon connected, and what it has.

With one daemon it is one line, as it always was. With several it is one line per daemon, named
by its host label, so that one that dropped says so (and why) while the others' counts go on.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.widgets import Static


@dataclass
class Entry:
    """One daemon's state as the line shows it."""

    where: str  # its socket or URL, while connecting
    state: str = "connecting"  # connecting, connected, reconnecting, unreachable
    daemon_version: str = ""
    reason: str = ""
    attempt: int = 0
    counts: tuple[int, int, int, int] = (0, 0, 0, 0)  # cameras, online, running, queued


class StatusLine(Static):
    """Connection state and counts; says how to start a daemon when there is none."""

    DEFAULT_CSS = """
    StatusLine {
        height: auto;
        max-height: 3;
        padding: 0 1;
        background: $panel;
    }
    StatusLine.-several { max-height: 8; }
    StatusLine.-connected { color: $text; }
    StatusLine.-waiting { background: $warning 30%; }
    StatusLine.-unreachable { background: $error 30%; }
    """

    def __init__(self, socket_path: str, id: str | None = None, several: bool = False) -> None:
        super().__init__(id=id)
        self.socket_path = socket_path
        self.several = several  # one line per daemon, each named
        # By host label ("" for the only daemon).
        self.entries: dict[str, Entry] = {} if several else {"": Entry(socket_path)}

    def on_mount(self) -> None:
        self.set_class(self.several, "-several")  # a line per daemon
        self._show()

    def show_hosts(self) -> None:
        """One line per daemon from now on (a daemon was added to a single-daemon TUI); the
        daemons are added again under their labels."""
        self.several = True
        self.entries.clear()
        self.set_class(True, "-several")

    def add(self, host: str, where: str) -> None:
        """A daemon to show (with several)."""
        self.entries.setdefault(host, Entry(where))
        if self.is_mounted:
            self._show()

    # -- the state of them all, as one (what tests and `oakd tui`'s exit code read) -------------

    def _first_not_connected(self) -> Entry | None:
        return next((e for e in self.entries.values() if e.state != "connected"), None)

    @property
    def state(self) -> str:
        """connected when every daemon is; else the state of the first that is not."""
        entry = self._first_not_connected()
        return "connected" if entry is None else entry.state

    @property
    def reason(self) -> str:
        """Why the first daemon that is not connected is not."""
        entry = self._first_not_connected()
        return entry.reason if entry else ""

    def entry(self, host: str = "") -> Entry:
        """One daemon's state."""
        return self.entries[host]

    # -- updates -------------------------------------------------------------------------------

    def set_connected(self, version: str, host: str = "") -> None:
        """A daemon answers."""
        entry = self.entries[host]
        entry.state, entry.daemon_version, entry.reason = "connected", version, ""
        self._show()

    def set_disconnected(
        self, reason: str, attempt: int, ever_connected: bool, host: str = ""
    ) -> None:
        """No daemon: `reason` says why and how to start one."""
        entry = self.entries[host]
        entry.state = "reconnecting" if ever_connected else "unreachable"
        entry.reason, entry.attempt = reason, attempt
        self._show()

    def set_counts(
        self, cameras: int, online: int, running: int, queued: int, host: str = ""
    ) -> None:
        """What the daemon has, for the connected line."""
        entry = self.entries[host]
        counts = (cameras, online, running, queued)
        if counts != entry.counts:
            entry.counts = counts
            self._show()

    @property
    def text(self) -> str:
        """The line as plain text (for tests and the help screen)."""
        return self._lines().plain

    def _lines(self) -> Text:
        lines = [self._line(host, entry) for host, entry in self.entries.items()]
        return lines[0] if len(lines) == 1 else Text("\n").join(lines)

    def _line(self, host: str, entry: Entry) -> Text:
        # Each line's first words give the whole line its style (the connected line is green).
        name = f"{host}: " if self.several else ""
        if entry.state == "connecting":
            return Text(f"○ {name}connecting to {entry.where}…")
        if entry.state == "connected":
            cameras, online, running, queued = entry.counts
            line = Text("● ", style="bold green")
            line.append(name)
            line.append(f"oakd {entry.daemon_version}" if entry.daemon_version else "oakd")
            line.append(f" · {cameras} camera{'s' if cameras != 1 else ''} ({online} online)")
            line.append(f" · {running} running · {queued} queued")
            return line
        if entry.state == "reconnecting":
            line = Text(f"⟳ {name}reconnecting… ", style="bold")
            line.append(f"(attempt {entry.attempt}) {entry.reason}")
            return line
        line = Text(f"✗ {name}", style="bold")
        line.append(f"{entry.reason} Retrying (attempt {entry.attempt}).")
        return line

    def _show(self) -> None:
        state = self.state
        self.set_class(state == "connected", "-connected")
        self.set_class(state == "reconnecting", "-waiting")
        self.set_class(state == "unreachable", "-unreachable")
        self.update(self._lines())
