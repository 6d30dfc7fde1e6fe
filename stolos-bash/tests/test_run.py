"""Running bash commands for real: output, exit codes, quoting, options, environment."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from stolos.errors import JobFailed

HOSTILE = "$(touch pwned); '\" `touch pwned2` \n&& touch pwned3 #"


def log_text(job: Any) -> str:
    return Path(job.log_path).read_text()


def test_output_goes_to_the_log_file(make_job: Any) -> None:
    bash, job = make_job("echo hello from {app_name}")
    bash.run(job)
    assert log_text(job) == "hello from preprocess\n"


def test_nonzero_exit_fails_naming_the_code_and_the_log(make_job: Any) -> None:
    bash, job = make_job("echo about to fail; exit 3")
    with pytest.raises(JobFailed) as info:
        bash.run(job)
    assert "exited with code 3" in str(info.value)
    assert str(job.log_path) in str(info.value)
    assert info.value.app == "preprocess"
    assert log_text(job) == "about to fail\n"


def test_identifiers_and_job_id_are_interpolated(make_job: Any) -> None:
    bash, job = make_job("printf '[%s]\\n' {date} {client_id} {job_id} --id={job_id}")
    bash.run(job)
    assert log_text(job) == "[20140601]\n[876]\n[20140601_876]\n[--id=20140601_876]\n"


def test_hostile_values_reach_the_command_as_literal_text(make_job: Any, workdir: Path) -> None:
    bash, job = make_job(
        "printf '[%s]\\n' {client_id} {job_id} {app_name}", client_id=HOSTILE, app_name="a; b"
    )
    bash.run(job)
    assert log_text(job) == f"[{HOSTILE}]\n[20140601_{HOSTILE}]\n[a; b]\n"
    assert list(workdir.iterdir()) == []


def test_extra_words_are_appended_as_separate_quoted_words(make_job: Any, workdir: Path) -> None:
    bash, job = make_job("printf '[%s]\\n' {date}", options={"bash_cmd": ["a b", "$(touch pwned)"]})
    bash.run(job)
    assert log_text(job) == "[20140601]\n[a b]\n[$(touch pwned)]\n"
    assert list(workdir.iterdir()) == []


def test_extra_words_from_the_environment_are_split_like_a_shell(make_job: Any) -> None:
    bash, job = make_job("printf '[%s]\\n' {date}", environ={"STOLOS_BASH_CMD": "echo 'h i'"})
    bash.run(job)
    assert log_text(job) == "[20140601]\n[echo]\n[h i]\n"


def test_the_command_sees_app_name_and_job_id_in_its_environment(make_job: Any) -> None:
    bash, job = make_job('echo "$STOLOS_APP_NAME" "$STOLOS_JOB_ID"')
    bash.run(job)
    assert log_text(job) == "preprocess 20140601_876\n"


def test_redirect_to_stderr_leaves_output_on_stderr_and_not_in_the_log(
    make_job: Any, capfd: pytest.CaptureFixture[str]
) -> None:
    bash, job = make_job(
        "echo marker-on-stderr; exit 4", environ={"STOLOS_REDIRECT_TO_STDERR": "1"}
    )
    with pytest.raises(JobFailed, match="code 4.*stderr"):
        bash.run(job)
    assert "marker-on-stderr" in capfd.readouterr().err
    assert not Path(job.log_path).exists()


def test_a_bad_template_fails_the_attempt_before_starting_bash(make_job: Any) -> None:
    bash, job = make_job("echo {unknown}")
    with pytest.raises(JobFailed, match=r"\{unknown\}") as info:
        bash.run(job)
    assert info.value.key == "bash_cmd"
    assert not Path(job.log_path).exists()
