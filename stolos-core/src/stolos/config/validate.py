"""Validation of a whole configuration: every problem, in one pass.

:func:`validate_config` checks each app against :data:`~stolos.config.schema.APP_SCHEMA`
and its job type's ``app_schema``, then the rules that need the whole configuration
(the original's ``build_dag(validate=True)`` rules, which it never ran at run time):
parents exist, the app graph has no cycle, identifiers agree with the job_id templates,
configured values are exactly what the job_id validators produce, ``"all"`` has parent
autofill values, the sub-mappings of an AND group agree, ``valid_if_or._func`` imports,
the job type is installed.  Each problem is a located
:class:`~stolos.errors.ConfigError` (file, app, key path such as
``depends_on.depgrp1[0].date``); nothing stops at the first one.
"""

from __future__ import annotations

import importlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import jsonschema
import networkx as nx
from jsonschema.exceptions import ValidationError, best_match

from stolos.config.model import DEFAULT_JOB_TYPE, AppConfig, TasksConfig
from stolos.config.schema import APP_SCHEMA, RANGE_PATTERN
from stolos.dag.graph import build_app_graph
from stolos.dag.groups import iter_groups, parent_apps
from stolos.dag.upstream import GROUP_IDENTIFIER
from stolos.errors import (
    ConfigError,
    InvalidJobId,
    JobTypeConfigError,
    StolosError,
    UnknownApp,
    UnknownJobType,
    UnknownPlugin,
)
from stolos.jobid import JobIdTemplate, Validators
from stolos.plugins import Kind

if TYPE_CHECKING:
    from stolos.engine import Stolos

# Keys of a dependency sub-mapping that are not identifiers.
GROUP_META_KEYS = ("app_name", "job_id")

_APP_VALIDATOR = jsonschema.Draft202012Validator(APP_SCHEMA)


def validate_config(config: TasksConfig, stolos: Stolos) -> list[StolosError]:
    """Every problem of ``config`` (empty when it is valid), grouped by app in config order.

    ``stolos`` provides the job_id validators, the dependency group default name and the
    installed job types.  An app whose ``job_type`` is not installed is reported as
    :class:`~stolos.errors.JobTypeConfigError` (job type missing or its keys wrong), which
    query-only uses may ignore.
    """
    return _Validation(config, stolos).run()


def key_path(parts: Iterable[str | int]) -> str:
    """``["depends_on", "g", 0, "date"]`` -> ``"depends_on.g[0].date"``."""
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _json(value: Any) -> str:
    return json.dumps(value, default=str)


def _a_type(value: Any) -> str:
    name = {str: "string", int: "int", float: "float", bool: "boolean"}.get(
        type(value), type(value).__name__
    )
    return f"an {name}" if name[0] in "aeiou" else f"a {name}"


def _import_problem(path: str) -> str | None:
    """Why ``module.function`` cannot be imported and called, or ``None`` when it can."""
    module_name, _, attr = path.rpartition(".")
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:  # any failure of user code at import time is a config problem
        return f"cannot import module {module_name!r} of {path!r}: {type(exc).__name__}: {exc}"
    if not callable(getattr(module, attr, None)):
        return f"module {module_name!r} has no function {attr!r}"
    return None


def _error_path(error: ValidationError) -> list[str | int]:
    """Where the error is; a missing required key is located at that key."""
    path = list(error.absolute_path)
    required = error.validator_value if error.validator == "required" else []
    if isinstance(required, list) and isinstance(error.instance, Mapping):
        missing = [k for k in required if k not in error.instance]
        path += [k for k in missing if repr(k) in error.message][:1]
    return path


def _schema_message(error: ValidationError) -> str:
    """jsonschema's message, except a pattern, which is explained by its description."""
    schema = error.schema
    if error.validator == "pattern" and isinstance(schema, Mapping) and "description" in schema:
        return f"{error.instance!r} is not {schema['description']}"
    return error.message


