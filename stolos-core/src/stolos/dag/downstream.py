"""Children of a job: the routes from a parent app to the child jobs that depend on its
jobs (section 5.5 of the original's behaviour).

A route is one sub-mapping of a child's dependency group that lists the parent app.  A
parent job goes through it when each of its identifiers is known to the child (a child
identifier or a key of the sub-mapping), has a value the sub-mapping allows, and is among
the child's autofill values if the child declares some.  Each child identifier then takes
the sub-mapping's values, else the parent job's value, else the child's autofill values
(which a child must declare for every identifier its parent lacks, as in the original).

Two deliberate differences from the original:

- a sub-mapping with explicit parent ``job_id``\\ s leads from a listed parent job to
  every child job whose parents include it (the original returned only the child with the
  parent's identifiers, bug B9);
- a child identifier ``dependency_group_name`` takes the name of the group (the original
  raised), so that the child's ``parents()``, which keeps only that group, lists the parent.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from stolos.dag.apps import AppInfo
from stolos.dag.subgroups import SubGroup
from stolos.dag.upstream import GROUP_IDENTIFIER, ParentGroup
from stolos.dag.values import Values, lazy_product
from stolos.errors import ConfigError


@dataclass(frozen=True)
class ChildRoute:
    """From jobs of one parent app to jobs of ``child`` through one sub-mapping of
    ``group``.

    ``axes`` has one entry per child identifier: the values to enumerate, or the name of
    the parent identifier whose value passes down.  ``listed`` holds the explicit parent
    job_ids of the sub-mapping, if it has some.  ``problem`` is a misconfiguration that
    surfaces when a parent job passes the route's checks.
    """

    child: AppInfo
    group: ParentGroup
    parent_checks: tuple[tuple[str, Values], ...]
    axes: tuple[Values | str, ...]
    listed: tuple[Any, ...] | None
    problem: ConfigError | None

    def accepts(self, job_id: str, parent_values: Mapping[str, Any]) -> bool:
        """Whether the parent job leads to child jobs through this route."""
        if self.listed is not None:
            if job_id not in self.listed:
                return False
        elif any(parent_values[k] not in allowed for k, allowed in self.parent_checks):
            return False
        if self.problem is not None:
            raise self.problem
        return True

    def job_ids(self, parent_values: Mapping[str, Any]) -> Iterator[str]:
        """The child job_ids of an accepted parent job (lazily)."""
        axes = [
            axis.items if isinstance(axis, Values) else (parent_values[axis],) for axis in self.axes
        ]
        rows = lazy_product(axes)
        if self.listed is not None:  # keep the children whose parents() list this job
            names = self.child.identifiers
            rows = (r for r in rows if self.group.applies_to(dict(zip(names, r, strict=True))))
        return map(self.child.format_row, rows)


def compile_route(
    parent: AppInfo, child: AppInfo, group: ParentGroup, sub: SubGroup
) -> ChildRoute | None:
    """The route through ``sub`` (which lists ``parent``), or ``None`` when no parent job
    can ever pass it."""
    if sub.job_ids is not None:
        return _listed_route(parent, child, group, sub) if group.possible else None
    if any(k not in sub.keys and k not in child.identifier_set for k in parent.identifiers):
        return None
    checks = [(k, sub.restrictions[k]) for k in parent.identifiers if k in sub.restrictions]
    checks += [(k, child.autofill[k]) for k in parent.identifiers if k in child.autofill]
    axes: list[Values | str] = []
    missing = []
    for identifier in child.identifiers:
        if identifier in sub.restrictions:
            axes.append(sub.restrictions[identifier])
        elif identifier == GROUP_IDENTIFIER:
            axes.append(Values((group.name,)))
        elif identifier in parent.identifier_set:
            axes.append(identifier)
        else:
            axes.append(child.autofill.get(identifier, Values(())))
        if (
            identifier not in parent.identifier_set
            and identifier != GROUP_IDENTIFIER
            and identifier not in child.autofill
        ):
            missing.append(identifier)
    problem = None
    if missing:
        problem = ConfigError(
            f"the job_ids of parent app {parent.name!r} lack {', '.join(map(repr, missing))}, "
            f"so {child.name!r} must declare autofill_values for them (an empty list will do "
            f"when {sub.key_path} lists the values)",
            file=child.source,
            app=child.name,
            key="autofill_values",
        )
    return ChildRoute(child, group, tuple(checks), tuple(axes), None, problem)


def _listed_route(parent: AppInfo, child: AppInfo, group: ParentGroup, sub: SubGroup) -> ChildRoute:
    """Explicit parent job_ids: the child jobs to which the whole group applies, each
    child identifier enumerated from the group's lists, else the child's autofill values,
    else the parent job's value."""
    assert sub.job_ids is not None
    axes: list[Values | str] = []
    problem = None
    for identifier in child.identifiers:
        lists = [
            s.restrictions[identifier]
            for s in group.subgroups
            if s.apps and identifier in s.restrictions
        ]
        if identifier == GROUP_IDENTIFIER:
            axes.append(Values((group.name,)))
        elif lists:
            axes.append(_intersection(lists))
        elif identifier in child.autofill:
            axes.append(child.autofill[identifier])
        elif identifier in parent.identifier_set:
            axes.append(identifier)
        else:
            axes.append(Values(()))
            problem = problem or ConfigError(
                f"cannot tell which jobs of {child.name!r} depend on the job_ids that "
                f"{sub.key_path}.job_id lists: identifier {identifier!r} has no values in "
                f"group {group.name!r}, in autofill_values, or in parent app {parent.name!r}",
                file=child.source,
                app=child.name,
                key=f"{sub.key_path}.job_id",
            )
    return ChildRoute(child, group, (), tuple(axes), sub.job_ids, problem)


def _intersection(lists: list[Values]) -> Values:
    if len(lists) == 1:
        return lists[0]
    base = min(lists, key=len)
    others = [values for values in lists if values is not base]
    return Values(tuple(v for v in base if all(v in other for other in others)))
