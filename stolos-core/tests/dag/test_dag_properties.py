"""Properties over random inputs: job_id templates round-trip, and parents and children
answer the same question from both ends."""

from __future__ import annotations

import itertools
from typing import Any

from dag_testing import make_resolver, triples
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from stolos.errors import InvalidJobId
from stolos.jobid import JobIdTemplate

# --- job_id templates -------------------------------------------------------------------

LITERALS = ["_", "-", "/", "__", "::", "_at_", "."]
NAMES = ["date", "client_id", "collection_name", "target", "region"]


@st.composite
def templates(draw: st.DrawFn) -> tuple[str, list[str]]:
    """A template and the literal texts it uses."""
    names = draw(st.lists(st.sampled_from(NAMES), min_size=1, max_size=4, unique=True))
    separators = draw(
        st.lists(st.sampled_from(LITERALS), min_size=len(names) + 1, max_size=len(names) + 1)
    )
    prefix = draw(st.sampled_from(["", "job-", "x"]))
    suffix = draw(st.sampled_from(["", ".v1", "!"]))
    body = "".join(f"{{{name}}}" + sep for name, sep in zip(names, separators[1:], strict=True))
    template = prefix + body[: -len(separators[-1])] + suffix
    return template, [prefix, suffix, *separators[1:-1]]


@given(data=st.data(), spec=templates())
def test_format_then_parse_gives_the_values_back(
    data: st.DataObject, spec: tuple[str, list[str]]
) -> None:
    text, literals = spec
    template = JobIdTemplate(text)
    alphabet = "".join(
        c
        for c in "abcdefghijklmnopqrstuvwxyz0123456789_-/.:!"
        if not any(c in lit for lit in literals)
    )
    values = {
        name: data.draw(st.text(alphabet=alphabet, min_size=1, max_size=6), label=name)
        for name in template.identifiers
    }
    job_id = template.format(values)
    assert template.parse(job_id) == values


@given(spec=templates(), job_id=st.text(alphabet="ab1_-/.:!x", max_size=20))
def test_parse_then_format_gives_the_job_id_back(spec: tuple[str, list[str]], job_id: str) -> None:
    template = JobIdTemplate(spec[0])
    try:
        values = template.parse(job_id)
    except InvalidJobId:
        return
    assert template.format(values) == job_id


# --- symmetry of parents and children -----------------------------------------------------

POOLS: dict[str, list[Any]] = {
    "date": [20140601, 20140602],
    "client_id": [1, 2, 3],
    "testID": ["t1", "t2"],
    "x": ["a", "b"],
}


def sublist(draw: st.DrawFn, values: list[Any]) -> list[Any]:
    return draw(st.lists(st.sampled_from(values), min_size=1, max_size=len(values), unique=True))


def identifiers_of(app: dict[str, Any]) -> tuple[str, ...]:
    return JobIdTemplate(app["job_id"]).identifiers


@st.composite
def configurations(draw: st.DrawFn) -> dict[str, Any]:
    """Configurations the original's validator accepts (AND lists agree on the child's
    identifiers, "all" only over parents with autofill values), whose child apps declare
    autofill values for every identifier (so they are enumerable and have children), and
    whose listed values of a child identifier stay within the child's autofill values."""
    apps: dict[str, Any] = {}
    for i in range(draw(st.integers(2, 4))):
        ids = draw(st.lists(st.sampled_from(list(POOLS)), min_size=1, max_size=3, unique=True))
        app: dict[str, Any] = {
            "job_id": draw(st.sampled_from(["_", "-"])).join(f"{{{k}}}" for k in ids)
        }
        parents = list(apps)
        is_child = bool(parents) and draw(st.booleans())
        autofill = {k: sublist(draw, POOLS[k]) for k in ids if is_child or draw(st.booleans())}
        if autofill:
            app["autofill_values"] = autofill
        if is_child:
            groups = {
                f"g{n}": group(draw, apps, parents, ids, autofill)
                for n in range(draw(st.integers(1, 2)))
            }
            unnamed = len(groups) == 1 and isinstance(groups["g0"], dict) and draw(st.booleans())
            app["depends_on"] = groups["g0"] if unnamed else groups
        apps[f"a{i}"] = app
    return apps


def group(
    draw: st.DrawFn,
    apps: dict[str, Any],
    parents: list[str],
    child_ids: list[str],
    child_autofill: dict[str, list[Any]],
) -> Any:
    shared = {k: sublist(draw, child_autofill[k]) for k in child_ids if draw(st.booleans())}
    subs = [sub(draw, apps, parents, child_ids, shared) for _ in range(draw(st.integers(1, 3)))]
    return subs[0] if len(subs) == 1 and draw(st.booleans()) else subs


def sub(
    draw: st.DrawFn,
    apps: dict[str, Any],
    parents: list[str],
    child_ids: list[str],
    shared: dict[str, list[Any]],
) -> dict[str, Any]:
    names = draw(st.lists(st.sampled_from(parents), min_size=1, max_size=2, unique=True))
    out: dict[str, Any] = {"app_name": names, **shared}
    if len(names) == 1 and draw(st.integers(0, 5)) == 0:
        template = JobIdTemplate(apps[names[0]]["job_id"])
        values = {k: draw(st.sampled_from(POOLS[k])) for k in template.identifiers}
        out["job_id"] = [template.format(values)]
        return out
    for k in sorted({k for n in names for k in identifiers_of(apps[n])} - set(child_ids)):
        everyone_has_autofill = all(k in apps[n].get("autofill_values", {}) for n in names)
        out[k] = "all" if everyone_has_autofill and draw(st.booleans()) else sublist(draw, POOLS[k])
    return out


def all_job_ids(app: dict[str, Any]) -> list[str]:
    template = JobIdTemplate(app["job_id"])
    return [
        template.format(dict(zip(template.identifiers, row, strict=True)))
        for row in itertools.product(*(POOLS[k] for k in template.identifiers))
    ]


@settings(max_examples=150, deadline=None)
@given(raw=configurations())
def test_every_child_lists_its_parent(raw: dict[str, Any]) -> None:
    r = make_resolver(raw)
    for app_name, app in raw.items():
        for job_id in all_job_ids(app):
            for child in r.children(app_name, job_id):
                assert (app_name, job_id, child.group) in triples(
                    r.parents(child.app_name, child.job_id)
                )


@settings(max_examples=150, deadline=None)
@given(raw=configurations())
def test_every_parent_lists_its_child(raw: dict[str, Any]) -> None:
    r = make_resolver(raw)
    children_found = 0
    for app_name, app in raw.items():
        if "depends_on" not in app:
            continue
        for job_id in r.enumerate_job_ids(app_name):
            for parent in r.parents(app_name, job_id):
                children_found += 1
                assert (app_name, job_id, parent.group) in triples(
                    r.children(parent.app_name, parent.job_id)
                )
    assume(children_found)
