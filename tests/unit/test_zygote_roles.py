"""Which roles one zygote forks for, once depthai's unpacking is over (oakd/zygote/__main__.py).

A thread that stays after the warm-up (libusb's event thread, on a machine where depthai can use
USB) exists only where there is USB; the suite's machines have none, so the decision is tested
here on role stand-ins with the roles' own flags. The real roles fork in test_warm.py and
test_workers.py.
"""

from __future__ import annotations

from types import ModuleType, SimpleNamespace
from typing import Any, cast

from oakd.build import forked as build_role
from oakd.worker import forked as device_role
from oakd.zygote.__main__ import forking_roles, settle


def stand_in(real: ModuleType, settled: list[str]) -> ModuleType:
    role: Any = SimpleNamespace(
        FORKS_BESIDE_IDLE_THREADS=real.FORKS_BESIDE_IDLE_THREADS,
        settle=lambda: settled.append(real.__name__),
    )
    return cast(ModuleType, role)


def roles(settled: list[str]) -> dict[str, ModuleType]:
    return {"device": stand_in(device_role, settled), "build": stand_in(build_role, settled)}


def test_alone_it_forks_for_every_role() -> None:
    assert set(forking_roles(roles([]), 0)) == {"device", "build"}


def test_beside_an_idle_thread_builds_fork_and_device_workers_start_fresh() -> None:
    assert set(forking_roles(roles([]), 1)) == {"build"}


def test_a_role_is_settled_when_asked_and_a_thread_it_leaves_keeps_device_workers_fresh() -> None:
    settled: list[str] = []
    forks = forking_roles(roles(settled), 0)
    same, others = settle(forks["device"], forks, 0, count=lambda: 0)
    assert same == forks and others == 0 and settled == [device_role.__name__]
    fewer, others = settle(forks["build"], forks, 0, count=lambda: 1)
    assert set(fewer) == {"build"} and others == 1
    assert settled == [device_role.__name__, build_role.__name__]
