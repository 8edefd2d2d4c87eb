"""What the cameras, jobs and projects tables share: a DataTable whose rows are keyed by the id
of what they show, whose cells are redrawn only where they changed, and whose cursor stays on
the same thing when rows move.

Each table names its columns (key, title, fixed width or None) and builds a row's cells; the
data it keeps (devices, jobs, projects) stays its own.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.widgets import DataTable
from textual.widgets.data_table import RowDoesNotExist

Column = tuple[str, str, int | None]  # key, title, fixed width (None: as wide as its cells)


class KeyedTable(DataTable[Text]):
    """Rows keyed by a string id; vi keys move the cursor as in k9s and lazygit."""

    COLUMNS: ClassVar[tuple[Column, ...]] = ()
    # An unfocused panel shows its colours (the jobs' progress bars) rather than a cursor.
    CURSOR_WHEN_FOCUSED: ClassVar[bool] = False
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
        Binding("g", "scroll_top", "First row", show=False),
        Binding("G", "scroll_bottom", "Last row", show=False),
        # DataTable moves between columns on home/end; these tables select rows only.
        Binding("home", "scroll_top", "First row", show=False),
        Binding("end", "scroll_bottom", "Last row", show=False),
    ]

    def __init__(self, id: str | None = None) -> None:
        shown = not self.CURSOR_WHEN_FOCUSED
        super().__init__(id=id, cursor_type="row", show_cursor=shown, zebra_stripes=False)
        self._cells: dict[str, tuple[Text, ...]] = {}

    def on_mount(self) -> None:
        for key, title, width in self.COLUMNS:
            self.add_column(title, key=key, width=width)

    def on_focus(self) -> None:
        if self.CURSOR_WHEN_FOCUSED:
            self.show_cursor = True

    def on_blur(self) -> None:
        if self.CURSOR_WHEN_FOCUSED:
            self.show_cursor = False

    def highlighted_key(self) -> str | None:
        """The key of the row under the cursor."""
        if not self.row_count:
            return None
        try:
            key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        except RowDoesNotExist:
            return None
        return None if key is None else str(key)

    def shows(self, key: str) -> bool:
        """The table has a row for `key`."""
        return key in self._cells

    def put_row(self, key: str, cells: tuple[Text, ...]) -> None:
        """Add the row, or redraw the cells that changed: a new width means a layout pass of
        the screen, so a column is resized only when its text's length changed."""
        old = self._cells.get(key)
        self._cells[key] = cells
        if old is None:
            self.add_row(*cells, key=key)
            return
        for (column, _, width), new, before in zip(self.COLUMNS, cells, old, strict=False):
            if new != before:
                resize = width is None and len(new) != len(before)
                self.update_cell(key, column, new, update_width=resize)

    def drop_row(self, key: str) -> None:
        """Remove the row of `key`, if shown."""
        if self._cells.pop(key, None) is not None:
            self.remove_row(key)

    def clear_rows(self) -> None:
        """Remove every row, keep the columns."""
        self.clear(columns=False)
        self._cells.clear()

    def restore_cursor(self, key: str | None) -> None:
        """Put the cursor back on `key`'s row after rows moved."""
        if key is None:
            return
        try:
            index = self.get_row_index(key)
        except RowDoesNotExist:
            return
        if index != self.cursor_row:
            self.move_cursor(row=index, animate=False, scroll=False)
