"""The jobs panel: running jobs with a progress bar each, then queued ones, then recent results."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.timer import Timer
from textual.widgets import DataTable

from oakd.build.limits import short_size
from oakd.core.transfer import describe
from oakd.protocol.replies import JobInfo, JobProgress, JobState
from tui import hosts, model
from tui.clock import Clock
from tui.widgets.keyed_table import DOWN_MARK, KeyedTable

BAR_WIDTH = 8
RECENT_LIMIT = 20  # finished jobs kept in view, per daemon
PROGRESS_INTERVAL = 0.1  # seconds between redraws of progress bars
COLUMNS = (
    ("id", "#", None),
    ("camera", "camera", None),
    ("job", "job", None),
    ("state", "state", None),
    ("transfer", "written", None),
)
# What a narrow panel keeps, most important first (KeyedTable drops from the end): the job, its
# state (or phase and progress), which camera, what it does (the detail page has it), then a
# write's bytes, speed and time left.
IMPORTANCE = ("id", "state", "camera", "job", "transfer")
STATE_STYLES = {
    JobState.RUNNING: "bold cyan",
    JobState.QUEUED: "",
    JobState.DONE: "green",
    JobState.FAILED: "bold red",
    JobState.CANCELLED: "yellow",
    JobState.SKIPPED: "green dim",
    JobState.INTERRUPTED: "bold yellow",
}


def progress_bar(progress: float, width: int = BAR_WIDTH) -> Text:
    """A bar of `width` cells and a percentage (of a 0..1 progress): '━━━━━╸━━━━━━  45%'."""
    value = min(max(progress, 0.0), 1.0)
    filled = value * width
    whole = int(filled)
    bar = Text("━" * whole, style="bold green")
    rest = width - whole
    if rest:
        bar.append(
            "╸" if filled - whole >= 0.5 else "━", style="green" if filled > whole else "grey35"
        )
        bar.append("━" * (rest - 1), style="grey35")
    bar.append(f" {value * 100:3.0f}%")
    return bar


class JobsTable(KeyedTable):
    """Jobs keyed by id (with several daemons, by daemon and id: tui/hosts.py), ordered
    running, queued, then the newest results."""

    COLUMNS = COLUMNS
    IMPORTANCE = IMPORTANCE
    OPTIONAL = ("transfer",)
    HOST_AFTER = "id"
    SORTED_BY = ("id",)  # by model.job_order, read from the id
    CURSOR_WHEN_FOCUSED = True
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("x", "app.cancel_job", "Cancel job"),
        Binding("delete", "app.cancel_job", "Cancel job", show=False),
    ]

    @dataclass
    class Opened(Message):
        """Enter on a job: show its parameters, error and outcome."""

        job: JobInfo

    def __init__(
        self,
        clock: Clock,
        names: Callable[[str], str],
        id: str | None = None,
        several: bool = False,
    ) -> None:
        super().__init__(id=id, several=several)
        self.clock = clock
        self.names = names  # a camera's row key -> what a person calls it
        self.jobs: dict[str, JobInfo] = {}  # by row key
        self._dirty: set[str] = set()  # jobs whose progress is not drawn yet
        self._flush: Timer | None = None

    def highlighted(self) -> JobInfo | None:
        """The job under the cursor."""
        key = self.highlighted_key()
        return self.jobs.get(key) if key is not None else None

    def counts(self, host: str | None = None) -> tuple[int, int]:
        """(running, queued), of every daemon or of `host`'s."""
        states = [j.state for j in self.jobs.values() if host is None or j.host == host]
        return states.count(JobState.RUNNING), states.count(JobState.QUEUED)

    def forget_rows(self) -> None:
        self.jobs.clear()
        self._dirty.clear()

    def replace_all(self, jobs: list[JobInfo], host: str = "") -> None:
        """A fresh list from daemon `host` after (re)connecting; other daemons' jobs stay."""
        others = {k: j for k, j in self.jobs.items() if j.host != host}
        self.jobs = {**others, **{hosts.key_of(j): j for j in jobs}}
        self._trim()
        current = self.highlighted_key()
        self.clear_rows()
        for job in sorted(self.jobs.values(), key=model.job_order):
            self._put(job)
        self.restore_cursor(current)
        self.user_sorted()

    def upsert_many(self, jobs: list[JobInfo]) -> list[tuple[JobInfo | None, JobInfo]]:
        """Add or update jobs; returns (before, after) pairs so callers can react to changes."""
        changes: list[tuple[JobInfo | None, JobInfo]] = []
        reorder = False
        for job in jobs:
            job_id = hosts.key_of(job)
            before = self.jobs.get(job_id)
            self.jobs[job_id] = job
            changes.append((before, job))
            if self.shows(job_id):
                reorder |= before is None or model.job_order(before)[0] != model.job_order(job)[0]
            else:
                reorder = True
            self._put(job)
        if reorder or self.user_order:  # the user's column may be one that changed
            for job_id in self._trim():
                self.drop_row(job_id)
            self._sort()
        return changes

    def progress(self, job_id: str, event: JobProgress) -> None:
        """A job.progress event: only the bar, the phase and the bytes change, drawn within
        0.1 s."""
        job = self.jobs.get(job_id)
        if job is None or job.final:
            return
        job = dataclasses.replace(
            job,
            progress=event.progress,
            phase=event.phase or job.phase,
            transfer=event.transfer,
            # Progress means it started; job.changed will confirm.
            state=JobState.RUNNING if job.state is JobState.QUEUED else job.state,
        )
        self.jobs[job_id] = job
        self._dirty.add(job_id)
        if self._flush is None:
            # Bars are redrawn at most 10 times a second, however many jobs report: each
            # redraw renders the whole table, and 32 jobs at 10 events/s each would be 320.
            self._flush = self.set_timer(PROGRESS_INTERVAL, self._draw_progress)

    def _draw_progress(self) -> None:
        self._flush = None
        dirty, self._dirty = self._dirty, set()
        for job_id in dirty:
            job = self.jobs.get(job_id)
            if job is not None and self.shows(job_id):
                self._put(job)

    def relabel(self) -> None:
        """Camera names changed: redraw the camera column."""
        for job in self.jobs.values():
            if self.shows(hosts.key_of(job)):
                self._put(job)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        job = self.jobs.get(str(event.row_key.value))
        if job is not None:
            self.post_message(self.Opened(job))

    def _trim(self) -> list[str]:
        # Per daemon: one busy daemon's history must not push another's last jobs out of view.
        finished = sorted((j for j in self.jobs.values() if j.final), key=model.job_order)
        removed = [
            hosts.key_of(j)
            for group in hosts.by_host(finished).values()
            for j in group[RECENT_LIMIT:]
        ]
        for job_id in removed:
            self.jobs.pop(job_id)
        return removed

    def _row(self, job: JobInfo) -> tuple[Text, ...]:
        return (
            Text(f"#{job.id}"),
            Text(self.names(hosts.device_key(job))),
            Text(model.job_what(job)),
            self._state(job),
            Text(self._transfer(job), style="dim"),
        )

    @staticmethod
    def _transfer(job: JobInfo) -> str:
        if job.state is not JobState.RUNNING:
            return ""
        return describe(job.transfer, short_size)

    def _state(self, job: JobInfo) -> Text:
        """Running: the phase and a progress bar. Otherwise the state, and when it ended."""
        state = job.state
        if state is JobState.RUNNING:
            phase = job.phase.value if job.phase else "running"
            cell = Text(f"{phase:<11}", style=STATE_STYLES[state])
            return cell.append_text(progress_bar(job.progress))
        cell = Text(f"{model.JOB_STATE_MARKS[state]} {state.value}", style=STATE_STYLES[state])
        if job.final:
            cell.append(f"  {self.clock.format(job.finished)}", style="dim")
        return cell

    def _put(self, job: JobInfo) -> None:
        self.put_row(hosts.key_of(job), self._row(job), job.host)

    def default_order(self) -> None:
        self._sort()

    def _sort(self) -> None:
        if self.user_sorted():
            return
        current = self.highlighted_key()
        self.sort(*self.sorted_by, key=self._order)
        self.restore_cursor(current)

    def _order(self, cells: Text | tuple[Text, ...]) -> tuple[int, float, str]:
        # DataTable hands one cell for one sort column, a tuple for several (host and id).
        if isinstance(cells, Text):
            host, number = "", cells.plain[1:]
        else:
            host, number = cells[0].plain.removeprefix(DOWN_MARK), cells[1].plain[1:]
        return (*model.job_order(self.jobs[hosts.key(host, number)]), host)
