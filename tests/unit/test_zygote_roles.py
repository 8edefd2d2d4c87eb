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
from oakd.zygote.__main__ import forking_roles


def stand_in(real: ModuleType, settled: list[str]) -> ModuleType:
    name = real.__name__
    role: Any = SimpleNamespace(
        FORKS_BESIDE_IDLE_THREADS=real.FORKS_BESIDE_IDLE_THREADS,
        settle=lambda: settled.append(name),
    )
    return cast(ModuleType, role)


def test_alone_it_forks_for_every_role_each_settled_once() -> None:
    settled: list[str] = []
    roles = {"device": stand_in(device_role, settled), "build": stand_in(build_role, settled)}
    forks, others = forking_roles(roles, 0, count=lambda: 0)
    assert set(forks) == {"device", "build"} and others == 0
    assert sorted(settled) == sorted([device_role.__name__, build_role.__name__])


def test_beside_an_idle_thread_builds_fork_and_device_workers_start_fresh() -> None:
    settled: list[str] = []
    roles = {"device": stand_in(device_role, settled), "build": stand_in(build_role, settled)}
    forks, others = forking_roles(roles, 1, count=lambda: 1)
    assert set(forks) == {"build"} and others == 1
    assert settled == [build_role.__name__]  # a role it will not fork for is not settled


def test_a_thread_left_by_a_settle_keeps_device_workers_fresh() -> None:
    roles = {"device": stand_in(device_role, []), "build": stand_in(build_role, [])}
    forks, others = forking_roles(roles, 0, count=lambda: 1)
    assert set(forks) == {"build"} and others == 1
