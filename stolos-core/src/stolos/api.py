"""The original Stolos's module-level API, kept name for name and call shape for call shape.

Code written against the 2015 ``stolos.api`` keeps working::

    from stolos import api
    api.initialize([])                 # options from the STOLOS_* environment only
    list(api.get_parents("app2", "20140601_876_profile"))
    api.maybe_add_subtask("app1", "20140601_876_profile")
    api.check_state("app1", "20140601_876_profile", pending=True)

Every function is a thin facade over one default :class:`~stolos.engine.Stolos`, made by
:func:`initialize` and the only module-global state there is.  New code (and code that
needs two configurations in one process) should construct :class:`~stolos.Stolos`
directly.  Calling anything before :func:`initialize` raises :class:`Uninitialized`.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import networkx as nx

from stolos.config.model import TasksConfig
from stolos.engine import Stolos
from stolos.errors import ConfigInvalid, JobAlreadyQueued, JobNotFound, OptionError, Uninitialized
from stolos.jobid import JobIdTemplate
from stolos.queue import COMPAT, QueueBackend

__all__ = [
    "Uninitialized",
    "build_dag",
    "check_state",
    "create_job_id",
    "get_children",
    "get_job_id_template",
    "get_parents",
    "get_qbclient",
    "get_qsize",
    "get_stolos",
    "get_tasks_config",
    "initialize",
    "maybe_add_subtask",
    "parse_job_id",
    "readd_subtask",
    "topological_sort",
    "visualize_dag",
]

_default: Stolos | None = None


def parse_argv(argv: Sequence[str]) -> dict[str, Any]:
    """Original-style options as overrides: ``--name value``, ``--name=value``, and a bare
    ``--flag`` (true).  Any option name is accepted, since plugins declare their own;
    dashes in names read as underscores.  Other words are left to the program that owns
    them, as the original's ``parse_known_args`` did."""
    overrides: dict[str, Any] = {}
    words = list(argv)
    i = 0
    while i < len(words):
        word = words[i]
        i += 1
        if not word.startswith("--") or word == "--":
            continue
        name, sep, value = word[2:].partition("=")
        if not name:
            raise OptionError(f"malformed option {word!r}")
        key = name.replace("-", "_")
        if sep:
            overrides[key] = value
        elif i < len(words) and not words[i].startswith("--"):
            overrides[key] = words[i]
            i += 1
        else:
            overrides[key] = True
    return overrides


def initialize(argv: Sequence[str] | None = None) -> Stolos:
    """Make the default :class:`Stolos` from ``argv`` (``None``: ``sys.argv[1:]``; ``[]``:
    the ``STOLOS_*`` environment alone), replacing any earlier one; returns it.  The
    environment is read now, so initializing again picks up a changed environment.

    Like the original, this API answers from the configuration as it is: it does not
    refuse one that ``stolos validate`` would reject (``build_dag(validate=True)`` and
    the CLI do), so code written against the original gets the same answers."""
    global _default
    overrides = parse_argv(sys.argv[1:] if argv is None else argv)
    stolos = Stolos(overrides, validate=False)
    if _default is not None:
        _default.close()
    _default = stolos
    return stolos


def get_stolos() -> Stolos:
    """The default :class:`Stolos` that :func:`initialize` made."""
    if _default is None:
        raise Uninitialized("call stolos.api.initialize() first (initialize([]) reads STOLOS_*)")
    return _default


# --- configuration and dependencies ---------------------------------------------------


def get_tasks_config() -> TasksConfig:
    """The configuration: a mapping of app name -> app configuration."""
    return get_stolos().config


def get_job_id_template(app_name: str, template: str | None = None) -> tuple[str, list[str]]:
    """``(template, [identifiers])`` of the app (or of ``template`` when given)."""
    stolos = get_stolos()
    parsed = stolos.app(app_name).template if template is None else JobIdTemplate(template)
    return parsed.template, list(parsed.identifiers)


def parse_job_id(app_name: str, job_id: str, delimiter: str | None = None) -> dict[str, Any]:
    """The job_id's identifiers, validated and typed.  ``delimiter`` is accepted for
    compatibility and unused: templates carry their own separators."""
    return get_stolos().parse_job_id(app_name, job_id)


def create_job_id(app_name: str, **identifiers: Any) -> str:
    """The app's job_id for these identifier values (validated first)."""
    return get_stolos().create_job_id(app_name, **identifiers)


def get_parents(
    app_name: str,
    job_id: str | None,
    include_dependency_group: bool = False,
    filter_deps: Iterable[str] = (),
) -> Iterator[tuple[str, ...]]:
    """Yield ``(parent_app, parent_job_id)`` (plus the group name when asked) for every
    parent job, streaming."""
    for dep in get_stolos().get_parents(app_name, job_id, filter_deps=tuple(filter_deps)):
        if include_dependency_group:
            yield dep.app_name, dep.job_id, dep.group
        else:
            yield dep.app_name, dep.job_id


