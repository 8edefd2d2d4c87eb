"""The job queue's rules (oakd.core.jobs): who runs next, what supersedes what, what may be
cancelled, how a job ends, and what a daemon crash does to a running job. Pure: no store, no
workers, no clock."""

from __future__ import annotations

import json
from typing import Any

import pytest

from oakd.core import jobs as rules
from oakd.core.jobs import (
    DESTRUCTIVE,
    ERASES,
    FINAL_STATES,
    FLASHES,
    LOSSES,
    Job,
    JobConflict,
    JobKind,
    JobPhase,
    JobQueue,
    JobState,
    deadline_s,
    finish,
    flash_params,
    recover,
    start,
)
from oakd.errors import ErrorCode, OakdError
from oakd.protocol.replies import JobInfo
from oakd.protocol.typed import to_wire

A = "18443010C1D2E3F400"
B = "18443010C1D2E3F401"
C = "18443010C1D2E3F402"
FLASH, PROJECT = JobKind.FLASH_PACKAGE, JobKind.FLASH_PROJECT
QUEUED, RUNNING = JobState.QUEUED, JobState.RUNNING


def make(
    job_id: int,
    device: str = A,
    kind: JobKind = FLASH,
    state: JobState = QUEUED,
    params: dict[str, Any] | None = None,
) -> Job:
    """A job as the store hands it over."""
    return Job(job_id, device, kind, state, created=float(job_id), params=params or {})


def ids(jobs: list[Job]) -> list[int]:
    return [j.id for j in jobs]


# -- queueing and superseding


def test_a_queued_job_is_kept_and_supersedes_nothing_on_its_own() -> None:
    queue = JobQueue()
    job = make(1)
    assert queue.add(job, 10.0) == []
    assert queue.jobs == {1: job}
    assert job.state is QUEUED


def test_a_newer_flash_cancels_the_queued_flash_of_the_same_camera() -> None:
    queue = JobQueue()
    old = make(1)
    queue.add(old, 10.0)
    new = make(2)
    assert queue.add(new, 11.0) == [old]
    assert old.state is JobState.CANCELLED
    assert old.message == "superseded by job 2"
    assert old.finished == 11.0 and old.error is None and old.error_code is None
    assert new.state is QUEUED
    assert ids(queue.runnable(parallel=4)) == [2]  # only the newest flash will run


@pytest.mark.parametrize(("older", "newer"), [(FLASH, PROJECT), (PROJECT, FLASH)])
def test_a_package_flash_and_a_project_flash_supersede_each_other(
    older: JobKind, newer: JobKind
) -> None:
    queue = JobQueue([make(1, kind=older)])
    (superseded,) = queue.add(make(2, kind=newer), 5.0)
    assert superseded.id == 1 and superseded.message == "superseded by job 2"


def test_every_older_queued_flash_of_the_camera_is_superseded() -> None:
    queue = JobQueue([make(1), make(2, kind=PROJECT)])
    assert sorted(ids(queue.add(make(3), 5.0))) == [1, 2]
    assert {j.message for j in (queue.jobs[1], queue.jobs[2])} == {"superseded by job 3"}


def test_superseding_spares_other_cameras_running_flashes_and_other_kinds() -> None:
    other_camera = make(1, device=B)
    running = make(2, state=RUNNING)
    reset = make(3, kind=JobKind.FACTORY_RESET)
    done = make(4, state=JobState.DONE)
    queue = JobQueue([other_camera, running, reset, done])
    assert queue.add(make(5), 5.0) == []
    assert other_camera.state is QUEUED
    assert running.state is RUNNING  # a write in progress is never torn off
    assert reset.state is QUEUED  # a reset asked for is not a flash to replace
    assert done.state is JobState.DONE and done.message is None


def test_a_destructive_job_supersedes_no_queued_flash() -> None:
    flash = make(1)
    queue = JobQueue([flash])
    for job_id, kind in enumerate(sorted(DESTRUCTIVE), start=2):
        assert queue.add(make(job_id, kind=kind), 5.0) == []
    assert flash.state is QUEUED


