"""`oakd build` as CI runs it: a real command line, no daemon."""

from __future__ import annotations

import json
from pathlib import Path

from oakd.build.model import NO_NODES
from oakd.core.package import read_section
from tests.build.conftest import Built
from tests.build.projects import write_project
from tests.helpers import oakd


def test_build_prints_what_it_built_and_copies_it(built: Built, tmp_path: Path) -> None:
    out = tmp_path / "counter.dap"
    result = oakd(
        "build", str(built.project.path), "--cache-dir", str(built.cache.root), "-o", str(out)
    )
    assert result.returncode == 0, result.stderr
    fingerprint = built.result.fingerprint
    assert f"built counter@{fingerprint[:12]} (unchanged: reused the cached package)" in (
        result.stdout
    )
    assert f"package  {built.cache.path_for(fingerprint)}" in result.stdout
    assert f"hash     {fingerprint}" in result.stdout
    exact = f"{built.result.size:,}".replace(",", " ")
    assert f"({exact} bytes), compressed" in result.stdout
    assert f"copied   to {out}" in result.stdout
    assert read_section(out, "app_name").decode() == built.result.app_name


def test_build_json_is_the_result(built: Built) -> None:
    result = oakd("build", str(built.project.path), "--cache-dir", str(built.cache.root), "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["ok"] is True and data["outcome"] == "unchanged"
    assert data["fingerprint"] == built.result.fingerprint
    assert data["app_name"] == built.result.app_name
    assert data["size"] == built.result.size and data["error"] is None
    assert data["nodes"] == [{"id": 0, "type": "Script", "stream": ""}]


def test_a_failed_build_exits_1_with_the_users_traceback(tmp_path: Path) -> None:
    code = "print('starting')\n\ndef create_pipeline():\n    return 1 / 0\n"
    project = write_project(tmp_path, code)
    result = oakd("build", str(project), "--cache-dir", str(tmp_path / "cache"))
    assert result.returncode == 1
    assert "--- output of pipeline.py ---\nstarting\n" in result.stderr
    assert "return 1 / 0" in result.stderr
    assert (
        "oakd: build failed [exception]: ZeroDivisionError in create_pipeline() "
        "(pipeline.py, line 4): division by zero"
    ) in result.stderr


def test_a_failed_build_in_json_exits_1(tmp_path: Path) -> None:
    result = oakd("build", str(tmp_path / "missing"), "--json")
    assert result.returncode == 1
    error = json.loads(result.stdout)["error"]
    assert error["kind"] == "project_missing"


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    assert oakd("build", str(tmp_path), "--max-size", "huge").returncode == 2
    assert oakd("build").returncode == 2
    both = oakd("build", str(tmp_path), "--check", "-o", str(tmp_path / "x.dap"))
    assert both.returncode == 2 and "--check makes no package" in both.stderr


def test_a_pipeline_with_no_nodes_builds_with_a_warning(tmp_path: Path) -> None:
    code = "import depthai as dai\n\ndef create_pipeline():\n    return dai.Pipeline()\n"
    project = write_project(tmp_path, code, name="empty")
    cache = str(tmp_path / "cache")
    plain = oakd("build", str(project), "--check", "--cache-dir", cache)
    assert plain.returncode == 0, plain.stderr
    assert "nodes    no nodes" in plain.stdout
    assert "oakd: warning: the pipeline has no nodes" in plain.stderr
    scripted = oakd("build", str(project), "--check", "--cache-dir", cache, "--json")
    assert scripted.returncode == 0, scripted.stderr
    assert json.loads(scripted.stdout)["warnings"] == [NO_NODES]
    assert "oakd: warning: the pipeline has no nodes" in scripted.stderr
    # A pipeline with a node has none.
    fine = oakd("build", str(write_project(tmp_path)), "--check", "--cache-dir", cache, "--json")
    assert json.loads(fine.stdout)["warnings"] == []
