"""Real builds: real child processes, real depthai packages, real files."""

from __future__ import annotations

import os
from pathlib import Path

import depthai as dai

from oakd.build import BuildOptions, Outcome, PackageCache, Project, build_project_sync
from oakd.core.package import MAGIC, package_sections, parse_app_name, read_section
from tests.build.conftest import Built
from tests.build.projects import PIPELINE, SCRIPT, cache_files, write_project


def test_a_script_pipeline_builds_into_a_package_with_its_app_name(built: Built) -> None:
    result = built.result
    assert result.outcome is Outcome.NEW and result.package is not None
    assert result.package == built.cache.path_for(result.fingerprint)
    assert result.size == result.package.stat().st_size
    assert result.package.read_bytes()[:2] == MAGIC
    names = [s.name for s in package_sections(result.package)]
    assert names == [
        "__firmware",
        "pipeline",
        "assets",
        "asset_storage",
        "__fw_version",
        "app_name",
    ]
    assert read_section(result.package, "app_name").decode() == result.app_name
    assert parse_app_name(result.app_name) == ("counter", result.fingerprint[:12])
    assert read_section(result.package, "__fw_version").decode() == dai.__device_version__
    assert SCRIPT.encode() in read_section(result.package, "asset_storage")
    assert package_sections(result.package)[0].compressed
    assert [(n.id, n.type) for n in result.nodes] == [(0, "Script")]
    assert result.depthai_version == dai.__version__
    assert result.durations.package_s > 0


def test_a_comment_only_edit_is_unchanged_and_makes_no_package(built: Built) -> None:
    entry = built.project.entry_path
    entry.write_text("# a comment\n\n" + entry.read_text().replace("\n\n", "\n\n\n") + "# end\n")
    (built.project.path / "notes.txt").write_text("not read by the pipeline\n")
    before = cache_files(built.cache.root)
    result = build_project_sync(built.project, BuildOptions(), built.cache)
    assert result.outcome is Outcome.UNCHANGED, result.failure
    assert result.fingerprint == built.result.fingerprint
    assert result.package == built.result.package
    assert result.durations.package_s == 0
    assert cache_files(built.cache.root) == before


def test_the_same_pipeline_elsewhere_has_the_same_fingerprint(built: Built, tmp_path: Path) -> None:
    # Nothing of the project's location reaches the package: a copy elsewhere reuses it.
    copy = Project(write_project(tmp_path / "elsewhere"))
    result = build_project_sync(copy, BuildOptions(), built.cache)
    assert result.outcome is Outcome.UNCHANGED
    assert result.fingerprint == built.result.fingerprint


def test_changing_the_script_source_changes_the_fingerprint(built: Built, tmp_path: Path) -> None:
    options = BuildOptions(fingerprint_only=True)
    changed = Project(write_project(tmp_path, script="node.warn('counter: down')\n"))
    result = build_project_sync(changed, options, built.cache)
    assert result.outcome is Outcome.CHECKED and result.package is None
    assert result.fingerprint != built.result.fingerprint
    assert result.app_name != built.result.app_name


def test_an_asset_and_the_options_are_in_the_fingerprint(built: Built, tmp_path: Path) -> None:
    with_asset = PIPELINE.replace(
        "    return pipeline",
        '    script.getAssetManager().set("config", "config.json")\n    return pipeline',
    )
    check = BuildOptions(fingerprint_only=True)
    prints = set()
    for i, config in enumerate(('{"threshold": 1}', '{"threshold": 2}')):
        project = Project(
            write_project(tmp_path / str(i), with_asset, files={"config.json": config})
        )
        prints.add(build_project_sync(project, check, built.cache).fingerprint)
    prints.add(
        build_project_sync(
            built.project, BuildOptions(compress=False, fingerprint_only=True), built.cache
        ).fingerprint
    )
    renamed = Project(built.project.path, name="other")
    prints.add(build_project_sync(renamed, check, built.cache).fingerprint)
    assert len(prints | {built.result.fingerprint}) == 5


def test_an_uncompressed_build_equals_what_depthai_creates(tmp_path: Path) -> None:
    project = Project(write_project(tmp_path, name="plain"))
    result = build_project_sync(project, BuildOptions(compress=False), PackageCache(tmp_path / "c"))
    assert result.outcome is Outcome.NEW and result.package is not None
    assert not package_sections(result.package)[0].compressed
    pipeline = dai.Pipeline()
    pipeline.create(dai.node.Script).setScript(SCRIPT, "counter")
    expected = dai.DeviceBootloader.createDepthaiApplicationPackage(
        pipeline, compress=False, applicationName=result.app_name
    )
    assert result.package.read_bytes() == bytes(expected)
    assert not any(name.endswith(".tmp") for name in os.listdir(tmp_path / "c"))


def test_a_package_over_the_limit_is_refused_with_both_sizes(built: Built) -> None:
    result = build_project_sync(built.project, BuildOptions(max_size=1024 * 1024), built.cache)
    assert result.outcome is Outcome.FAILED and result.package is None
    assert result.failure is not None and result.failure.kind.value == "too_large"
    assert f"{built.result.size:,}".replace(",", " ") in result.failure.message
    assert "1.00 MiB (1 048 576 bytes)" in result.failure.message


def test_prints_and_a_main_block_do_not_matter(built: Built, tmp_path: Path) -> None:
    # The entry is loaded as a module, not as __main__: its "flash it" block must not run.
    code = PIPELINE + '\nprint("building")\n\nif __name__ == "__main__":\n    raise SystemExit(9)\n'
    project = Project(write_project(tmp_path, code))
    result = build_project_sync(project, BuildOptions(fingerprint_only=True), built.cache)
    assert result.outcome is Outcome.UNCHANGED, result.failure
    assert result.fingerprint == built.result.fingerprint
    assert result.output.text == "building\n"
    assert not (project.path / "__pycache__").exists()


def test_two_writers_of_one_package_at_once_both_get_it(built: Built, tmp_path: Path) -> None:
    # Builds run in PID namespaces of their own, where each is process 2: two concurrent builds
    # of one package (or of one compressed firmware) are two writers with the same pid. Here the
    # second writes and renames before the first has renamed; both must end with the file.
    data = built.result.package.read_bytes() if built.result.package else b""
    cache = PackageCache(tmp_path / "c")
    key = built.result.fingerprint
    inner: list[Path] = []

    def first(path: Path) -> None:
        path.write_bytes(data)
        inner.append(cache.store(key, lambda p: p.write_bytes(data)))

    final = cache.store(key, first)
    assert inner == [final] and final.read_bytes() == data
    assert [p.name for p in (tmp_path / "c").iterdir()] == [final.name]