# -- which jobs start


def test_the_oldest_queued_job_of_each_camera_starts_first() -> None:
    # Handed over newest first (as the store lists them): the order is the ids', not the list's.
    queue = JobQueue([make(4, device=B), make(3), make(2, device=B, kind=JobKind.CLEAR_APP)])
    queue.add(make(1, kind=JobKind.CLEAR_CONFIG), 0.0)
    assert ids(queue.runnable(parallel=4)) == [1, 2]


def test_parallel_limits_how_many_cameras_work_at_once() -> None:
    queue = JobQueue([make(1, device=A), make(2, device=B), make(3, device=C)])
    assert ids(queue.runnable(parallel=2)) == [1, 2]
    assert ids(queue.runnable(parallel=1)) == [1]
    assert queue.runnable(parallel=0) == []
    assert ids(queue.runnable(parallel=10)) == [1, 2, 3]


def test_a_camera_with_a_running_job_gets_no_second_one_and_the_running_one_counts() -> None:
    queue = JobQueue([make(1, device=A, state=RUNNING), make(2, device=A), make(3, device=B)])
    assert ids(queue.runnable(parallel=4)) == [3]
    assert queue.runnable(parallel=1) == []  # the running job takes the only slot


def test_a_camera_being_inspected_is_skipped_and_takes_a_slot() -> None:
    queue = JobQueue([make(1, device=A), make(2, device=B), make(3, device=C)])
    assert ids(queue.runnable(parallel=4, also_busy={A})) == [2, 3]
    assert ids(queue.runnable(parallel=2, also_busy={A})) == [2]
    assert ids(queue.runnable(parallel=2, also_busy=frozenset({A, B}))) == []


def test_runnable_only_proposes_and_ended_jobs_never_run() -> None:
    ended = [
        make(job_id, device=f"{A[:-2]}{job_id:02d}", state=state)
        for job_id, state in enumerate(sorted(FINAL_STATES), start=1)
    ]
    queue = JobQueue(ended)
    assert queue.runnable(parallel=10) == []
    queue.add(make(99), 0.0)
    assert ids(queue.runnable(parallel=10)) == [99]
    assert ids(queue.runnable(parallel=10)) == [99]  # choosing does not start it
    assert queue.jobs[99].state is QUEUED


def test_active_on_names_the_running_job_of_a_camera() -> None:
    queue = JobQueue([make(1, device=A, state=RUNNING), make(2, device=B)])
    active = queue.active_on(A)
    assert active is not None and active.id == 1
    assert queue.active_on(B) is None  # queued is not active
    assert ids(queue.running()) == [1]


# -- cancelling


def test_cancelling_a_queued_job_ends_it_at_once() -> None:
    queue = JobQueue([make(1)])
    job = queue.cancel(1, 7.0)
    assert job is queue.jobs[1]
    assert (job.state, job.message, job.finished) == (JobState.CANCELLED, "cancelled", 7.0)
    assert queue.runnable(parallel=4) == []


@pytest.mark.parametrize(
    ("phase", "words"), [(JobPhase.WRITING, "already writing"), (None, "already running")]
)
def test_a_running_job_cannot_be_cancelled_and_the_client_is_told_why(
    phase: JobPhase | None, words: str
) -> None:
    job = make(1, state=RUNNING)
    job.phase = phase
    queue = JobQueue([job])
    with pytest.raises(JobConflict) as info:
        queue.cancel(1, 7.0)
    assert isinstance(info.value, OakdError) and info.value.code is ErrorCode.BUSY
    assert words in info.value.message and A in info.value.message
    assert "wait for it to end" in info.value.message
    assert job.state is RUNNING and job.finished is None


@pytest.mark.parametrize("state", sorted(FINAL_STATES))
def test_an_ended_job_cannot_be_cancelled(state: JobState) -> None:
    job = make(1, state=state)
    queue = JobQueue([job])
    with pytest.raises(JobConflict) as info:
        queue.cancel(1, 7.0)
    assert info.value.code is ErrorCode.BUSY
    assert info.value.message == f"job 1 has already ended ({state.value})"
    assert job.state is state


