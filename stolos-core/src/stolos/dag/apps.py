"""What dependency resolution needs to know about one app, computed once per app."""

from __future__ import annotations

import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from stolos.config.model import AppConfig
from stolos.dag.values import Values, parse_autofill
from stolos.errors import ConfigError, InvalidJobId, StolosError
from stolos.jobid import JobIdTemplate, Validators


@dataclass(frozen=True)
class AppInfo:
    """An app's job_id template and autofill values, parsed."""

    name: str
    template: JobIdTemplate
    identifier_set: frozenset[str]
    autofill: Mapping[str, Values]
    source: str
    _positional: str = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_positional", _positional(self.template.template))

    @classmethod
    def build(cls, app: AppConfig, source: str) -> AppInfo:
        try:
            template = app.template
        except StolosError as exc:
            exc.app, exc.file = app.name, exc.file or source
            raise
        raw = app.raw.get("autofill_values")
        if raw is not None and not isinstance(raw, Mapping):
            raise ConfigError(
                "autofill_values must be a mapping of identifier -> values",
                file=source,
                app=app.name,
                key="autofill_values",
            )
        autofill = {
            str(k): parse_autofill(v, app=app.name, identifier=str(k))
            for k, v in (raw or {}).items()
        }
        return cls(
            name=app.name,
            template=template,
            identifier_set=frozenset(template.identifiers),
            autofill=autofill,
            source=source,
        )

    @property
    def identifiers(self) -> tuple[str, ...]:
        return self.template.identifiers

    def parse(self, job_id: str, validators: Validators) -> dict[str, Any]:
        """Typed identifier values of ``job_id``; :class:`InvalidJobId` naming this app."""
        try:
            return validators.validate_all(self.template.parse(job_id))
        except InvalidJobId as exc:
            exc.app, exc.file = self.name, exc.file or self.source
            raise

    def format(self, values: Mapping[str, Any]) -> str:
        """This app's job_id for ``values``, which hold every identifier of the template."""
        return self.template.template.format_map(values)

    def format_row(self, row: Sequence[Any]) -> str:
        """This app's job_id for values given in template order (the fast path of
        enumerations: no dict per job_id)."""
        return self._positional.format(*row)


def _positional(template: str) -> str:
    """``"{date}_{client_id:>4}"`` -> ``"{0}_{1:>4}"``: the same template, positional."""
    out = []
    index = 0
    for literal, name, spec, conversion in string.Formatter().parse(template):
        out.append(literal.replace("{", "{{").replace("}", "}}"))
        if name is not None:
            suffix = (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "")
            out.append(f"{{{index}{suffix}}}")
            index += 1
    return "".join(out)