class _Validation:
    """One validation run: the configuration, what it needs from Stolos, the problems."""

    def __init__(self, config: TasksConfig, stolos: Stolos) -> None:
        self.config = config
        self.stolos = stolos
        self.default_group: str = stolos.options["dependency_group_default_name"]
        self.problems: list[StolosError] = []
        self.validators = self._load_validators()
        self.templates: dict[str, JobIdTemplate | None] = {}

    def add(
        self, message: str, app: str | None, key: str, kind: type[ConfigError] = ConfigError
    ) -> None:
        self.problems.append(kind(message, file=self.config.source, app=app, key=key or None))

    def run(self) -> list[StolosError]:
        apps: list[AppConfig] = []
        for name, app in self.config.items():
            raw = self.config.raw[name]
            if isinstance(raw, Mapping):
                apps.append(app)
            else:
                self.add(f"an app must be a mapping of keys, not {_a_type(raw)}", name, "")
        for app in apps:
            self.templates[app.name] = self._compile_template(app)
        for app in apps:
            self._check_schema(app, _APP_VALIDATOR, "")
            if "job_id_template" in app.raw:
                self.add(
                    "unknown key job_id_template; did you mean job_id?", app.name, "job_id_template"
                )
            self._check_autofill_values(app)
            self._check_valid_if_or(app)
            self._check_depends_on(app)
            self._check_job_type(app)
        self._check_cycles()
        order = {name: i for i, name in enumerate(self.config)}
        self.problems.sort(key=lambda p: order.get(p.app, -1) if p.app is not None else -1)
        return self.problems

    # --- whole-configuration prerequisites ----------------------------------------------

    def _load_validators(self) -> Validators:
        try:
            return self.stolos.validators
        except ConfigError as exc:
            self.problems.append(exc)
            return Validators()

    def _compile_template(self, app: AppConfig) -> JobIdTemplate | None:
        if "job_id" in app.raw and not isinstance(app.raw["job_id"], str):
            return None  # the schema reports the type
        try:
            return app.template
        except ConfigError as exc:
            self.add(exc.message, app.name, exc.key or "job_id", type(exc))
            return None

    def _check_schema(
        self,
        app: AppConfig,
        validator: jsonschema.protocols.Validator,
        prefix: str,
        kind: type[ConfigError] = ConfigError,
    ) -> bool:
        """Report each schema violation at its key path; ``True`` when there was none."""
        valid = True
        for error in validator.iter_errors(app.raw):
            error = best_match([error]) or error
            self.add(prefix + _schema_message(error), app.name, key_path(_error_path(error)), kind)
            valid = False
        return valid

    # --- per-app keys -------------------------------------------------------------------

    def _from_job_id(self, identifier: str, value: Any) -> Any:
        """What a job_id that carries ``value`` gives for ``identifier`` once parsed and
        validated (parsing yields text; an identifier without a validator stays text)."""
        return self.validators.validate(identifier, str(value))

    def _mismatch(self, identifier: str, value: Any, typed: Any) -> str:
        if identifier not in self.validators:
            return (
                f"value {value!r} is {_a_type(value)} but {identifier} has no validator, so "
                f"job_ids give it as the string {typed!r}; write {_json(typed)} or add a "
                f"{identifier} validator"
            )
        if type(typed) is not type(value):
            return (
                f"value {value!r} is {_a_type(value)} but the {identifier} validator gives "
                f"{typed!r} ({_a_type(typed)}); write {_json(typed)}"
            )
        return (
            f"value {value!r} is not what the {identifier} validator gives ({typed!r}); "
            f"write {_json(typed)}"
        )

    def _check_value(
        self, app: str, key: str, identifier: str, value: Any, *, validated: bool = False
    ) -> None:
        """A configured identifier value must be exactly what a job_id carrying it gives,
        since parsed and validated job_ids are compared with it.  With ``validated``
        (``valid_if_or``), the value is itself validated before the comparison, so it
        must validate, and to that."""
        if isinstance(value, (list, dict)) or value is None:
            return  # the schema reports the type
        try:
            expected = self.validators.validate(identifier, value) if validated else value
            typed = self._from_job_id(identifier, value)
        except InvalidJobId as exc:
            self.add(
                f"value {value!r} is rejected by the {identifier} validator: {exc.message}",
                app,
                key,
            )
            return
        if typed != expected:
            self.add(self._mismatch(identifier, expected, typed), app, key)

    def _check_range(self, app: str, key: str, identifier: str, text: str) -> None:
        """A range gives ints: job_ids must give the identifier as an int too."""
        start = int(text.split(":")[0])
        try:
            typed = self._from_job_id(identifier, start)
        except InvalidJobId as exc:
            self.add(
                f"range {text!r}: {start} is rejected by the {identifier} validator: {exc.message}",
                app,
                key,
            )
            return
        if typed != start:
            fix = (
                f"{identifier} has no validator, so job_ids give it as a string; add a "
                f"{identifier} validator that returns ints"
                if identifier not in self.validators
                else f"the {identifier} validator gives {typed!r} for {str(start)!r}; "
                "list the values instead"
            )
            self.add(f"the range {text!r} gives ints, but {fix}", app, key)

    def _check_autofill_values(self, app: AppConfig) -> None:
        template = self.templates[app.name]
        for identifier, values in app.autofill_values.items():
            key = f"autofill_values.{identifier}"
            if template is not None and identifier not in template.identifiers:
                self.add(
                    f"{identifier!r} is not an identifier of the job_id template "
                    f"{template.template!r}; autofill_values keys must be among "
                    f"{', '.join(template.identifiers) or 'none'}",
                    app.name,
                    key,
                )
            elif isinstance(values, list):
                for value in values:
                    self._check_value(app.name, key, identifier, value)
            elif isinstance(values, str) and re.fullmatch(RANGE_PATTERN, values):
                self._check_range(app.name, key, identifier, values)

    def _check_valid_if_or(self, app: AppConfig) -> None:
        template = self.templates[app.name]
        for identifier, values in (app.valid_if_or or {}).items():
            key = f"valid_if_or.{identifier}"
            if identifier == "_func":
                if isinstance(values, str) and "." in values:
                    problem = _import_problem(values)
                    if problem:
                        self.add(problem, app.name, key)
            elif template is not None and identifier not in template.identifiers:
                self.add(
                    f"{identifier!r} is not an identifier of the job_id template "
                    f"{template.template!r}",
                    app.name,
                    key,
                )
            elif isinstance(values, list):
                for value in values:
                    self._check_value(app.name, key, identifier, value, validated=True)

    def _check_job_type(self, app: AppConfig) -> None:
        name = app.raw.get("job_type", DEFAULT_JOB_TYPE)
        if not isinstance(name, str):
            return  # the schema reports the type
        try:
            descriptor = self.stolos.plugins.get(Kind.JOB_TYPE, name)
        except UnknownPlugin as exc:
            self.add(exc.message, app.name, "job_type", UnknownJobType)
            return
        if descriptor.app_schema is not None:
            validator = jsonschema.Draft202012Validator(descriptor.app_schema)
            if not self._check_schema(app, validator, f"job type {name!r}: ", JobTypeConfigError):
                return  # check_app may rely on the keys having the schema's shape
        try:
            problems = list(self.stolos.job_type(name).check_app(app))
        except StolosError as exc:
            self.add(
                f"job type {name!r}: {exc.message}",
                app.name,
                exc.key or "job_type",
                JobTypeConfigError,
            )
            return
        except Exception as exc:  # a plugin's bug: report it against the app, keep going
            self.add(
                f"job type {name!r} failed to check this app: {type(exc).__name__}: {exc}",
                app.name,
                "job_type",
                JobTypeConfigError,
            )
            return
        for key, message in problems:
            self.add(message, app.name, key, JobTypeConfigError)

    # --- dependencies -------------------------------------------------------------------

    def _check_depends_on(self, app: AppConfig) -> None:
        deps = app.depends_on
        if deps is None:
            return
        named = "app_name" not in deps
        for group, submappings in iter_groups(app, self.default_group):
            group_key = f"depends_on.{group}" if named else "depends_on"
            if named and group in self.config:
                self.add(
                    f"dependency group {group!r} has the name of an app; rename the group",
                    app.name,
                    group_key,
                )
            raw_group = deps[group] if named else deps
            if isinstance(raw_group, list):
                index = {id(sub): i for i, sub in enumerate(raw_group)}
                located = [(f"{group_key}[{index[id(sub)]}]", sub) for sub in submappings]
                self._check_and_group(app, group_key, located)
            else:
                located = [(group_key, sub) for sub in submappings]
            for sub_key, sub in located:
                self._check_submapping(app, sub_key, sub)

    def _known_parents(self, app: AppConfig, key: str, sub: Mapping[str, Any]) -> list[str]:
        known = []
        for parent in parent_apps(sub):
            if parent in self.config:
                known.append(parent)
            else:
                defined = ", ".join(sorted(self.config)[:20])
                self.add(
                    f"unknown parent app {parent!r}; the configuration defines: {defined}",
                    app.name,
                    f"{key}.app_name",
                    UnknownApp,
                )
        return known

    def _check_submapping(self, app: AppConfig, key: str, sub: Mapping[str, Any]) -> None:
        parents = self._known_parents(app, key, sub)
        template = self.templates[app.name]
        parent_templates = {p: t for p in parents if (t := self.templates.get(p)) is not None}
        if template is not None:
            for parent, parent_template in parent_templates.items():
                self._check_identifiers_reach(app, template, key, sub, parent, parent_template)
        for identifier, values in sub.items():
            if identifier in GROUP_META_KEYS:
                continue
            value_key = f"{key}.{identifier}"
            if (
                template is not None
                and len(parent_templates) == len(parents)
                and not any(
                    identifier in t.identifiers for t in [template, *parent_templates.values()]
                )
            ):
                self.add(
                    f"{identifier!r} is an identifier of neither this app's job_id template "
                    "nor any parent's, so it has no effect; check the spelling",
                    app.name,
                    value_key,
                )
            elif values == "all":
                for parent in parents:
                    if identifier not in self.config[parent].autofill_values:
                        self.add(
                            f"'all' needs autofill_values.{identifier} on parent {parent!r}",
                            app.name,
                            value_key,
                        )
            elif isinstance(values, list):
                for value in values:
                    self._check_value(app.name, value_key, identifier, value)
        self._check_explicit_job_ids(app, f"{key}.job_id", sub.get("job_id"), parent_templates)

    def _check_identifiers_reach(
        self,
        app: AppConfig,
        template: JobIdTemplate,
        key: str,
        sub: Mapping[str, Any],
        parent: str,
        parent_template: JobIdTemplate,
    ) -> None:
        """Can a parent job_id be made from a child job_id, and the other way round?"""
        if set(sub) == {"app_name"}:
            lacking = [i for i in parent_template.identifiers if i not in template.identifiers]
            if lacking:
                self.add(
                    f"parent {parent!r} ({parent_template.template!r}) has identifiers "
                    f"{', '.join(lacking)} that this app's job_id template "
                    f"({template.template!r}) lacks; a group with only app_name makes the "
                    "parent job_id from the child's identifiers: list their values in the group",
                    app.name,
                    key,
                )
        missing = [
            i
            for i in template.identifiers
            if i not in parent_template.identifiers
            and i not in app.autofill_values
            and i not in sub
            and i != GROUP_IDENTIFIER  # the group's name fills it
        ]
        if missing:
            self.add(
                f"identifiers {', '.join(missing)} of this app are not in parent {parent!r}'s "
                f"job_id template ({parent_template.template!r}); list their values in the "
                "group or in autofill_values",
                app.name,
                key,
            )

    def _check_explicit_job_ids(
        self, app: AppConfig, key: str, job_ids: Any, parent_templates: Mapping[str, JobIdTemplate]
    ) -> None:
        if not isinstance(job_ids, list):
            return
        for parent, parent_template in parent_templates.items():
            for job_id in job_ids:
                if not isinstance(job_id, str):
                    continue  # the schema reports the type
                try:
                    self.validators.validate_all(parent_template.parse(job_id))
                except InvalidJobId as exc:
                    self.add(
                        f"{job_id!r} is not a job_id of parent {parent!r}: {exc.message}",
                        app.name,
                        key,
                    )

    def _check_and_group(
        self, app: AppConfig, group_key: str, located: Sequence[tuple[str, Mapping[str, Any]]]
    ) -> None:
        """Every sub-mapping without job_id gives the same values for each identifier of
        the app's template (any number of identical sub-mappings is consistent)."""
        template = self.templates[app.name]
        restricting = [(key, sub) for key, sub in located if "job_id" not in sub]
        if template is None or len(restricting) < 2:
            return
        for identifier in template.identifiers:
            values = [(key, sub.get(identifier)) for key, sub in restricting]
            if any(value != values[0][1] for _, value in values[1:]):
                shown = "; ".join(
                    f"{key}: {'not set' if value is None else _json(value)}"
                    for key, value in values
                )
                self.add(
                    f"the sub-mappings of this AND group give different values for "
                    f"{identifier!r} ({shown}); every sub-mapping without job_id must give the "
                    "same values for each identifier of this app's job_id template",
                    app.name,
                    group_key,
                )

    def _check_cycles(self) -> None:
        graph = build_app_graph(self.config, self.default_group)
        for component in sorted(nx.strongly_connected_components(graph), key=min):
            start = min(component)
            if len(component) == 1 and not graph.has_edge(start, start):
                continue
            edges = nx.find_cycle(graph.subgraph(component), source=start)
            path = [edge[0] for edge in edges] + [edges[0][0]]
            self.add(
                f"dependency cycle (parent -> child): {' -> '.join(path)}", path[0], "depends_on"
            )
