"""The cameras table: every camera the daemon knows, live, with marks and a filter."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import DataTable

from oakd.core.versions import Version
from tui import model
from tui.clock import Clock
from tui.model import Wire
from tui.widgets.keyed_table import KeyedTable

COLUMNS = (
    ("mark", " ", 1),
    ("alias", "alias", None),
    ("id", "MX ID", None),
    ("address", "address", None),
    ("state", "state", 12),
    ("online", "online", 6),
    ("bootloader", "bootloader", 10),
    ("app", "app running", None),
    ("flashed", "last flash", None),
)
# What a narrow terminal keeps, most important first (KeyedTable drops from the end): which
# camera, what it is doing and running, then when it was flashed and its bootloader. Online is
# given up before them, since an offline camera's state says "offline"; the address last, as
# the detail page (enter) has it.
IMPORTANCE = ("mark", "alias", "id", "state", "app", "flashed", "bootloader", "online", "address")
MARK = "●"

STATE_STYLES = {
    "bootloader": "green",
    "flash_booted": "cyan",
    "booted": "yellow",
    "offline": "red dim",
}


def sort_key(device: Wire) -> tuple[bool, str, str]:
    """Cameras sort by alias; those without one follow, by MX ID."""
    return (not device.get("alias"), model.label(device).lower(), str(device.get("id")))


class CamerasTable(KeyedTable):
    """One row per camera, keyed by MX ID; the marked cameras are the targets of actions."""

    COLUMNS = COLUMNS
    IMPORTANCE = IMPORTANCE
    SORTED_BY = ("alias", "id")  # see sort_key
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "toggle_mark", "Mark", tooltip="Mark or unmark: actions apply to marks"),
        Binding("a", "toggle_all", "Mark all", show=False, tooltip="Mark all shown (again: none)"),
        Binding("f", "app.flash", "Flash", tooltip="Flash a project or a .dap package"),
        Binding("w", "app.watch", "Watch", tooltip="Watch a project: rebuild, flash on change"),
        Binding("i", "app.inspect", "Inspect", tooltip="Read bootloader, app, config"),
        Binding(
            "F",
            "app.device_operation('factory_reset')",
            "Reset",
            tooltip="Factory reset (asks first)",
        ),
        Binding(
            "c",
            "app.device_operation('clear_app')",
            "Clear app",
            show=False,
            tooltip="Erase the app (asks first)",
        ),
        Binding(
            "C",
            "app.device_operation('clear_config')",
            "Clear config",
            show=False,
            tooltip="Erase config (asks first)",
        ),
        Binding(
            "n", "app.network_config", "Network", show=False, tooltip="DHCP or static (asks first)"
        ),
        Binding(
            "b",
            "app.device_operation('bootloader_update')",
            "Bootloader",
            show=False,
            tooltip="Update it (asks first)",
        ),
    ]

    @dataclass
    class Opened(Message):
        """Enter (or a click on the highlighted row): show everything about a camera."""

        device: Wire

    @dataclass
    class MarksChanged(Message):
        """The set of marked cameras changed."""

        marked: frozenset[str]

    def __init__(self, clock: Clock, id: str | None = None) -> None:
        super().__init__(id=id)
        self.clock = clock
        self.devices: dict[str, Wire] = {}
        self.marked: set[str] = set()
        self.filter_text = ""
        self.min_bootloader: Version | None = None  # the daemon's; None: flag nothing

    # -- what the rest of the app asks --------------------------------------------------------

    def label_of(self, device_id: str) -> str:
        """The alias of a known camera, else its MX ID."""
        device = self.devices.get(device_id)
        return model.label(device) if device else device_id

    def highlighted(self) -> Wire | None:
        """The camera under the cursor."""
        key = self.highlighted_key()
        return self.devices.get(key) if key else None

    def targets(self) -> list[Wire]:
        """What an action applies to: the marked cameras, else the highlighted one."""
        marked = [self.devices[i] for i in self.marked if i in self.devices]
        if marked:
            return sorted(marked, key=sort_key)
        current = self.highlighted()
        return [current] if current else []

    def visible_ids(self) -> list[str]:
        """MX IDs of the rows shown, top to bottom."""
        return [str(row.key.value) for row in self.ordered_rows]

    def online_count(self) -> int:
        """How many cameras answer discovery."""
        return sum(1 for d in self.devices.values() if d.get("online"))

    # -- updates from the daemon --------------------------------------------------------------

    def replace_all(self, devices: list[Wire], min_bootloader: Version | None = None) -> None:
        """A fresh list after (re)connecting, with the daemon's minimum bootloader: rows come,
        go and change as needed."""
        self.min_bootloader = min_bootloader
        fresh = {str(d["id"]): d for d in devices}
        for gone in set(self.devices) - set(fresh):
            self.devices.pop(gone)
            self.marked.discard(gone)
        self.devices.update(fresh)
        self._rebuild()

    def upsert_many(self, devices: list[Wire]) -> bool:
        """Add or update cameras from events; True when a camera's name changed."""
        renamed = False
        added = False
        for device in devices:
            device_id = str(device["id"])
            old = self.devices.get(device_id)
            renamed |= old is not None and model.label(old) != model.label(device)
            self.devices[device_id] = device
            if not model.device_matches(device, self.filter_text):
                self.drop_row(device_id)
                continue
            added |= not self.shows(device_id)
            self.put_row(device_id, self._row(device_id, device))
        if added or renamed:
            self._sort()
        return renamed

    # -- marks and filter -----------------------------------------------------------------------

    def action_toggle_mark(self) -> None:
        """Mark or unmark the highlighted camera."""
        device = self.highlighted()
        if device is not None:
            self._toggle(str(device["id"]))

    def action_toggle_all(self) -> None:
        """Mark every shown camera, or unmark all when all shown are marked."""
        shown = set(self.visible_ids())
        if shown and shown <= self.marked:
            self.marked -= shown
        else:
            self.marked |= shown
        for device_id in shown:
            self._set_mark_cell(device_id)
        self.post_message(self.MarksChanged(frozenset(self.marked)))

    def set_filter(self, text: str) -> None:
        """Show only cameras whose columns contain `text` (case-insensitive)."""
        if text != self.filter_text:
            self.filter_text = text
            self._rebuild()

    def on_click(self, event: events.Click) -> None:
        # A click in the mark column marks, as space does: multi-select with the mouse.
        meta = event.style.meta
        column, row = meta.get("column", -1), meta.get("row", -1)
        columns = self.ordered_columns
        if row >= 0 and 0 <= column < len(columns) and columns[column].key.value == "mark":
            self._toggle(str(self.ordered_rows[row].key.value))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        device = self.devices.get(str(event.row_key.value))
        if device is not None:
            self.post_message(self.Opened(device))

    # -- rows ------------------------------------------------------------------------------------

    def _toggle(self, device_id: str) -> None:
        if device_id in self.marked:
            self.marked.discard(device_id)
        else:
            self.marked.add(device_id)
        self._set_mark_cell(device_id)
        self.post_message(self.MarksChanged(frozenset(self.marked)))

    def _set_mark_cell(self, device_id: str) -> None:
        if self.shows(device_id):
            self.put_row(device_id, self._row(device_id, self.devices[device_id]))

    def _row(self, device_id: str, device: Wire) -> tuple[Text, ...]:
        online = bool(device.get("online"))
        dim = "" if online else "dim"
        state = str(device.get("state") or "?")
        version = model.bootloader_version(device)
        outdated = model.bootloader_outdated(device, self.min_bootloader)
        return (
            Text(MARK if device_id in self.marked else " ", style="bold magenta"),
            Text(device.get("alias") or "-", style=dim),
            Text(device_id, style=dim),
            Text(str(device.get("address") or "-"), style=dim),
            Text(state.replace("_", " "), style=STATE_STYLES.get(state, "")),
            Text("yes" if online else "no", style="" if online else "red"),
            Text(
                (version or "?") + (" !" if outdated else ""),
                style="bold yellow" if outdated else dim,
            ),
            Text(model.running_app(device) or "-", style=dim),
            Text(self.clock.format(device.get("flashed_at")), style=dim),
        )

    def _sort(self) -> None:
        current = self.highlighted_key()
        # As sort_key: by alias, and cameras without one ("-") by MX ID.
        self.sort(*self.SORTED_BY, key=lambda cells: self._order(cells[0].plain, cells[1].plain))
        self.restore_cursor(current)

    @staticmethod
    def _order(alias: str, device_id: str) -> tuple[bool, str, str]:
        return (alias == "-", (device_id if alias == "-" else alias).lower(), device_id)

    def _rebuild(self) -> None:
        current = self.highlighted_key()
        self.clear_rows()
        shown = [d for d in self.devices.values() if model.device_matches(d, self.filter_text)]
        for device in sorted(shown, key=sort_key):
            device_id = str(device["id"])
            self.put_row(device_id, self._row(device_id, device))
        self.restore_cursor(current)