def test_cancelling_an_unknown_job_is_a_key_error_for_the_engine_to_word() -> None:
    with pytest.raises(KeyError):
        JobQueue().cancel(42, 1.0)


# -- a job's life


def test_start_runs_a_queued_job_and_counts_the_attempt() -> None:
    job = make(1)
    start(job, 3.0)
    assert (job.state, job.phase, job.started, job.attempts) == (
        RUNNING,
        JobPhase.CONNECTING,
        3.0,
        1,
    )
    with pytest.raises(JobConflict, match="job 1 is running, not queued"):
        start(job, 4.0)
    assert job.attempts == 1


def test_a_done_job_is_complete_and_keeps_no_error() -> None:
    job = make(1)
    start(job, 1.0)
    job.phase, job.progress = JobPhase.VERIFYING, 0.4
    finish(job, JobState.DONE, 2.0, message="written in full")
    assert (job.state, job.progress, job.phase, job.finished) == (JobState.DONE, 1.0, None, 2.0)
    assert job.message == "written in full"
    assert job.error is None and job.error_code is None


def test_a_failed_job_carries_its_error_code_internal_unless_told() -> None:
    unknown, unreachable = make(1, state=RUNNING), make(2, state=RUNNING)
    unknown.progress = unreachable.progress = 0.3
    finish(unknown, JobState.FAILED, 2.0, error="boom")
    finish(unreachable, JobState.FAILED, 2.0, error="no answer", code=ErrorCode.DEVICE_UNREACHABLE)
    assert (unknown.error, unknown.error_code) == ("boom", "internal")
    assert (unreachable.error, unreachable.error_code) == ("no answer", "device_unreachable")
    assert unknown.progress == 0.3  # a failure does not claim completion


def test_a_code_without_an_error_is_not_recorded() -> None:
    job = make(1, state=RUNNING)
    finish(job, JobState.SKIPPED, 2.0, message="already runs it", code=ErrorCode.REFUSED)
    assert job.error_code is None and job.state is JobState.SKIPPED


@pytest.mark.parametrize("state", sorted(FINAL_STATES))
def test_an_ended_job_cannot_end_again(state: JobState) -> None:
    job = make(1, state=state)
    job.finished, job.message = 5.0, "first outcome"
    with pytest.raises(JobConflict, match=f"already ended \\({state.value}\\)"):
        finish(job, JobState.DONE, 6.0, message="second outcome")
    assert (job.state, job.finished, job.message) == (state, 5.0, "first outcome")


def test_final_states_are_exactly_the_ends() -> None:
    assert {s for s in JobState if s.final} == FINAL_STATES
    assert not QUEUED.final and not RUNNING.final


# -- after a daemon crash


def test_a_job_running_at_a_crash_is_queued_again_once() -> None:
    job = make(1, state=RUNNING, params={"package": "/p.dap"})
    job.phase, job.progress, job.started, job.attempts = JobPhase.WRITING, 0.6, 3.0, 1
    recover(job)
    assert job.state is QUEUED
    assert (job.phase, job.progress, job.started) == (None, 0.0, None)
    assert job.message == "interrupted by a daemon restart; queued again"
    assert job.error is None
    # The count lives in the params, so it survives the store (SQLite keeps params as JSON).
    assert json.loads(job.params_json()) == {"package": "/p.dap", "interrupted": 1}
    assert ids(JobQueue([job]).runnable(parallel=1)) == [1]


def test_a_job_interrupted_twice_is_not_retried_again() -> None:
    job = make(1, state=RUNNING)
    recover(job)
    start(job, 4.0)
    # The store loads it anew after the second crash: the count came back through JSON.
    again = make(1, state=RUNNING, params=json.loads(job.params_json()))
    again.phase = JobPhase.WRITING
    recover(again)
    assert again.state is JobState.INTERRUPTED and again.state.final
    assert again.error is not None and "interrupted twice" in again.error
    assert again.error_code == "interrupted" and again.message is None  # what a script matches
    assert "queue it anew" in again.error
    assert again.params["interrupted"] == 2
    assert again.phase is None
    assert JobQueue([again]).runnable(parallel=1) == []


