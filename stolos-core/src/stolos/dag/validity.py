"""``valid_if_or``: which job_ids of an app are worth running (section 3.4).

``{"collection_name": ["profile", "purchase"], "_func": "pkg.module.func"}`` makes a job
valid when ``func(app_name, **identifiers)`` returns a truthy value, or when any listed
identifier has one of its listed values (OR across keys).  Listed values go through the
identifier's validator first, so they compare with parsed, typed job_id values.  A job
that fails is *skipped* instead of queued; :meth:`ValidIfOr.skip_reason` says why.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from stolos.dag.apps import AppInfo
from stolos.errors import ConfigError, InvalidJobId
from stolos.jobid import Validators

FUNC_KEY = "_func"


@dataclass(frozen=True)
class ValidIfOr:
    """An app's ``valid_if_or``, compiled once: the allowed values per identifier and
    the optional function."""

    app: str
    allowed: Mapping[str, tuple[Any, ...]]
    func: Callable[..., Any] | None
    func_path: str | None

    @classmethod
    def compile(cls, app: AppInfo, raw: Any, validators: Validators) -> ValidIfOr | None:
        """``None`` when the app sets no criteria (every job_id is valid)."""
        if not isinstance(raw, Mapping) or not raw:
            return None
        allowed: dict[str, tuple[Any, ...]] = {}
        for key, values in raw.items():
            if key == FUNC_KEY:
                continue
            where = f"valid_if_or.{key}"
            if key not in app.identifier_set:
                raise _error(
                    app, where, f"{key!r} is not an identifier of {app.template.template!r}"
                )
            if not isinstance(values, list):
                raise _error(app, where, f"must be a list of values, not {values!r}")
            try:
                allowed[key] = tuple(validators.validate(key, v) for v in values)
            except InvalidJobId as exc:
                raise _error(app, where, exc.message) from None
        path = raw.get(FUNC_KEY)
        func = None if path is None else _import_function(app, path)
        return cls(app.name, allowed, func, path)

    def skip_reason(self, values: Mapping[str, Any]) -> str | None:
        """``None`` when a job with these identifier values is valid, else why not."""
        reasons = []
        if self.func is not None:
            try:
                result = self.func(self.app, **values)
            except Exception as exc:
                raise ConfigError(
                    f"{self.func_path} raised {type(exc).__name__}: {exc}",
                    app=self.app,
                    key=f"valid_if_or.{FUNC_KEY}",
                ) from exc
            if result:
                return None
            reasons.append(f"{self.func_path} returned {result!r}")
        for key, allowed in self.allowed.items():
            if values[key] in allowed:
                return None
            choices = ", ".join(map(repr, allowed)) or "nothing"
            reasons.append(f"{key} is {values[key]!r}, not one of {choices}")
        return " and ".join(reasons) if reasons else None


def _import_function(app: AppInfo, path: Any) -> Callable[..., Any]:
    where = f"valid_if_or.{FUNC_KEY}"
    module_name, _, name = path.rpartition(".") if isinstance(path, str) else ("", "", "")
    if not module_name:
        raise _error(app, where, f"must be an import path like 'package.module.func', not {path!r}")
    try:
        func = getattr(importlib.import_module(module_name), name, None)
    except Exception as exc:  # user code failing at import is a configuration problem
        raise _error(
            app, where, f"cannot import {module_name!r}: {type(exc).__name__}: {exc}"
        ) from exc
    if not callable(func):
        raise _error(app, where, f"module {module_name!r} has no function {name!r}")
    return func  # type: ignore[no-any-return]


def _error(app: AppInfo, key: str, message: str) -> ConfigError:
    return ConfigError(message, file=app.source, app=app.name, key=key)
