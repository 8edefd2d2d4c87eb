"""The limit on what a device worker's own output puts in the daemon's log."""

from __future__ import annotations

from oakd.core.output import BURST, FLOOD_S, RATE, REPORT_S, OutputLimiter, Verdict


def test_a_burst_is_logged_then_lines_are_dropped_and_counted() -> None:
    limiter = OutputLimiter()
    verdicts = [limiter.take(0.0) for _ in range(BURST + 50)]
    assert verdicts.count(Verdict.LOG) == BURST
    assert verdicts.count(Verdict.DROP) == 50
    assert limiter.report(REPORT_S) == 50
    assert limiter.report(REPORT_S + 1) == 0  # nothing new dropped


def test_a_steady_trickle_is_all_logged() -> None:
    limiter = OutputLimiter()
    verdicts = {limiter.take(i / RATE) for i in range(2000)}
    assert verdicts == {Verdict.LOG}


def test_a_flood_for_seconds_stops_the_child() -> None:
    limiter = OutputLimiter()
    verdict = Verdict.LOG
    t = 0.0
    while verdict is not Verdict.STOP:  # 5000 lines a second, as depthai spinning on a dead link
        verdict = limiter.take(t)
        t += 1 / 5000
        assert t < FLOOD_S + 2, "a flood was never stopped"
    assert t >= FLOOD_S - 0.5
