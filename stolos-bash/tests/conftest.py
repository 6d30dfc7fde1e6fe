"""Fixtures: a job context for one app, built the way a worker builds it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from stolos.config.model import AppConfig
from stolos.jobtypes import JobContext
from stolos.options import resolve
from stolos_bash import BashJobType
from stolos_bash.plugin import OPTIONS_SCHEMA

TEMPLATE = "{date}_{client_id}"

MakeJob = Callable[..., tuple[BashJobType, JobContext]]


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The worker's current directory, where commands run (and would leave files)."""
    path = tmp_path / "work"
    path.mkdir()
    monkeypatch.chdir(path)
    return path


@pytest.fixture
def make_job(tmp_path: Path, workdir: Path) -> MakeJob:
    """``make_job(bash_cmd, client_id=..., options=...)``: the job type made from resolved
    options and a context for job ``20140601_<client_id>`` of app ``preprocess``."""

    def make(
        bash_cmd: str | None,
        *,
        client_id: str = "876",
        app_name: str = "preprocess",
        options: Mapping[str, Any] | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> tuple[BashJobType, JobContext]:
        raw: dict[str, Any] = {"job_id": TEMPLATE}
        if bash_cmd is not None:
            raw["bash_cmd"] = bash_cmd
        resolved = resolve(OPTIONS_SCHEMA, options, environ)
        job = JobContext(
            app=AppConfig(app_name, raw),
            job_id=f"20140601_{client_id}",
            identifiers={"date": 20140601, "client_id": client_id},
            attempt=1,
            log_path=tmp_path / "logs" / "job.log",
            options=resolved,
            redirect_to_stderr=resolved["redirect_to_stderr"],
        )
        return BashJobType.from_options(resolved), job

    return make
