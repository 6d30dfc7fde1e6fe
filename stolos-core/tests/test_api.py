"""``stolos.api``: the original module-level call shapes over one default Stolos."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import networkx as nx
import pytest

from stolos import Stolos, api
from stolos.errors import ConfigError, JobAlreadyQueued, JobNotFound, UnknownApp
from stolos.queue import QueueBackend

VALIDATIONS = """\
import datetime

def _date(value):
    datetime.datetime.strptime(str(value), "%Y%m%d")
    return int(value)

JOB_ID_VALIDATIONS = {"date": _date, "client_id": int}
"""

TASKS = {
    "app1": {"job_id": "{date}_{client_id}", "job_type": "noop"},
    "app2": {
        "job_id": "{date}_{client_id}",
        "job_type": "noop",
        "depends_on": {"app_name": ["app1"]},
    },
    "summary": {
        "job_id": "{date}",
        "job_type": "noop",
        "depends_on": {"nightly": {"app_name": ["app2"], "client_id": [1, 2]}},
    },
}


@pytest.fixture
def configured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The STOLOS_* environment of a small pipeline, initialized with ``initialize([])``."""
    (tmp_path / "validations.py").write_text(VALIDATIONS)
    (tmp_path / "tasks.json").write_text(json.dumps(TASKS))
    monkeypatch.setenv("STOLOS_TASKS_JSON", str(tmp_path / "tasks.json"))
    monkeypatch.setenv("STOLOS_JOB_ID_VALIDATIONS", str(tmp_path / "validations.py"))
    monkeypatch.setenv("STOLOS_QUEUE_BACKEND", "sqlite")
    monkeypatch.setenv("STOLOS_QB_SQLITE_PATH", str(tmp_path / "stolos.db"))
    api.initialize([])
    return tmp_path


def run_jobs(stolos: Stolos) -> list[tuple[str, str]]:
    """Run every runnable job to success, as a worker would."""
    ran = []
    while (job := stolos.scheduler.claim("test", 60)) is not None:
        ran.append(job.key)
        stolos.scheduler.succeeded(job)
    return ran


def test_calling_before_initialize_raises_uninitialized() -> None:
    code = (
        "from stolos import api\n"
        "try:\n    api.get_tasks_config()\n"
        "except api.Uninitialized as exc:\n    print('Uninitialized:', exc)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.startswith("Uninitialized: call stolos.api.initialize()")


def test_initialize_with_an_empty_list_reads_the_environment(configured: Path) -> None:
    assert sorted(api.get_tasks_config()) == ["app1", "app2", "summary"]
    assert api.get_stolos().config.source.endswith("tasks.json")


def test_initialize_takes_original_style_options(
    configured: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"solo": {"job_id": "{date}_{client_id}", "job_type": "noop"}}))
    monkeypatch.setenv("STOLOS_TASKS_JSON", str(tmp_path / "missing.json"))
    stolos = api.initialize(
        ["--tasks_json", str(other), "--max_retry=7", "--qb_sqlite_path", str(tmp_path / "x.db")]
    )
    assert list(api.get_tasks_config()) == ["solo"]
    assert stolos.options["max_retry"] == 7
    assert api.get_stolos() is stolos


