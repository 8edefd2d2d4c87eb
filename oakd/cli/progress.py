"""What `--wait` shows while jobs run: on a terminal, a rich progress bar per job with the phase,
the bytes, the speed and the time left (the daemon's figures, oakd/core/transfer.py); without
one, a plain line each time a job changes phase or ends, for logs and CI.

Everything goes to stderr: stdout is for --json and for what a script reads.
"""

from __future__ import annotations

import sys
from types import TracebackType
from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TaskProgressColumn, TextColumn

from oakd.build.limits import short_size
from oakd.core.jobs import JobState
from oakd.core.transfer import describe

if TYPE_CHECKING:
    from oakd.protocol.replies import JobInfo, JobProgress

STEPS = 1000  # a bar's resolution: per mille of the job


def _steps(fraction: float) -> int:
    return round(max(0.0, min(1.0, fraction)) * STEPS)


def _state(job: JobInfo) -> str:
    if job.state is not JobState.RUNNING:
        return job.state.value
    return job.phase.value if job.phase else "running"


def _outcome(job: JobInfo) -> str:
    why = job.error or job.message or ""
    return f"job {job.id} {job.device}: {job.state.value}" + (f": {why}" if why else "")


class JobProgressView:
    """A context manager that draws jobs as their events come (`update`, `finished`)."""

    def __init__(self, show: bool, console: Console | None = None) -> None:
        self.show = show
        self.console = console or Console(file=sys.stderr)
        self.live = show and self.console.is_terminal
        self._tasks: dict[int, TaskID] = {}
        self._said: dict[int, str] = {}  # plain mode: the last state printed per job
        self._bars = Progress(
            TextColumn("job {task.fields[job]}"),
            TextColumn("{task.fields[state]:<9}"),
            TaskProgressColumn(),
            BarColumn(bar_width=20),
            TextColumn("{task.fields[transfer]}"),
            console=self.console,
            transient=False,
        )

    def __enter__(self) -> JobProgressView:
        if self.live:
            self._bars.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.live:
            self._bars.stop()

    def update(self, job: JobInfo, progress: JobProgress | None = None) -> None:
        """A job changed or made progress (`progress`: the job.progress event)."""
        if not self.show:
            return
        if not self.live:
            state = _state(job)
            if self._said.get(job.id) != state:
                self._said[job.id] = state
                self.console.print(
                    f"job {job.id} {job.device}: {state}", highlight=False, soft_wrap=True
                )
            return
        label = f"{job.id} {job.device}"
        state = _state(job)
        transfer = describe(progress.transfer if progress else {}, short_size)
        done = _steps(job.progress)
        task = self._tasks.get(job.id)
        if task is None:
            self._tasks[job.id] = self._bars.add_task(
                "", total=STEPS, completed=done, job=label, state=state, transfer=transfer
            )
        else:
            self._bars.update(task, completed=done, job=label, state=state, transfer=transfer)

    def finished(self, job: JobInfo) -> None:
        """A job reached its final state: its outcome, as a line of its own."""
        if not self.show:
            return
        if self.live:
            self.update(job)
            task = self._tasks[job.id]
            if job.state is JobState.DONE:
                self._bars.update(task, completed=STEPS)
        self.console.print(_outcome(job), highlight=False, markup=False, soft_wrap=True)
