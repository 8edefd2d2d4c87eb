"""The systemd units: the repository's files, `oakd service install`, systemd-analyze."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from oakd.units import REPO_EXEC, UNITS, render
from tests.helpers import oakd

REPO_UNITS = Path(__file__).parents[2] / "systemd"


@pytest.mark.parametrize("name", sorted(UNITS))
def test_repository_units_are_the_rendered_templates(name: str) -> None:
    # After changing a template, regenerate the files with: uv run python -m oakd.units
    assert (REPO_UNITS / name).read_text() == render(name, REPO_EXEC)


def test_install_writes_units_for_this_installation_and_uninstall_removes_them(
    tmp_path: Path,
) -> None:
    result = oakd("service", "install", "--no-enable", "--unit-dir", str(tmp_path))
    assert result.returncode == 0, result.stderr
    service = (tmp_path / "oakd.service").read_text()
    assert f"ExecStart={sys.executable} -m oakd daemon" in service
    assert "Type=notify" in service and "User=oakd" in service
    assert (tmp_path / "oakd.socket").read_text() == render("oakd.socket", REPO_EXEC)
    assert "wrote" in result.stdout
    result = oakd("service", "uninstall", "--no-enable", "--unit-dir", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert list(tmp_path.iterdir()) == []


def test_user_install_writes_the_user_unit_as_oakd_service(tmp_path: Path) -> None:
    result = oakd("service", "install", "--user", "--no-enable", "--unit-dir", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["oakd.service"]
    text = (tmp_path / "oakd.service").read_text()
    assert "WantedBy=default.target" in text and "User=" not in text


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze missing")
def test_systemd_analyze_verifies_the_installed_units(tmp_path: Path) -> None:
    system, user, runtime = tmp_path / "system", tmp_path / "user", tmp_path / "run"
    runtime.mkdir(mode=0o700)
    oakd("service", "install", "--no-enable", "--unit-dir", str(system))
    oakd("service", "install", "--user", "--no-enable", "--unit-dir", str(user))
    env = {**os.environ, "XDG_RUNTIME_DIR": str(runtime)}
    for args in (
        [str(system / "oakd.service"), str(system / "oakd.socket")],
        ["--user", str(user / "oakd.service")],
    ):
        result = subprocess.run(
            ["systemd-analyze", "verify", "--man=no", *args],
            capture_output=True,
            text=True,
            env=env,
        )
        assert result.returncode == 0, result.stderr
        assert result.stderr == "", result.stderr
