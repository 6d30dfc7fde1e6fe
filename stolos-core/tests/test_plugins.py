"""Plugins are found through real entry points of installed distributions.

Each test writes throwaway distributions (a module plus a ``.dist-info`` folder with
``METADATA`` and ``entry_points.txt``) into a temporary directory and puts it on the
``PYTHONPATH`` of a real ``stolos`` process, exactly as ``pip install`` would.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from stolos.errors import PluginError
from stolos.hookspecs import hookimpl
from stolos.plugins import Descriptor, Kind, PluginManager

PLUGIN_SOURCE = """
from stolos.hookspecs import hookimpl
from stolos.plugins import Descriptor


@hookimpl
def stolos_job_types():
    return [Descriptor({job_type!r}, lambda options: None, "throwaway job type {job_type}",
                       app_schema={{"type": "object"}})]
"""


def add_distribution(site: Path, dist: str, entry_point: str, job_type: str) -> None:
    module = f"{dist}_module"
    (site / f"{module}.py").write_text(PLUGIN_SOURCE.format(job_type=job_type))
    info = site / f"{dist}-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(f"[stolos]\n{entry_point} = {module}\n")


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A directory of throwaway distributions; one, throwaway_stolos_plugin, is there."""
    site = tmp_path / "site"
    site.mkdir()
    add_distribution(site, "throwaway_stolos_plugin", "throwaway", "throwaway")
    return site


def stolos(site: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("STOLOS_")}
    environ.update(PYTHONPATH=str(site), **env)
    return subprocess.run(
        [sys.executable, "-m", "stolos", *args],
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def listed(site: Path, **env: str) -> dict[str, dict[str, Any]]:
    done = stolos(site, "plugins", "--json", **env)
    assert done.returncode == 0, done.stderr
    return {p["name"]: p for p in json.loads(done.stdout)}


def test_a_plugin_is_listed_with_its_distribution_and_version(site: Path) -> None:
    plugins = listed(site, STOLOS_LOAD_PLUGINS="core,json,throwaway")
    assert plugins["throwaway"] == {
        "name": "throwaway",
        "kind": "job_type",
        "distribution": "throwaway_stolos_plugin",
        "version": "0.1",
        "summary": "throwaway job type throwaway",
        "options": [],
    }
    assert plugins["noop"]["distribution"] == "stolos-core"
    assert plugins["json"]["distribution"] == "stolos-config-json"


def test_the_text_table_lists_it_too(site: Path) -> None:
    done = stolos(site, "plugins", STOLOS_LOAD_PLUGINS="core,throwaway")
    assert done.returncode == 0, done.stderr
    assert ["throwaway", "job_type", "throwaway_stolos_plugin", "0.1"] in [
        line.split()[:4] for line in done.stdout.splitlines()
    ]


def test_load_plugins_keeps_only_the_named_entry_points_or_distributions(site: Path) -> None:
    assert sorted(listed(site, STOLOS_LOAD_PLUGINS="core")) == ["noop", "sqlite"]
    only = listed(site, STOLOS_LOAD_PLUGINS="throwaway_stolos_plugin, json")
    assert sorted(only) == ["json", "throwaway"]


def test_disable_plugins_drops_the_named_ones(site: Path) -> None:
    kept = listed(
        site,
        STOLOS_LOAD_PLUGINS="core,json,throwaway",
        STOLOS_DISABLE_PLUGINS="throwaway_stolos_plugin",
    )
    assert sorted(kept) == ["json", "noop", "sqlite"]
    assert "throwaway" not in listed(
        site, STOLOS_LOAD_PLUGINS="core,throwaway", STOLOS_DISABLE_PLUGINS="throwaway"
    )


def test_two_plugins_with_one_name_name_both_distributions(site: Path) -> None:
    add_distribution(site, "twin_a", "twin_a", "twin")
    add_distribution(site, "twin_b", "twin_b", "twin")
    done = stolos(site, "plugins", STOLOS_LOAD_PLUGINS="core,twin_a,twin_b")
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith("error: two job_type plugins are named 'twin': one from ")
    assert "twin_a" in done.stderr and "twin_b" in done.stderr
    assert "STOLOS_DISABLE_PLUGINS" in done.stderr
    assert "twin" in listed(
        site, STOLOS_LOAD_PLUGINS="core,twin_a,twin_b", STOLOS_DISABLE_PLUGINS="twin_b"
    )


def test_a_plugin_that_cannot_be_imported_names_itself(site: Path) -> None:
    info = site / "broken_dist-2.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: broken_dist\nVersion: 2.0\n")
    (info / "entry_points.txt").write_text("[stolos]\nbroken = no_such_module_z\n")
    done = stolos(site, "plugins", STOLOS_LOAD_PLUGINS="core,broken")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "cannot load plugin 'broken' (no_such_module_z) from distribution broken_dist" in (
        done.stderr
    )
    assert listed(site, STOLOS_LOAD_PLUGINS="core,broken", STOLOS_DISABLE_PLUGINS="broken")


# --- descriptors a plugin returns are checked when it is registered -----------------------


class _ReturnsJobTypes:
    def __init__(self, *descriptors: Any) -> None:
        self.descriptors = descriptors

    @hookimpl
    def stolos_job_types(self) -> list[Any]:
        return list(self.descriptors)


def manager_with(plugin: object) -> PluginManager:
    return PluginManager({"STOLOS_LOAD_PLUGINS": "core"}, extra=[(plugin, "mydist")])


def test_an_invalid_app_schema_is_refused() -> None:
    bad = Descriptor("bad", lambda options: None, "bad", app_schema={"type": "no-such-type"})
    with pytest.raises(PluginError) as raised:
        manager_with(_ReturnsJobTypes(bad))
    assert "distribution mydist" in str(raised.value)
    assert "'bad' has an invalid app_schema" in str(raised.value)


def test_something_that_is_not_a_descriptor_is_refused() -> None:
    with pytest.raises(PluginError, match="returned 'bash', not a Descriptor"):
        manager_with(_ReturnsJobTypes("bash"))


def test_an_unknown_name_lists_what_is_installed() -> None:
    good = Descriptor("mine", lambda options: None, "mine")
    manager = manager_with(_ReturnsJobTypes(good))
    assert manager.get(Kind.JOB_TYPE, "mine").distribution == "mydist"
    with pytest.raises(PluginError) as raised:
        manager.get(Kind.JOB_TYPE, "theirs")
    assert str(raised.value) == (
        "no job type named 'theirs' is installed; installed: mine (from mydist), "
        "noop (from stolos-core)"
    )