def get_children(
    app_name: str, job_id: str, include_dependency_group: bool = True
) -> Iterator[tuple[str, ...]]:
    """Yield ``(child_app, child_job_id, group)`` (without the group when asked) for every
    child job, streaming."""
    for dep in get_stolos().get_children(app_name, job_id):
        if include_dependency_group:
            yield dep.app_name, dep.job_id, dep.group
        else:
            yield dep.app_name, dep.job_id


def build_dag(validate: bool = False) -> nx.MultiDiGraph[str]:
    """The app graph: one node per app, one edge per (parent, child, group).  With
    ``validate``, every problem ``stolos validate`` finds raises ``ConfigInvalid``."""
    stolos = get_stolos()
    if validate:
        problems = stolos.check(stolos.config)
        if problems:
            raise ConfigInvalid(problems)
    return stolos.dag.graph


def topological_sort(pairs: Iterable[tuple[Any, ...]]) -> Iterator[tuple[Any, ...]]:
    """The ``(app, job_id, ...)`` tuples grouped by app, apps in dependency order."""
    return get_stolos().dag.topological_sort(pairs)


def visualize_dag(
    path: str | Path = "stolos-dag.dot", dg: nx.MultiDiGraph[str] | None = None
) -> Path:
    """Write the app graph (or ``dg``) as a Graphviz DOT file and return its path.  Unlike
    the original, nothing is rendered, run or opened: ``dot -Tsvg`` the file yourself, or
    use ``stolos graph --format svg``."""
    from stolos.dag.graph import graph_to_dot

    target = Path(path)
    target.write_text(graph_to_dot(build_dag() if dg is None else dg), encoding="utf-8")
    return target


# --- job state ------------------------------------------------------------------------


def get_qbclient() -> QueueBackend:
    """The queue backend object (the original returned the backend module)."""
    return get_stolos().queue


def get_qsize(app_name: str, queued: bool = True, taken: bool = True) -> int:
    """Jobs of the app waiting in its queue (``queued``) and/or held by workers (``taken``)."""
    if not (queued or taken):
        raise AttributeError("get_qsize needs queued=True or taken=True")
    stolos = get_stolos()
    stolos.app(app_name)
    return stolos.queue.queue_size(app_name, queued=queued, taken=taken)


def check_state(
    app_name: str,
    job_id: str | list[str],
    raise_if_not_exists: bool = False,
    pending: bool = False,
    completed: bool = False,
    failed: bool = False,
    skipped: bool = False,
    all: bool = False,  # noqa: A002 - the original's keyword
    _get: bool = False,
) -> Any:
    """Whether the job is in one of the given states, seen through the original's four
    (``queued``, ``running``, ``waiting`` and ``upstream_failed`` read as ``pending``).

    A list of job_ids gives a list of answers.  ``_get=True`` returns the state name
    instead (``None`` for a job never submitted).  A job never submitted is ``False``, or
    :class:`~stolos.errors.JobNotFound` with ``raise_if_not_exists``.  Asking for no state
    raises ``UserWarning``, as the original did.
    """
    wanted = {
        name
        for name, on in (
            ("pending", pending),
            ("completed", completed),
            ("failed", failed),
            ("skipped", skipped),
        )
        if on
    }
    if not (wanted or all or _get):
        raise UserWarning("check_state needs a state: pending, completed, failed, skipped or all")
    stolos = get_stolos()
    stolos.app(app_name)
    job_ids = [job_id] if isinstance(job_id, str) else list(job_id)
    states = stolos.queue.get_states([(app_name, one) for one in job_ids])
    answers: list[Any] = []
    for one in job_ids:
        state = states.get((app_name, one))
        if state is None:
            if raise_if_not_exists:
                raise JobNotFound(f"job {one!r} was never submitted", app=app_name)
            answers.append(None if _get else False)
        elif _get:
            answers.append(COMPAT[state])
        else:
            answers.append(all or COMPAT[state] in wanted)
    return answers[0] if isinstance(job_id, str) else answers


def maybe_add_subtask(
    app_name: str, job_id: str, queue: bool = True, priority: int | None = None
) -> bool:
    """Submit the job if it was never submitted (queued, or only known with
    ``queue=False``; ``skipped`` if it fails ``valid_if_or``).  Returns whether it was
    created; an existing job is never changed."""
    (result,) = get_stolos().scheduler.submit([(app_name, job_id)], priority=priority, queue=queue)
    return bool(result.created)


def readd_subtask(
    app_name: str,
    job_id: str,
    _force: bool = False,
    _reset_descendants: bool = True,
    _ignore_if_queued: bool = False,
) -> bool:
    """Queue a job again from scratch, whatever it finished as (attempts reset), and with
    ``_reset_descendants`` make its finished descendants run again after it.

    A job already queued or running raises :class:`~stolos.errors.JobAlreadyQueued`
    unless ``_ignore_if_queued`` or ``_force`` (then it is left as it is: a job is never
    queued twice, so the original's duplicate queue entry is not made).  Returns True.
    """
    try:
        get_stolos().scheduler.readd(app_name, job_id, reset_descendants=_reset_descendants)
    except JobAlreadyQueued:
        if not (_ignore_if_queued or _force):
            raise
    return True
