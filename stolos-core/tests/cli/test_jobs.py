"""``stolos submit / status / explain / reset`` and the original ``stolos-submit``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from stolos_cli import PIPELINE, StolosCli

from stolos import Stolos
from stolos.cli import submit_compat
from stolos.errors import InvalidJobId
from stolos.queue import State
from stolos.testing.scenarios import drain

_SUBMIT_SCRIPT = Path(sys.executable).with_name("stolos-submit")
SUBMIT_ARGV = (
    [str(_SUBMIT_SCRIPT)]
    if _SUBMIT_SCRIPT.exists()
    else [sys.executable, "-c", "from stolos.cli.submit_compat import main; main()"]
)


@pytest.fixture
def jobs_cli(stolos_cli: StolosCli) -> StolosCli:
    """The shared example pipeline, with a private SQLite queue."""
    stolos_cli.env["STOLOS_QB_SQLITE_PATH"] = str(stolos_cli.tmp / "stolos.db")
    return stolos_cli


def run_all(cli: StolosCli) -> list[tuple[str, str]]:
    """Run every runnable job to success, as a worker would."""
    stolos = Stolos(environ=cli.env)
    try:
        return drain(stolos)
    finally:
        stolos.close()


def status_json(cli: StolosCli, *args: str) -> dict[str, Any]:
    result = cli.invoke("status", "--json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)  # type: ignore[no-any-return]


def states(cli: StolosCli) -> dict[tuple[str, str], str]:
    return {(j["app"], j["job_id"]): j["state"] for j in status_json(cli)["jobs"]}


# --- submit ---------------------------------------------------------------------------------


def test_submit_queues_and_a_known_job_is_left_unchanged(jobs_cli: StolosCli) -> None:
    first = jobs_cli.invoke("submit", "preprocess", "20140601_1", "20140601_2")
    assert (first.exit_code, first.output) == (
        0,
        "preprocess 20140601_1: queued\npreprocess 20140601_2: queued\n",
    )
    again = jobs_cli.invoke("submit", "preprocess", "20140601_1")
    assert (again.exit_code, again.output) == (
        0,
        "preprocess 20140601_1: already queued, unchanged\n",
    )
    run_all(jobs_cli)
    done = jobs_cli.invoke("submit", "preprocess", "20140601_1")
    assert (done.exit_code, done.output) == (
        0,
        "preprocess 20140601_1: already completed, unchanged\n",
    )


def test_submit_is_all_or_nothing(jobs_cli: StolosCli) -> None:
    result = jobs_cli.invoke("submit", "preprocess", "20140601_1", "20140601_x", "20140601_2")
    assert isinstance(result.exception, InvalidJobId)
    message = str(result.exception)
    assert "app 'preprocess'" in message and "'20140601_x'" in message
    assert "nothing was submitted" in message
    assert status_json(jobs_cli)["jobs"] == []


def test_submit_options(jobs_cli: StolosCli) -> None:
    known = jobs_cli.invoke("submit", "--no-queue", "preprocess", "20140601_1")
    assert known.output == "preprocess 20140601_1: pending (known, not queued)\n"
    jobs_cli.invoke("submit", "--priority", "5", "preprocess", "20140601_2")
    stolos = Stolos(environ=jobs_cli.env)
    record = stolos.queue.get("preprocess", "20140601_2")
    assert record is not None and record.priority == 5
    stolos.close()
    clash = jobs_cli.invoke("submit", "--readd", "--no-queue", "preprocess", "20140601_1")
    assert clash.exit_code == 2 and "--no-queue" in clash.output


def test_submit_reports_a_skipped_job_with_its_reason(jobs_cli: StolosCli) -> None:
    report = {**PIPELINE["report"], "valid_if_or": {"date": [20140601]}}
    jobs_cli.write({**PIPELINE, "report": report})
    result = jobs_cli.invoke("submit", "report", "20140601", "20140602")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0] == "report 20140601: queued"
    assert lines[1].startswith("report 20140602: skipped (") and "20140602" in lines[1]


def test_submit_readd_requeues_a_finished_job(jobs_cli: StolosCli) -> None:
    jobs_cli.invoke("submit", "preprocess", "20140601_1")
    run_all(jobs_cli)
    result = jobs_cli.invoke("submit", "--readd", "preprocess", "20140601_1")
    assert result.output == "preprocess 20140601_1: re-added (was completed), queued\n"


# --- status ---------------------------------------------------------------------------------


def test_status_counts_and_lists_jobs(jobs_cli: StolosCli) -> None:
    jobs_cli.invoke("submit", "preprocess", "20140601_1", "20140601_2")
    jobs_cli.invoke("submit", "--no-queue", "report", "20140602")  # its parents never run
    run_all(jobs_cli)
    data = status_json(jobs_cli)
    assert set(data) == {"counts", "jobs"}
    assert data["counts"]["preprocess"]["completed"] == 2
    assert data["counts"]["modelBuild"]["completed"] == 4  # two targets per client
    assert data["counts"]["report"]["completed"] == 1  # woken by its last parent
    assert data["counts"]["report"]["pending"] == 1
    assert set(data["counts"]["report"]) == {s.value for s in State}
    assert len(data["jobs"]) == 8
    job = next(j for j in data["jobs"] if j["app"] == "preprocess")
    assert set(job) == {
        "app",
        "job_id",
        "state",
        "attempts",
        "last_error",
        "log_path",
        "updated_at",
    }
    assert (job["state"], job["attempts"]) == ("completed", 1)

    table = jobs_cli.invoke("status")
    assert table.exit_code == 0
    assert table.output.splitlines()[0].split() == ["APP", "pending", "completed", "TOTAL"]
    assert table.output.splitlines()[2].split() == ["modelBuild", "0", "4", "4"]

    one = jobs_cli.invoke("status", "preprocess", "20140601_1", "20140601_9")
    rows = [line.split()[:4] for line in one.output.splitlines()[1:]]
    assert rows == [
        ["preprocess", "20140601_1", "completed", "1"],
        ["preprocess", "20140601_9", "never", "submitted"],
    ]
    pending = status_json(jobs_cli, "--state", "pending")
    assert [(j["app"], j["job_id"]) for j in pending["jobs"]] == [("report", "20140602")]
    assert list(status_json(jobs_cli, "preprocess")["counts"]) == ["preprocess"]


def test_status_of_an_unknown_app_is_an_error(jobs_cli: StolosCli) -> None:
    result = jobs_cli.invoke("status", "ghost")
    assert "unknown app 'ghost'" in str(result.exception)


# --- explain --------------------------------------------------------------------------------


def test_explain_says_what_a_job_waits_for(jobs_cli: StolosCli) -> None:
    jobs_cli.invoke("submit", "report", "20140601")
    stolos = Stolos(environ=jobs_cli.env)
    assert stolos.scheduler.claim("w", 60, ["report"]) is None  # bubble up: parks it
    stolos.close()
    text = jobs_cli.invoke("explain", "report", "20140601").output
    assert text.startswith("report 20140601: waiting")
    assert "group clients: 2 parent(s), 0 complete, 2 incomplete" in text
    assert "    preprocess 20140601_1: queued" in text
    assert "group models: 1 parent(s), 0 complete, 1 incomplete" in text
    assert "waiting (attempt 1)" in text
    assert "advice: it waits for 3 incomplete parent job(s)" in text

    run_all(jobs_cli)
    report = json.loads(jobs_cli.invoke("explain", "--json", "report", "20140601").output)
    assert report["state"] == "completed"
    assert [(g["name"], g["complete"], g["incomplete"]) for g in report["groups"]] == [
        ("clients", 2, 0),
        ("models", 1, 0),
    ]
    assert report["history"][-1]["state"] == "completed"
    assert "stolos reset" in report["advice"]


def test_explain_a_job_never_submitted(jobs_cli: StolosCli) -> None:
    text = jobs_cli.invoke("explain", "preprocess", "20140601_1").output
    assert text.startswith("preprocess 20140601_1: never submitted")
    assert "parents: none" in text and "stolos submit" in text


def test_explain_a_queued_job_id_that_does_not_parse(jobs_cli: StolosCli) -> None:
    stolos = Stolos(environ=jobs_cli.env)
    stolos.queue.enqueue("preprocess", "nounderscore")
    stolos.close()
    run_all(jobs_cli)
    report = json.loads(jobs_cli.invoke("explain", "--json", "preprocess", "nounderscore").output)
    assert report["state"] == "failed"
    assert "nounderscore" in report["invalid_job_id"]
    assert report["advice"].startswith("its job_id does not parse")
    never = jobs_cli.invoke("explain", "preprocess", "nounderscore2")
    assert isinstance(never.exception, InvalidJobId)


# --- reset ----------------------------------------------------------------------------------


def test_reset_runs_a_job_and_its_descendants_again(jobs_cli: StolosCli) -> None:
    jobs_cli.invoke("submit", "preprocess", "20140601_1")
    run_all(jobs_cli)
    result = jobs_cli.invoke("reset", "preprocess", "20140601_1")
    assert (result.exit_code, result.output) == (
        0,
        "preprocess 20140601_1: re-added (was completed), queued\n",
    )
    assert states(jobs_cli)[("modelBuild", "20140601_1_a")] == "pending"
    again = jobs_cli.invoke("reset", "preprocess", "20140601_1")
    assert (again.exit_code, again.output) == (
        0,
        "preprocess 20140601_1: already queued, unchanged\n",
    )
    assert sorted(run_all(jobs_cli)) == [
        ("modelBuild", "20140601_1_a"),
        ("modelBuild", "20140601_1_b"),
        ("preprocess", "20140601_1"),
    ]


def test_reset_without_descendants(jobs_cli: StolosCli) -> None:
    jobs_cli.invoke("submit", "preprocess", "20140601_1")
    run_all(jobs_cli)
    jobs_cli.invoke("reset", "--no-descendants", "preprocess", "20140601_1")
    assert states(jobs_cli)[("modelBuild", "20140601_1_a")] == "completed"
    assert run_all(jobs_cli) == [("preprocess", "20140601_1")]


# --- stolos-submit --------------------------------------------------------------------------


def test_expand_multi_value_options() -> None:
    assert submit_compat.expand_multi_value_options(
        ["-a", "A", "B", "--readd", "-j", "X", "Y", "--app_name", "C"]
    ) == ["-a", "A", "-a", "B", "--readd", "-j", "X", "-j", "Y", "--app_name", "C"]


def test_stolos_submit_takes_apps_and_job_ids_from_the_environment(jobs_cli: StolosCli) -> None:
    env = {
        **jobs_cli.env,
        "STOLOS_APP_NAME": "preprocess",
        "STOLOS_JOB_ID": "20140601_1 20140601_2",
    }
    result = CliRunner().invoke(submit_compat.command, [], env=env)
    assert result.exit_code == 0, result.output
    assert sorted(states(jobs_cli)) == [("preprocess", "20140601_1"), ("preprocess", "20140601_2")]


# --- real processes -------------------------------------------------------------------------


def run_submit(cli: StolosCli, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*SUBMIT_ARGV, *args],
        env={**os.environ, **cli.env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_a_bad_job_id_exits_1_with_one_message_and_submits_nothing(jobs_cli: StolosCli) -> None:
    done = jobs_cli.run("submit", "preprocess", "20140601_1", "nounderscore")
    assert done.returncode == 1
    assert done.stderr.startswith(f"error: {jobs_cli.tasks}: app 'preprocess': ")
    assert "'nounderscore'" in done.stderr and "Traceback" not in done.stderr
    assert done.stdout == ""
    assert status_json(jobs_cli)["jobs"] == []


def test_stolos_submit_the_original_way(jobs_cli: StolosCli) -> None:
    done = run_submit(jobs_cli, "-a", "preprocess", "-j", "20140601_1", "20140601_2")
    assert (done.returncode, done.stdout) == (
        0,
        "preprocess 20140601_1: queued\npreprocess 20140601_2: queued\n",
    )
    bad = run_submit(jobs_cli, "-a", "preprocess", "modelBuild", "-j", "20140601_3")
    assert bad.returncode == 1
    assert "app 'modelBuild'" in bad.stderr and "Traceback" not in bad.stderr
    assert sorted(states(jobs_cli)) == [("preprocess", "20140601_1"), ("preprocess", "20140601_2")]
    helped = run_submit(jobs_cli, "-h")
    assert helped.returncode == 0 and "-a, --app_name" in helped.stdout