@pytest.mark.parametrize("state", [QUEUED, *sorted(FINAL_STATES)])
def test_recovery_leaves_jobs_that_were_not_running_alone(state: JobState) -> None:
    job = make(1, state=state, params={"package": "/p.dap"})
    recover(job)
    assert job.state is state
    assert job.params == {"package": "/p.dap"} and job.message is None


# -- params and deadlines


def test_flash_params_name_the_package_and_how_to_write_it() -> None:
    params = flash_params(
        "/cache/ab.dap", "ab" * 6, "app@abababababab", 1234, "/src/app.dap", True, False
    )
    assert params == {
        "package": "/cache/ab.dap",
        "hash": "abababababab",
        "app_name": "app@abababababab",
        "size": 1234,
        "source": "/src/app.dap",
        "force": True,
        "full": False,
    }
    assert json.loads(make(1, params=params).params_json()) == params  # storable as is


@pytest.mark.parametrize("kind", list(JobKind))
def test_every_kind_has_a_deadline_of_at_least_the_fixed_floor(kind: JobKind) -> None:
    assert deadline_s(kind, {}) >= rules.FIXED_S


@pytest.mark.parametrize("kind", sorted(FLASHES))
def test_a_flash_deadline_grows_with_the_package(kind: JobKind) -> None:
    assert deadline_s(kind, {}) == rules.FIXED_S  # nothing to write: just the floor
    assert deadline_s(kind, {"size": 0}) == rules.FIXED_S
    small = deadline_s(kind, {"size": 1_000_000})
    big = deadline_s(kind, {"size": 10_700_000})
    assert rules.FIXED_S < small < big
    # Room to write at the slowest speed allowed, then read it back.
    assert big >= rules.FIXED_S + 10_700_000 / rules.SLOWEST_WRITE_BPS
    assert big == pytest.approx(120 + 107 + 10.7)


def test_a_factory_reset_gets_more_time_than_a_config_clear() -> None:
    reset = deadline_s(JobKind.FACTORY_RESET, {"size": 1})  # a size does not apply to it
    assert reset == deadline_s(JobKind.FACTORY_RESET, {})
    assert reset > deadline_s(JobKind.CLEAR_CONFIG, {}) > rules.FIXED_S


# -- what each kind is


def test_every_kind_is_a_flash_or_destructive_and_every_loss_is_said() -> None:
    assert set(JobKind) == DESTRUCTIVE | FLASHES
    assert not DESTRUCTIVE & FLASHES
    assert set(LOSSES) == DESTRUCTIVE == set(ERASES)
    for kind in DESTRUCTIVE:
        # The API's sentence names everything the TUI's dialog lists as lost.
        for loss in ERASES[kind]:
            assert loss.value in LOSSES[kind], (kind, loss)


# -- memory


def test_forgetting_drops_the_oldest_ended_jobs_only() -> None:
    done = [make(i, state=JobState.DONE) for i in range(1, 6)]
    queue = JobQueue([*done, make(6, state=RUNNING, device=B), make(7, device=C)])
    queue.forget_finished(keep=2)
    assert sorted(queue.jobs) == [4, 5, 6, 7]
    queue.forget_finished(keep=0)
    assert sorted(queue.jobs) == [6, 7]  # queued and running jobs are never forgotten


def test_a_job_on_the_wire_is_plain_json() -> None:
    job = make(1, state=RUNNING, params={"size": 3})
    job.phase = JobPhase.COMPARING
    wire = to_wire(JobInfo.of(job))
    assert json.loads(json.dumps(wire)) == wire
    assert (wire["kind"], wire["state"], wire["phase"]) == ("flash_package", "running", "comparing")
    assert wire["device"] == A and wire["params"] == {"size": 3}
