"""The daemons that announce themselves on the LAN (mDNS, as `oakd daemons` lists them), live:
enter adds the highlighted one to the TUI, with a host column from then on.

The browse runs for as long as the screen is open: a daemon that starts shows up, one that stops
goes, a camera count follows its record. Nothing here waits without a deadline: each record is
resolved within oakd.mdns.browse.RESOLVE_MS, and the browse itself only listens.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Collection
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING, ClassVar, Protocol

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import DataTable, Label, Static

if TYPE_CHECKING:  # zeroconf loads only when the screen browses
    from oakd.mdns.record import FoundDaemon

COLUMNS = ("name", "addresses", "version", "cameras", "--host URL")
SHOWN_MARK = "✓ "  # before the name of a daemon the TUI shows already


class OpenBrowser(Protocol):
    """What the screen needs of an open oakd.mdns.browse.DaemonBrowser."""

    changed: asyncio.Event  # set when a record comes, goes or changes

    async def daemons(self) -> list[FoundDaemon]:
        """Every daemon announced now, resolved."""
        ...


BrowserFactory = Callable[[], AbstractAsyncContextManager[OpenBrowser]]


def lan_browser() -> AbstractAsyncContextManager[OpenBrowser]:
    """The real browse, on every interface."""
    from oakd.mdns.browse import DaemonBrowser

    return DaemonBrowser()


class DaemonsScreen(ModalScreen["FoundDaemon | None"]):
    """A table of the daemons found; enter picks one, escape closes."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "close", "Close")]

    def __init__(self, shown: Collection[str], browser: BrowserFactory = lan_browser) -> None:
        super().__init__(classes="dialog-screen")
        self.shown = shown  # the labels and URLs the TUI shows already
        self.browser = browser
        self.found: dict[str, FoundDaemon] = {}  # by name, as the table's row keys

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog -wide"):
            yield Label("Daemons on the LAN (_oakd._tcp, mDNS)", classes="dialog-title")
            yield DataTable(id="daemons-table", cursor_type="row", zebra_stripes=False)
            yield Static(Content("browsing…"), id="daemons-status", classes="dialog-body")
            yield Label(
                "enter adds the daemon to this TUI (over ssh, as --host does) · escape closes",
                classes="dialog-hint",
            )

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for title in COLUMNS:
            table.add_column(title, key=title)
        table.focus()
        self.run_worker(self._browse(), name="browse daemons", exclusive=True)

    async def _browse(self) -> None:
        try:
            async with self.browser() as browser:
                while True:
                    browser.changed.clear()  # before listing: a change while listing is seen
                    self._show(await browser.daemons())
                    await browser.changed.wait()
        except OSError as exc:  # no interface to browse on, no multicast
            self._say(f"cannot browse by mDNS: {exc}", error=True)

    def _say(self, text: str, error: bool = False) -> None:
        status = self.query_one("#daemons-status", Static)
        status.set_class(error, "dialog-error")
        status.update(Content(text))

    def _show(self, daemons: list[FoundDaemon]) -> None:
        table = self.query_one(DataTable)
        current = self.highlighted()
        self.found = {d.name: d for d in daemons}
        table.clear()
        for daemon in daemons:
            table.add_row(*self._cells(daemon), key=daemon.name)
        if current is not None and current.name in self.found:
            table.move_cursor(row=table.get_row_index(current.name), animate=False)
        count = len(daemons)
        if count:
            self._say(f"{count} daemon{'s' if count != 1 else ''} found; still listening")
        else:
            self._say("no daemon found yet; still listening (mDNS does not cross routers)")

    def _cells(self, daemon: FoundDaemon) -> tuple[Text, ...]:
        shown = self.is_shown(daemon)
        cameras = daemon.record.cameras
        return (
            Text((SHOWN_MARK if shown else "") + daemon.name, style="dim" if shown else ""),
            Text(", ".join(daemon.addresses) or daemon.host),
            Text(daemon.record.version or "?"),
            Text(str(cameras) if cameras >= 0 else "?"),
            Text(daemon.url()),
        )

    def is_shown(self, daemon: FoundDaemon) -> bool:
        """The TUI shows this daemon already (by its label or its URL)."""
        return daemon.name in self.shown or daemon.url() in self.shown

    def highlighted(self) -> FoundDaemon | None:
        """The daemon under the cursor."""
        table = self.query_one(DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return self.found.get(str(key))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        daemon = self.found.get(str(event.row_key.value))
        if daemon is None:
            return
        if self.is_shown(daemon):
            self._say(f"{daemon.name} is shown already", error=True)
            return
        self.dismiss(daemon)

    def action_close(self) -> None:
        """Back, adding nothing."""
        self.dismiss(None)
