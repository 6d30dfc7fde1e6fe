"""Every developer task of the repository: ``nox -l`` lists them, plain ``nox`` runs what CI runs.

Arguments after ``--`` go to the tool, e.g. ``nox -s tests-core -- -x -k parents``.
"""

# Conventions that keep this file short:
# - every ``stolos-<name>/`` directory with a ``pyproject.toml`` is a distribution of the same
#   name with a ``test`` extra and a ``tests/`` directory; plugin distributions get a
#   ``tests-<name>`` session automatically;
# - each test session installs only what it names, non-editable, into a venv of its own,
#   which proves that every distribution installs and works without the others;
# - a session with no test files to run skips instead of failing (pytest's exit code 5);
# - outside CI (``CI`` unset) venvs are reused between runs, and the local distributions are
#   reinstalled every time so that a reused venv never tests stale code.

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterable
from pathlib import Path

import nox

ROOT = Path(__file__).resolve().parent  # nox runs every session from here

nox.options.default_venv_backend = "uv"
nox.options.reuse_venv = "no" if os.environ.get("CI") else "yes"

CORE = "stolos-core"
# Nearly everything needs a configuration backend, so the json one goes into every venv.
BASE = (CORE, "stolos-config-json")
# Plugin distributions that have a session even before their directory exists.
PLANNED_PLUGINS = ("bash", "redis")
# Programs a plugin's tests need on the machine (scripts/test.sh installs them).
SYSTEM_PROGRAMS = {"redis": ("redis-server",)}


def _plugins() -> list[str]:
    """Short names of the plugin distributions: planned ones plus every ``stolos-*/``."""
    found = {
        path.parent.name.removeprefix("stolos-")
        for path in ROOT.glob("stolos-*/pyproject.toml")
        if path.parent.name not in BASE
    }
    return sorted(found.union(PLANNED_PLUGINS))


PLUGINS = _plugins()
CHECKS = [
    "tests-core",
    *(f"tests-{name}" for name in PLUGINS),
    "integration",
    "lint",
    "types",
    "demo",
]
nox.options.sessions = CHECKS


def _has_tests(directory: str) -> bool:
    path = ROOT / directory
    return any(path.rglob("test_*.py")) or any(path.rglob("*_test.py"))


def _install(session: nox.Session, distributions: Iterable[str], *extra: str) -> None:
    """Install local distributions (with their ``test`` extra) and ``extra`` packages."""
    names = list(distributions)
    session.install(
        *(f"./{name}[test]" for name in names),
        *extra,
        *(f"--reinstall-package={name}" for name in names),
    )


def _pytest(session: nox.Session, distributions: Iterable[str], test_dirs: Iterable[str]) -> None:
    """Install ``distributions`` and run pytest once per test directory that has tests."""
    dirs = [d for d in test_dirs if _has_tests(d)]
    if not dirs:
        session.skip(f"no tests yet in {', '.join(test_dirs)}")
    _install(session, distributions)
    for directory in dirs:
        # --durations: the slowest tests, to see where CI time goes.
        session.run("pytest", directory, "--durations=5", *session.posargs)


@nox.session(name="tests-core")
def tests_core(session: nox.Session) -> None:
    """Core and json configuration backend tests, with only those two installed."""
    _pytest(session, BASE, [f"{name}/tests" for name in BASE])


def _plugin_session(plugin: str) -> Callable[[nox.Session], None]:
    distribution = f"stolos-{plugin}"

    def tests_plugin(session: nox.Session) -> None:
        if not (ROOT / distribution).is_dir():
            session.skip(f"{distribution}/ does not exist yet")
        for program in SYSTEM_PROGRAMS.get(plugin, ()):
            if shutil.which(program) is None:
                session.skip(f"{program} is not installed (scripts/test.sh installs it)")
        _pytest(session, [*BASE, distribution], [f"{distribution}/tests"])

    tests_plugin.__doc__ = f"{distribution} tests, with only it, the core and config-json."
    return tests_plugin


for _plugin in PLUGINS:
    nox.session(name=f"tests-{_plugin}")(_plugin_session(_plugin))


def _all_distributions() -> list[str]:
    return [*BASE, *(f"stolos-{name}" for name in PLUGINS if (ROOT / f"stolos-{name}").is_dir())]


@nox.session
def integration(session: nox.Session) -> None:
    """Cross-distribution scenarios (tests-integration/) with every distribution installed."""
    _pytest(session, _all_distributions(), ["tests-integration"])


@nox.session
def lint(session: nox.Session) -> None:
    """ruff lint and format check of the Python files (settings in the root pyproject.toml)."""
    session.install("ruff")
    session.run("ruff", "check", ".", *session.posargs)
    session.run("ruff", "format", "--check", "--exclude", "*.md", ".")


@nox.session
def types(session: nox.Session) -> None:
    """mypy on the core package, strict (settings in the root pyproject.toml)."""
    _install(session, [CORE], "mypy", "types-jsonschema", "types-networkx")
    session.run("mypy", f"{CORE}/src/stolos", *session.posargs)


@nox.session
def bench(session: nox.Session) -> None:
    """Run every benchmarks/*.py script (extra packages from benchmarks/requirements.txt)."""
    scripts = sorted(p for p in ROOT.glob("benchmarks/*.py") if not p.name.startswith("_"))
    if not scripts:
        session.skip("no benchmark scripts yet")
    requirements = ROOT / "benchmarks" / "requirements.txt"
    extra = ["-r", str(requirements.relative_to(ROOT))] if requirements.exists() else []
    _install(session, _all_distributions(), *extra)
    for script in scripts:
        session.run("python", str(script.relative_to(ROOT)), *session.posargs)


@nox.session
def demo(session: nox.Session) -> None:
    """Run the example pipeline end to end on the embedded SQLite backend and check it."""
    _install(session, [*BASE, "stolos-bash"])
    session.run("python", "examples/demo.py", *session.posargs)


@nox.session(name="all", python=False)
def all_checks(session: nox.Session) -> None:
    """Every check CI runs (the same as plain ``nox``)."""
    for name in CHECKS:
        session.notify(name)
