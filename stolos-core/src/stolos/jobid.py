"""job_id templates and identifier validators.

A template such as ``"{date}_{client_id}"`` names an app's identifiers and how they join
into a job_id.  Parsing uses the template's own literal text (so ``"{a}-{b}"`` parses, where the
original split on ``STOLOS_JOB_ID_DELIMITER`` only),
and, like the original, the last identifier absorbs extra separators
(``20140101_1_2`` gives ``client_id="1_2"``).  Validators turn identifier strings into
typed values (``date`` -> ``20140601``) or reject them.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import re
import string
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from stolos.errors import ConfigError, InvalidJobId

log = logging.getLogger(__name__)

Validator = Callable[[Any], Any]


class JobIdTemplate:
    """A parsed job_id template: its identifiers, a parser and a formatter."""

    def __init__(self, template: str) -> None:
        self.template = template
        try:
            pieces = list(string.Formatter().parse(template))
        except ValueError as exc:
            raise ConfigError(f"bad job_id template {template!r}: {exc}", key="job_id") from None
        self.identifiers: tuple[str, ...] = tuple(
            name for _, name, _, _ in pieces if name is not None
        )
        if any(not n or not n.isidentifier() for n in self.identifiers):
            raise ConfigError(
                f"job_id template {template!r}: placeholders must be plain names like {{date}}",
                key="job_id",
            )
        if len(set(self.identifiers)) != len(self.identifiers):
            raise ConfigError(f"job_id template {template!r} repeats an identifier", key="job_id")
        if any(literal == "" for literal, _, _, _ in pieces[1:]):
            raise ConfigError(
                f"job_id template {template!r}: placeholders must be separated by literal "
                "text such as '_', or job_ids cannot be parsed",
                key="job_id",
            )
        last = len(self.identifiers) - 1
        regex = "".join(
            re.escape(literal) + ("" if name is None else "(.+)" if i == last else "(.+?)")
            for i, (literal, name, _, _) in enumerate(pieces)
        )
        self._regex = re.compile(regex, re.DOTALL)

    def parse(self, job_id: str) -> dict[str, str]:
        """Split ``job_id`` into identifier strings; :class:`InvalidJobId` if it does not fit."""
        if not isinstance(job_id, str):
            raise InvalidJobId(f"job_id must be a string, not {type(job_id).__name__}")
        match = self._regex.fullmatch(job_id)
        if match is None or any(v == "" for v in match.groups()):
            raise InvalidJobId(f"job_id {job_id!r} does not match the template {self.template!r}")
        return dict(zip(self.identifiers, match.groups(), strict=True))

    def format(self, values: Mapping[str, Any]) -> str:
        """The job_id of these identifier values (``KeyError``-free: says what is missing)."""
        missing = [n for n in self.identifiers if n not in values]
        if missing:
            raise InvalidJobId(
                f"template {self.template!r} needs {', '.join(missing)}; got "
                f"{', '.join(sorted(map(str, values))) or 'nothing'}"
            )
        return self.template.format_map({n: values[n] for n in self.identifiers})

    def __repr__(self) -> str:
        return f"JobIdTemplate({self.template!r})"


class Validators:
    """Identifier name -> validator function, with the original's semantics.

    A validator returns the typed value; raising, or returning ``None`` or ``False``,
    means invalid.  An identifier without a validator keeps its string value.
    """

    def __init__(self, functions: Mapping[str, Validator] | None = None) -> None:
        self.functions: dict[str, Validator] = dict(functions or {})

    def __contains__(self, identifier: str) -> bool:
        return identifier in self.functions

    def validate(self, identifier: str, value: Any) -> Any:
        func = self.functions.get(identifier)
        if func is None:
            return value
        try:
            result = func(value)
        except Exception as exc:
            raise InvalidJobId(
                f"{identifier}={value!r} is invalid: {exc or type(exc).__name__}", key=identifier
            ) from None
        if result is None or result is False:
            raise InvalidJobId(f"{identifier}={value!r} is invalid", key=identifier)
        return result

    def validate_all(self, values: Mapping[str, Any]) -> dict[str, Any]:
        return {k: self.validate(k, v) for k, v in values.items()}


def load_validations_module(path: str) -> dict[str, Validator]:
    """The ``JOB_ID_VALIDATIONS`` dict of a module (import path or ``.py`` file)."""
    try:
        if path.endswith(".py") or "/" in path:
            spec = importlib.util.spec_from_file_location("stolos_user_validations", path)
            if spec is None or spec.loader is None or not Path(path).exists():
                raise ImportError(f"no such file {path!r}")
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
        else:
            module = importlib.import_module(path)
    except Exception as exc:
        raise ConfigError(
            f"cannot import job_id validations {path!r}: {type(exc).__name__}: {exc}",
            key="job_id_validations",
        ) from None
    table = getattr(module, "JOB_ID_VALIDATIONS", None)
    if not isinstance(table, Mapping) or not all(callable(f) for f in table.values()):
        raise ConfigError(
            f"module {path!r} must define JOB_ID_VALIDATIONS, a dict of identifier -> function",
            key="job_id_validations",
        )
    return dict(table)
