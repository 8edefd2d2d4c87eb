"""The TUI's status line, with the demo's socket: the demo's daemon is on a private socket, and a
user who wants to try the CLI beside the TUI needs its path while the TUI has the screen."""

from __future__ import annotations

from rich.text import Text
from textual.visual import VisualType

from tui.app import OakdApp
from tui.widgets.status_line import StatusLine


class DemoStatusLine(StatusLine):
    """The status line, plus `OAKD_SOCKET=<path>` once connected (before, it names the socket
    already: "connecting to ...")."""

    def update(self, content: VisualType = "", *, layout: bool = True) -> None:
        if self.state == "connected" and isinstance(content, Text):
            content = Text.assemble(content, f" · OAKD_SOCKET={self.socket_path}")
        super().update(content, layout=layout)


def show_socket(app: OakdApp) -> None:
    """Put the demo's status line in place of the app's own (before the app runs)."""
    app.status = DemoStatusLine(app.status.socket_path, id="status")
