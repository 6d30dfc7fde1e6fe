"""The redis configuration backend and ``stolos config push/pull``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from stolos.cli.main import cli, run_guarded
from stolos.engine import Stolos
from stolos.errors import ConfigError, ConfigSyntaxError
from stolos.plugins import Kind
from stolos_redis.cli import config as config_command
from stolos_redis.config_source import RedisConfigSource
from stolos_redis.testing import RedisServer, unique_prefix

APPS: dict[str, Any] = {
    "extract": {"job_id": "{date}_{client_id}", "job_type": "noop"},
    "load": {
        "job_id": "{date}_{client_id}",
        "job_type": "noop",
        "depends_on": {"app_name": ["extract"]},
        "note": "__import__('os').system('touch EVALUATED')",
    },
}
BROKEN: dict[str, Any] = {
    "extract": {"job_id": "{date}_{client_id}", "job_type": "noop"},
    "load": {"job_id": "{date}", "job_type": "noop", "depends_on": {"app_name": ["missing"]}},
    "report": {"job_id": 42, "job_type": "noop"},
}


@pytest.fixture
def environ(redis_server: RedisServer) -> dict[str, str]:
    """Options of the redis configuration backend, under a key prefix of this test's own."""
    return {
        "STOLOS_REDIS_HOST": redis_server.host,
        "STOLOS_REDIS_PORT": str(redis_server.port),
        "STOLOS_REDIS_DB": "6",
        "STOLOS_REDIS_KEY_PREFIX": unique_prefix(),
    }


@pytest.fixture
def source(environ: dict[str, str]) -> Iterator[RedisConfigSource]:
    """The configuration source the core makes from those options."""
    made = Stolos(environ=environ).make_plugin(Kind.CONFIG_BACKEND, "redis")
    assert isinstance(made, RedisConfigSource)
    yield made
    made.close()


@pytest.fixture
def stolos_command(
    monkeypatch: pytest.MonkeyPatch, environ: dict[str, str], tmp_path: Path
) -> Iterator[Any]:
    """Run ``stolos ...`` in-process, as its entry point does; returns the exit code."""
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)
    cli.add_command(config_command)

    def run(*args: str) -> int:
        with pytest.raises(SystemExit) as ended:
            run_guarded(cli, list(args), prog="stolos")
            raise SystemExit(0)
        return int(ended.value.code or 0)

    yield run
    cli.commands.pop("config")


def write(path: Path, apps: dict[str, Any]) -> Path:
    path.write_text(json.dumps(apps))
    return path


def test_push_then_pull_round_trips_the_configuration(
    stolos_command: Any,
    source: RedisConfigSource,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert source.version() == 0
    assert stolos_command("config", "push", str(write(tmp_path / "tasks.json", APPS))) == 0
    assert "pushed 2 apps" in capsys.readouterr().out
    assert source.version() == 1
    assert stolos_command("config", "pull") == 0
    assert json.loads(capsys.readouterr().out) == APPS
    assert stolos_command("config", "pull", "-o", str(tmp_path / "pulled.json")) == 0
    assert json.loads((tmp_path / "pulled.json").read_text()) == APPS
    assert not (tmp_path / "EVALUATED").exists()


def test_workers_read_the_pushed_configuration(
    stolos_command: Any, environ: dict[str, str], tmp_path: Path
) -> None:
    assert stolos_command("config", "push", str(write(tmp_path / "tasks.json", APPS))) == 0
    stolos = Stolos(environ={"STOLOS_CONFIGURATION_BACKEND": "redis", **environ})
    assert sorted(stolos.config) == ["extract", "load"]
    assert [p.app_name for p in stolos.get_parents("load", "20140601_1")] == ["extract"]


def test_an_invalid_file_is_refused_with_every_problem_and_nothing_changes(
    stolos_command: Any,
    source: RedisConfigSource,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert stolos_command("config", "push", str(write(tmp_path / "good.json", APPS))) == 0
    capsys.readouterr()
    bad = write(tmp_path / "bad.json", BROKEN)
    assert stolos_command("config", "push", str(bad)) == 1
    err = capsys.readouterr().err
    assert "missing" in err and "'report'" in err and str(bad) in err
    assert "Traceback" not in err
    assert (source.version(), source.load().apps) == (1, APPS)


def test_a_file_that_is_not_json_is_refused_with_its_line(
    stolos_command: Any,
    source: RedisConfigSource,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{\n  "a": {,}\n}')
    assert stolos_command("config", "push", str(bad)) == 1
    assert f"{bad}: line 2" in capsys.readouterr().err
    assert source.version() == 0


def test_pull_without_a_pushed_configuration_says_how_to_push(
    stolos_command: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    assert stolos_command("config", "pull") == 1
    assert "stolos config push" in capsys.readouterr().err


def test_stored_content_is_parsed_as_json_never_evaluated(
    source: RedisConfigSource, redis_server: RedisServer, tmp_path: Path
) -> None:
    marker = tmp_path / "EVALUATED"
    literal = f"{{'a': __import__('pathlib').Path({str(marker)!r}).touch()}}"
    client = redis_server.client(6)
    try:
        client.hset(source.key, mapping={"json": literal, "version": 1})
    finally:
        client.close()
    with pytest.raises(ConfigSyntaxError) as caught:
        source.load()
    assert source.key in str(caught.value)
    assert not marker.exists()


def test_push_replaces_the_whole_configuration(source: RedisConfigSource) -> None:
    assert source.push(APPS, source="first.json") == 1
    assert source.push({"only": {"job_id": "{date}"}}, source="second.json") == 2
    assert source.load().apps == {"only": {"job_id": "{date}"}}
    assert source.version() == 2


def test_a_missing_configuration_is_a_located_error(source: RedisConfigSource) -> None:
    with pytest.raises(ConfigError) as caught:
        source.load()
    assert caught.value.file == source.location


def test_the_stolos_command_offers_config_push(
    environ: dict[str, str], source: RedisConfigSource, tmp_path: Path
) -> None:
    """The real entry point adds the command through the stolos_cli_commands hook."""
    tasks = write(tmp_path / "tasks.json", APPS)
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "from stolos.cli.main import main; main()",
            "config",
            "push",
            str(tasks),
        ],
        env={**os.environ, **environ},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert source.load().apps == APPS
