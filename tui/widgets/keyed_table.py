"""What the cameras, jobs and projects tables share: a DataTable whose rows are keyed by the id
of what they show, whose cells are redrawn only where they changed, and whose cursor stays on
the same thing when rows move.

Each table names its columns (key, title, fixed width or None) and builds a row's cells; the
data it keeps (devices, jobs, projects) stays its own.

With several daemons, a table gets a host column (HOST_COLUMN, placed after HOST_AFTER and ranked
there too), its rows are sorted by host first, and the rows of a daemon that dropped are dimmed
with its host cell marked, until it answers again.

`s` sorts by the next column (again: the one after, and at the end the table's own order), `S`
turns the order round, as k9s's sort keys do; the user's order holds as rows come and change.

Columns are chosen by width, as k9s does: each table ranks its columns (IMPORTANCE), and when
they do not all fit, the least important are not drawn, so that what is drawn is whole and
readable instead of cut at the edge. The rows keep every cell; a column comes back when the
terminal grows or its cells shrink.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import ClassVar

from rich.cells import cell_len
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.widgets import DataTable
from textual.widgets.data_table import RowDoesNotExist

Column = tuple[str, str, int | None]  # key, title, fixed width (None: as wide as its cells)
HOST_COLUMN: Column = ("host", "host", None)
DOWN_MARK = "✗ "  # before the host of a daemon that does not answer


def fit(widths: Sequence[tuple[str, int]], room: int, kept: Sequence[str] = ()) -> list[str]:
    """The columns to draw in `room` cells: `widths` is (key, width) most important first; the
    most important that fit are drawn, and a column never while a more important one is not
    (a table whose columns come and go in rank order reads the same at every width). `kept`
    are drawn whatever the room."""
    chosen = list(kept)
    used = sum(width for key, width in widths if key in kept)
    for key, width in widths:
        if key in chosen:
            continue
        if used + width > room:
            break
        chosen.append(key)
        used += width
    return chosen


def natural(cell: Text) -> list[int | str]:
    """A cell's sort key: numbers by value ('#9' before '#10'), text without case."""
    parts = re.split(r"(\d+)", cell.plain.lower())
    return [int(part) if part.isdigit() else part for part in parts]


