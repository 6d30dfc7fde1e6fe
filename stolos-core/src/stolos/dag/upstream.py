"""Parents of a job: which dependency groups apply to a child job_id, and the parent
job_ids each of them names (sections 5.3 and 5.4 of the original's behaviour).

A group applies to a child job_id when every sub-mapping of it is *compatible*:

- structurally: each identifier of each parent app is an identifier of the child, a key
  of the sub-mapping or an autofill identifier of the parent, unless the sub-mapping lists
  explicit parent ``job_id``\\ s;
- by value: a child identifier restricted by a sub-mapping has one of the listed values,
  and a child identifier with autofill values has one of them or a listed one.

Every group that applies contributes its parents (groups act as cases selected by the
child's identifiers; all of the selected ones are required).  A sub-mapping names parent
job_ids in one of three ways: the plain ``{"app_name": [P]}`` passes the child's job_id
down (P's template filled with the child's identifiers); a ``job_id`` list names them
explicitly; otherwise they are the cross product of the listed values, with the child's
own value for each identifier the sub-mapping does not list.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from stolos.dag.apps import AppInfo
from stolos.dag.subgroups import SubGroup
from stolos.dag.values import Values, lazy_product
from stolos.errors import ConfigError, InvalidJobId, StolosError
from stolos.jobid import Validators

# A child identifier that names the dependency group its parents come from.
GROUP_IDENTIFIER = "dependency_group_name"

# One value test of group compatibility: the child's value of ``identifier`` must be in
# ``allowed``, or in ``also_allowed`` when given.
Check = tuple[str, Values, "Values | None"]


@dataclass(frozen=True)
class ParentRule:
    """How one sub-mapping names the jobs of one parent app.

    ``axes`` has one entry per parent identifier: the values the sub-mapping allows, or
    the name of the child identifier whose value passes down.  ``problem`` is a
    misconfiguration that surfaces only when a child job uses this rule (as in the
    original, which met it at that point).
    """

    parent: AppInfo
    subgroup: SubGroup
    axes: tuple[Values | str, ...]
    problem: StolosError | None

    def job_ids(self, child_values: Mapping[str, Any], validators: Validators) -> Iterator[str]:
        """The parent job_ids for a child job with ``child_values`` (lazily)."""
        if self.subgroup.inherits:
            job_id = self.parent.format(child_values)
            self.parent.parse(job_id, validators)  # an inherited job_id must be valid too
            return iter((job_id,))
        if self.subgroup.job_ids is not None:
            return iter(self.subgroup.job_ids)
        axes = [
            axis.items if isinstance(axis, Values) else (child_values[axis],) for axis in self.axes
        ]
        return map(self.parent.format_row, lazy_product(axes))


@dataclass(frozen=True)
class ParentGroup:
    """One dependency group of a child app, compiled: when it applies, and its rules."""

    name: str
    subgroups: tuple[SubGroup, ...]
    possible: bool
    checks: tuple[Check, ...]
    rules: tuple[ParentRule, ...]

    def applies_to(self, child_values: Mapping[str, Any]) -> bool:
        if not self.possible:
            return False
        for identifier, allowed, also_allowed in self.checks:
            value = child_values[identifier]
            if value not in allowed and (also_allowed is None or value not in also_allowed):
                return False
        return True


def compile_parent_group(
    name: str,
    child: AppInfo,
    subgroups: tuple[SubGroup, ...],
    app_info: Callable[[str], AppInfo],
    validators: Validators,
) -> ParentGroup:
    checks: list[Check] = []
    for sub in subgroups:
        if not sub.apps:  # the original tested values only while looping over parents
            continue
        for identifier in child.identifiers:
            if identifier in sub.restrictions:
                checks.append((identifier, sub.restrictions[identifier], None))
            if identifier in child.autofill:
                checks.append(
                    (identifier, child.autofill[identifier], sub.restrictions.get(identifier))
                )
    return ParentGroup(
        name=name,
        subgroups=subgroups,
        possible=all(_possible(sub, child, app_info) for sub in subgroups),
        checks=tuple(checks),
        rules=tuple(
            _compile_rule(sub, app_info(parent), child, validators)
            for sub in subgroups
            for parent in sub.apps
        ),
    )


def _possible(sub: SubGroup, child: AppInfo, app_info: Callable[[str], AppInfo]) -> bool:
    """Whether every identifier of every parent can get a value from somewhere."""
    if "job_id" in sub.keys:
        return True
    for parent in map(app_info, sub.apps):
        for identifier in parent.identifiers:
            if not (
                identifier in child.identifier_set
                or identifier in sub.keys
                or identifier in parent.autofill
            ):
                return False
    return True


def _compile_rule(
    sub: SubGroup, parent: AppInfo, child: AppInfo, validators: Validators
) -> ParentRule:
    problem: StolosError | None = None
    axes: list[Values | str] = []
    if sub.inherits:
        missing = [k for k in parent.identifiers if k not in child.identifier_set]
        if missing:
            problem = _config_error(
                child,
                sub,
                f"parent app {parent.name!r} needs {_names(missing)}, which the job_ids of "
                f"{child.name!r} lack; list the values in the dependency group",
            )
    elif sub.job_ids is not None:
        problem = _invalid_listed_job_id(sub, parent, child, validators)
    else:
        for identifier in parent.identifiers:
            if identifier in sub.restrictions:
                axes.append(sub.restrictions[identifier])
            elif identifier in child.identifier_set and identifier not in sub.keys:
                axes.append(identifier)
            elif problem is None:
                problem = _config_error(
                    child,
                    sub,
                    f"parent app {parent.name!r} needs {identifier!r}, which neither the job_ids "
                    f"of {child.name!r} nor the dependency group provide",
                )
    return ParentRule(parent, sub, tuple(axes), problem)


def _invalid_listed_job_id(
    sub: SubGroup, parent: AppInfo, child: AppInfo, validators: Validators
) -> StolosError | None:
    assert sub.job_ids is not None
    for job_id in sub.job_ids:
        try:
            parent.parse(job_id, validators)
        except InvalidJobId as exc:
            return InvalidJobId(
                f"{sub.key_path}.job_id of {child.name!r} lists {job_id!r}, which is not a "
                f"job_id of parent app {parent.name!r}: {exc.message}",
                file=child.source,
                app=parent.name,
                key=f"{sub.key_path}.job_id",
            )
    return None


def _config_error(child: AppInfo, sub: SubGroup, message: str) -> ConfigError:
    return ConfigError(message, file=child.source, app=child.name, key=sub.key_path)


def _names(identifiers: list[str]) -> str:
    return ", ".join(repr(k) for k in identifiers)
