"""The installed distribution registers the ``bash`` job type through its entry point."""

from __future__ import annotations

from stolos.options import resolve
from stolos.plugins import Kind, PluginManager
from stolos_bash import BashJobType


def test_the_bash_job_type_is_listed_with_its_distribution_and_options() -> None:
    descriptor = PluginManager().get(Kind.JOB_TYPE, "bash")
    assert descriptor.distribution == "stolos-bash"
    assert descriptor.summary == "Runs the app's bash_cmd with every value shell-quoted"
    assert descriptor.to_dict()["options"] == ["bash_cmd", "redirect_to_stderr"]


def test_the_factory_builds_the_job_type_from_resolved_options() -> None:
    descriptor = PluginManager().get(Kind.JOB_TYPE, "bash")
    options = resolve(descriptor.options_schema, environ={"STOLOS_BASH_CMD": "echo hi"})
    assert descriptor.factory(options) == BashJobType(("echo", "hi"))
    assert descriptor.factory(resolve(descriptor.options_schema)) == BashJobType()