class KeyedTable(DataTable[Text]):
    """Rows keyed by a string id; vi keys move the cursor as in k9s and lazygit."""

    COLUMNS: ClassVar[tuple[Column, ...]] = ()
    # Every key of COLUMNS, the most important first: the order in which columns are given up
    # when the table is narrow. Each table writes its order next to its COLUMNS; none: the
    # order of COLUMNS.
    IMPORTANCE: ClassVar[tuple[str, ...]] = ()
    # The columns the rows are sorted by: DataTable sorts by drawn cells, so these are drawn
    # at any width.
    SORTED_BY: ClassVar[tuple[str, ...]] = ()
    # Columns drawn only while some row has something in them (a write's bytes): an empty
    # column would cost its title's width for nothing.
    OPTIONAL: ClassVar[tuple[str, ...]] = ()
    # The column the host column follows, with several daemons ("": it comes first).
    HOST_AFTER: ClassVar[str] = ""
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
        Binding("s", "sort_next", "Sort by the next column", show=False),
        Binding("S", "sort_reverse", "Reverse the order", show=False),
    ]

    def __init__(self, id: str | None = None, several: bool = False) -> None:
        shown = not self.CURSOR_WHEN_FOCUSED
        super().__init__(id=id, cursor_type="row", show_cursor=shown, zebra_stripes=False)
        self.several = several  # rows of several daemons: a host column
        self.columns_used = self._with_host(self.COLUMNS)
        self.importance = self._with_host_key(self.IMPORTANCE or [k for k, _, _ in self.COLUMNS])
        self.sorted_by = ("host", *self.SORTED_BY) if several else self.SORTED_BY
        self._cells: dict[str, tuple[Text, ...]] = {}  # every cell, drawn or not
        self._given: dict[str, tuple[str, tuple[Text, ...]]] = {}  # host and cells as put
        self.down: set[str] = set()  # the daemons that do not answer now
        self._shown = self._unfitted()
        self._fit_pending = False
        # The user's order (s, S): a column and whether reversed; None: the table's own.
        self.user_order: tuple[str, bool] | None = None
        self.filter_text = ""  # `/`: only rows with this in a cell (any case), drawn or not

    def show_hosts(self) -> None:
        """From now on rows of several daemons: a host column, keys by daemon. The rows keyed
        the single-daemon way are dropped (forget_rows), since their keys no longer say whose
        they are: the daemon's next snapshot brings them back, keyed and tagged."""
        if self.several:
            return
        self.several = True
        self.columns_used = self._with_host(self.COLUMNS)
        self.importance = self._with_host_key(self.IMPORTANCE or [k for k, _, _ in self.COLUMNS])
        self.sorted_by = ("host", *self.SORTED_BY)
        self.forget_rows()
        self._cells.clear()
        self._given.clear()
        self._shown = self._unfitted()
        self.clear(columns=True)
        for key, title, width in self.columns_used:
            if key in self._shown:
                self.add_column(title, key=key, width=width)
        self._refit_soon()

    # -- the user's order ---------------------------------------------------------------------

    def action_sort_next(self) -> None:
        """Sort by the next drawn column; after the last, back to the table's own order."""
        shown = self._sortable()
        if self.user_order is None:
            column: str | None = shown[0] if shown else None
        else:
            at = shown.index(self.user_order[0]) + 1 if self.user_order[0] in shown else 0
            column = shown[at] if at < len(shown) else None
        self.user_order = None if column is None else (column, False)
        self._sort_changed()

    def action_sort_reverse(self) -> None:
        """Turn the user's order round (the first column's, if none was chosen)."""
        if self.user_order is None:
            if not self._sortable():
                return
            self.user_order = (self._sortable()[0], True)
        else:
            self.user_order = (self.user_order[0], not self.user_order[1])
        self._sort_changed()

    def _sortable(self) -> list[str]:
        """The drawn columns a person can sort by (a column with no title, the marks, not)."""
        titled = {k for k, title, _ in self.columns_used if title.strip()}
        return [k for k in self._shown if k in titled]

    def _sort_changed(self) -> None:
        if self.user_order is None:
            self.notify(f"{self.id}: in their own order", timeout=3)
            self.default_order()
            return
        column, reverse = self.user_order
        title = next(t for k, t, _ in self.columns_used if k == column)
        way = "descending" if reverse else "ascending"
        self.notify(f"{self.id}: sorted by {title}, {way} (s: next column, S: reverse)", timeout=3)
        self.user_sorted()

    def user_sorted(self) -> bool:
        """Apply the user's order, if there is one whose column is drawn; True if it was."""
        if self.user_order is None or self.user_order[0] not in self._shown:
            return False
        column, reverse = self.user_order
        current = self.highlighted_key()
        self.sort(column, key=natural, reverse=reverse)
        self.restore_cursor(current)
        return True

    def default_order(self) -> None:
        """Put the rows back in the table's own order (each table says how)."""

    def forget_rows(self) -> None:
        """Drop what the table keeps of its rows (each table its own data): show_hosts."""

    def _with_host(self, columns: Sequence[Column]) -> tuple[Column, ...]:
        if not self.several:
            return tuple(columns)
        keys = [key for key, _, _ in columns]
        at = keys.index(self.HOST_AFTER) + 1 if self.HOST_AFTER else 0
        return (*columns[:at], HOST_COLUMN, *columns[at:])

    def _with_host_key(self, keys: Sequence[str]) -> tuple[str, ...]:
        if not self.several:
            return tuple(keys)
        at = list(keys).index(self.HOST_AFTER) + 1 if self.HOST_AFTER else 0
        return (*keys[:at], "host", *keys[at:])

    def _unfitted(self) -> list[str]:
        """The columns drawn before the first fit: all but the OPTIONAL ones, empty so far."""
        return [key for key, _, _ in self.columns_used if key not in self.OPTIONAL]

    def on_mount(self) -> None:
        for key, title, width in self.columns_used:
            if key in self._shown:
                self.add_column(title, key=key, width=width)

    def on_resize(self, _: events.Resize) -> None:
        self._fit()

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

    def cell_text(self, key: str, column: str) -> str:
        """A row's cell as plain text, whether its column is drawn at this width or not."""
        at = [k for k, _, _ in self.columns_used].index(column)
        return self._cells[key][at].plain

    def shown_columns(self) -> list[str]:
        """The keys of the columns drawn, left to right."""
        return list(self._shown)

    def put_row(self, key: str, cells: tuple[Text, ...], host: str = "") -> None:
        """Add the row (cells of COLUMNS; `host`: its daemon, with several), or redraw the
        cells that changed: a new width means a layout pass of the screen, so a column is
        resized only when its text's length changed."""
        self._given[key] = (host, cells)
        if not self.row_matches(host, cells):
            if self._cells.pop(key, None) is not None:
                self.remove_row(key)
                self._refit_soon()
            return
        if self.several:
            cells = self._host_cells(host, cells)
        old = self._cells.get(key)
        self._cells[key] = cells
        if old is None:
            self.add_row(*self._drawn(cells), key=key)
            self._refit_soon()
            return
        for (column, _, width), new, before in zip(self.columns_used, cells, old, strict=False):
            if new == before:
                continue
            resize = width is None and len(new) != len(before)
            if resize:
                self._refit_soon()  # wider or narrower: another set of columns may fit
            if column in self._shown:
                self.update_cell(key, column, new, update_width=resize)

    def row_matches(self, host: str, cells: tuple[Text, ...]) -> bool:
        """The row passes the filter: its daemon or one of its cells holds the text."""
        if not self.filter_text:
            return True
        needle = self.filter_text.lower()
        return needle in "\x1f".join([host, *(cell.plain for cell in cells)]).lower()

    def set_filter(self, text: str) -> None:
        """Show only the rows that hold `text` (tables may filter their own way)."""
        if text == self.filter_text:
            return
        self.filter_text = text
        for key, (host, cells) in list(self._given.items()):
            self.put_row(key, cells, host)
        self.default_order()  # rows shown again came at the end

    def _host_cells(self, host: str, cells: tuple[Text, ...]) -> tuple[Text, ...]:
        """The host cell in its place; every cell dimmed while that daemon does not answer."""
        at = [key for key, _, _ in self.columns_used].index("host")
        if host not in self.down:
            return (*cells[:at], Text(host, style="bold"), *cells[at:])
        dimmed = []
        for cell in cells:
            cell = cell.copy()
            cell.stylize("dim")
            dimmed.append(cell)
        return (*dimmed[:at], Text(DOWN_MARK + host, style="bold red"), *dimmed[at:])

    def set_down(self, host: str, down: bool) -> None:
        """Dim (or restore) the rows of daemon `host`: it dropped (or answers again)."""
        if (host in self.down) == down:
            return
        if down:
            self.down.add(host)
        else:
            self.down.discard(host)
        for key, (owner, cells) in list(self._given.items()):
            if owner == host:
                self.put_row(key, cells, owner)

    def drop_row(self, key: str) -> None:
        """Remove the row of `key`, if shown."""
        self._given.pop(key, None)
        if self._cells.pop(key, None) is not None:
            self.remove_row(key)
            self._refit_soon()

    def clear_rows(self) -> None:
        """Remove every row, keep the columns."""
        self.clear(columns=False)
        self._cells.clear()
        self._given.clear()
        self._refit_soon()

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

    # -- columns by width ------------------------------------------------------------------------

    def _drawn(self, cells: tuple[Text, ...]) -> list[Text]:
        return [
            cell
            for (key, _, _), cell in zip(self.columns_used, cells, strict=False)
            if key in self._shown
        ]

    def _refit_soon(self) -> None:
        # Once after a batch of rows, not once per row: a batch of events puts many rows.
        if not self._fit_pending:
            self._fit_pending = True
            self.call_later(self._fit)

    def _widths(self) -> list[tuple[str, int]]:
        """Each column's width as DataTable draws it (cells and padding), by importance; an
        OPTIONAL column with nothing in it is left out."""
        padding = 2 * self.cell_padding
        widths: dict[str, int] = {}
        for index, (key, title, fixed) in enumerate(self.columns_used):
            if fixed is not None:
                widths[key] = fixed + padding
                continue
            cells = [row[index].cell_len for row in self._cells.values() if index < len(row)]
            if key in self.OPTIONAL and not any(cells):
                continue
            widths[key] = max([cell_len(title), *cells]) + padding
        return [(key, widths[key]) for key in self.importance if key in widths]

    def _fit(self) -> None:
        self._fit_pending = False
        if not self.size.width:
            return  # not laid out yet: the first resize fits
        # The vertical scrollbar's cell is kept free: rows that come later may need it.
        room = self.size.width - self.styles.scrollbar_size_vertical
        kept = (*self.sorted_by, *(self.user_order[:1] if self.user_order else ()))
        chosen = set(fit(self._widths(), room, kept))
        shown = [key for key, _, _ in self.columns_used if key in chosen]
        if shown != self._shown:
            self._show(shown)

    def _show(self, shown: list[str]) -> None:
        """Draw these columns: DataTable cannot hide one, so the table is drawn again, its
        rows in the order they had and the cursor on the same row."""
        order = [str(row.key.value) for row in self.ordered_rows]
        current = self.highlighted_key()
        scroll_y = self.scroll_y
        self._shown = shown
        self.clear(columns=True)
        for key, title, width in self.columns_used:
            if key in shown:
                self.add_column(title, key=key, width=width)
        for key in order:
            self.add_row(*self._drawn(self._cells[key]), key=key)
        self.restore_cursor(current)
        self.call_after_refresh(self.scroll_to, y=scroll_y, animate=False)