def test_initialize_again_picks_up_a_changed_environment(
    configured: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    second = configured / "second.json"
    second.write_text(json.dumps({"other": {"job_id": "{date}", "job_type": "noop"}}))
    monkeypatch.setenv("STOLOS_TASKS_JSON", str(second))
    assert "app1" in api.get_tasks_config()
    api.initialize([])
    assert list(api.get_tasks_config()) == ["other"]


def test_parse_argv_accepts_any_option_name() -> None:
    assert api.parse_argv(
        ["script-arg", "--qb-redis-host", "h", "--flag", "--x=1", "--redirect_to_stderr"]
    ) == {"qb_redis_host": "h", "flag": True, "x": "1", "redirect_to_stderr": True}


def test_get_parents_and_children_keep_the_original_tuple_shapes(configured: Path) -> None:
    assert list(api.get_parents("app2", "20140601_1")) == [("app1", "20140601_1")]
    assert list(api.get_parents("app2", "20140601_1", include_dependency_group=True)) == [
        ("app1", "20140601_1", "default")
    ]
    assert sorted(api.get_parents("summary", "20140601", filter_deps=["nightly"])) == [
        ("app2", "20140601_1"),
        ("app2", "20140601_2"),
    ]
    assert list(api.get_children("app2", "20140601_2")) == [("summary", "20140601", "nightly")]
    assert list(api.get_children("app1", "20140601_1", include_dependency_group=False)) == [
        ("app2", "20140601_1")
    ]
    with pytest.raises(ConfigError, match="nope"):
        list(api.get_parents("summary", "20140601", filter_deps=["nope"]))


def test_job_id_helpers(configured: Path) -> None:
    assert api.get_job_id_template("app1") == ("{date}_{client_id}", ["date", "client_id"])
    assert api.get_job_id_template("app1", template="{a}-{b}") == ("{a}-{b}", ["a", "b"])
    assert api.parse_job_id("app1", "20140601_3") == {"date": 20140601, "client_id": 3}
    assert api.create_job_id("app1", date="20140601", client_id=3) == "20140601_3"
    with pytest.raises(UnknownApp):
        api.parse_job_id("nope", "20140601_3")


def test_graph_helpers(configured: Path, tmp_path: Path) -> None:
    graph = api.build_dag()
    assert isinstance(graph, nx.MultiDiGraph)
    assert sorted(graph.edges(keys=True)) == [
        ("app1", "app2", "default"),
        ("app2", "summary", "nightly"),
    ]
    pairs = [("summary", "20140601"), ("app2", "20140601_1"), ("app1", "20140601_1")]
    assert [p[0] for p in api.topological_sort(pairs)] == ["app1", "app2", "summary"]
    path = api.visualize_dag(tmp_path / "dag.dot")
    text = path.read_text()
    assert text.startswith("digraph") and '"app2" -> "summary"' in text


def test_submit_and_check_state(configured: Path) -> None:
    assert api.maybe_add_subtask("app1", "20140601_1") is True
    assert api.maybe_add_subtask("app1", "20140601_1") is False
    assert api.maybe_add_subtask("app1", "20140601_2", queue=False) is True
    assert api.check_state("app1", "20140601_1", pending=True) is True
    assert api.check_state("app1", "20140601_1", completed=True) is False
    assert api.check_state("app1", "20140601_1", _get=True) == "pending"
    assert api.check_state("app1", ["20140601_1", "20140601_9"], pending=True) == [True, False]
    assert api.check_state("app1", "20140601_9", all=True) is False
    with pytest.raises(JobNotFound):
        api.check_state("app1", "20140601_9", raise_if_not_exists=True, all=True)
    with pytest.raises(UserWarning):
        api.check_state("app1", "20140601_1")
    assert run_jobs(api.get_stolos()) == [("app1", "20140601_1"), ("app2", "20140601_1")]
    assert api.check_state("app1", "20140601_1", completed=True, failed=True) is True
    assert api.check_state("app1", ["20140601_1", "20140601_2"], _get=True) == [
        "completed",
        "pending",
    ]


def test_readd_subtask(configured: Path) -> None:
    api.maybe_add_subtask("app2", "20140601_1")
    with pytest.raises(JobAlreadyQueued):
        api.readd_subtask("app2", "20140601_1")
    assert api.readd_subtask("app2", "20140601_1", _ignore_if_queued=True) is True
    stolos = api.get_stolos()
    assert run_jobs(stolos) == [("app1", "20140601_1"), ("app2", "20140601_1")]

    api.readd_subtask("app1", "20140601_1")
    assert api.check_state("app1", "20140601_1", _get=True) == "pending"
    assert api.check_state("app2", "20140601_1", _get=True) == "pending"
    assert run_jobs(stolos) == [("app1", "20140601_1"), ("app2", "20140601_1")]

    api.readd_subtask("app1", "20140601_1", _reset_descendants=False)
    assert run_jobs(stolos) == [("app1", "20140601_1")]


def test_queue_size_and_backend(configured: Path) -> None:
    for client in (1, 2, 3):
        api.maybe_add_subtask("app1", f"20140601_{client}")
    job = api.get_stolos().scheduler.claim("test", 60)
    assert job is not None
    assert api.get_qsize("app1") == 3
    assert api.get_qsize("app1", taken=False) == 2
    assert api.get_qsize("app1", queued=False) == 1
    with pytest.raises(AttributeError):
        api.get_qsize("app1", queued=False, taken=False)
    with pytest.raises(UnknownApp):
        api.get_qsize("nope")
    assert isinstance(api.get_qbclient(), QueueBackend)


def test_the_api_answers_from_a_config_validate_rejects_and_build_dag_validate_refuses(
    configured: Path,
) -> None:
    tasks = dict(TASKS)
    # "all" over an identifier the parent lacks: the original's validator rejected it,
    # its resolution dropped the key; the API answers as the original did
    tasks["rollup"] = {
        "job_id": "{date}",
        "job_type": "noop",
        "depends_on": {"app_name": ["summary"], "region": "all"},
    }
    (configured / "tasks.json").write_text(json.dumps(tasks))
    api.initialize([])
    assert list(api.get_parents("rollup", "20140601")) == [("summary", "20140601")]
    assert api.get_stolos().check()  # stolos validate would report it
    with pytest.raises(ConfigError):
        api.build_dag(validate=True)
    assert "rollup" in api.build_dag().nodes
