"""The plugin manager: a small typed facade over pluggy.

Plugins are found through the entry-point group ``stolos``; the core's built-ins
(``stolos.builtins``) are registered through that same group, so the path a third-party
plugin takes is the one the project uses itself.  ``STOLOS_LOAD_PLUGINS`` (comma list of
entry-point or distribution names) keeps only those; ``STOLOS_DISABLE_PLUGINS`` drops
those.  No other module calls ``pm.hook`` directly.

Quickstart for a plugin author::

    from stolos.hookspecs import hookimpl
    from stolos.plugins import Descriptor

    @hookimpl
    def stolos_job_types():
        return [Descriptor("mytype", MyJobType, "Runs my jobs",
                           app_schema={"type": "object", "properties": {...}})]

    # pyproject.toml
    [project.entry-points.stolos]
    mytype = "my_package.plugin"
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from enum import Enum
from importlib import metadata
from typing import Any

import jsonschema
import pluggy

from stolos import hookspecs
from stolos.errors import PluginError, UnknownPlugin

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "stolos"
EMPTY_SCHEMA: Mapping[str, Any] = {"type": "object", "properties": {}}


class Kind(str, Enum):
    """The kinds of plugin, each collected by one registration hook."""

    CONFIG_BACKEND = "config_backend"
    JOB_ID_VALIDATOR = "job_id_validator"
    QUEUE_BACKEND = "queue_backend"
    JOB_TYPE = "job_type"

    @property
    def hook_name(self) -> str:
        return _HOOKS[self]


_HOOKS = {
    Kind.CONFIG_BACKEND: "stolos_config_backends",
    Kind.JOB_ID_VALIDATOR: "stolos_job_id_validators",
    Kind.QUEUE_BACKEND: "stolos_queue_backends",
    Kind.JOB_TYPE: "stolos_job_types",
}


@dataclass(frozen=True)
class Descriptor:
    """What a registration hook returns: one named plugin of one kind.

    ``options_schema`` describes the process-wide options the plugin accepts (each
    property ``x`` is also read from ``STOLOS_X``); ``app_schema`` (job types only)
    describes the app-configuration keys that belong to it.  ``kind``, ``distribution``
    and ``version`` are filled in by the manager.
    """

    name: str
    factory: Callable[..., Any]
    summary: str
    options_schema: Mapping[str, Any] = field(default_factory=lambda: dict(EMPTY_SCHEMA))
    app_schema: Mapping[str, Any] | None = None
    kind: Kind | None = None
    distribution: str = "unknown"
    version: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind.value if self.kind else None,
            "distribution": self.distribution,
            "version": self.version,
            "summary": self.summary,
            "options": sorted(self.options_schema.get("properties", {})),
        }


@dataclass(frozen=True)
class _Source:
    entry_point: str
    distribution: str
    version: str


def _names(value: str | None) -> set[str] | None:
    if value is None or not value.strip():
        return None
    return {n.strip() for n in value.split(",") if n.strip()}


class PluginManager:
    """Loads plugins and answers "which plugins of kind K are installed"."""

    def __init__(
        self,
        environ: Mapping[str, str] | None = None,
        *,
        load_entry_points: bool = True,
        extra: Iterable[tuple[object, str]] = (),
    ) -> None:
        env = os.environ if environ is None else environ
        self._allow = _names(env.get("STOLOS_LOAD_PLUGINS"))
        self._deny = _names(env.get("STOLOS_DISABLE_PLUGINS")) or set()
        self._pm = pluggy.PluginManager(hookspecs.PROJECT)
        self._pm.add_hookspecs(hookspecs)
        self._sources: dict[int, _Source] = {}
        if load_entry_points:
            self._load_entry_points()
        for plugin, dist in extra:
            self.register(plugin, distribution=dist)
        self._descriptors = self._collect()

    # --- loading ----------------------------------------------------------------------

    def _wanted(self, ep_name: str, dist: str) -> bool:
        if ep_name in self._deny or dist in self._deny:
            return False
        return self._allow is None or ep_name in self._allow or dist in self._allow

    def _load_entry_points(self) -> None:
        for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
            dist = ep.dist.name if ep.dist else "unknown"
            version = ep.dist.version if ep.dist else ""
            if not self._wanted(ep.name, dist):
                log.debug("plugin %s from %s disabled by STOLOS_*_PLUGINS", ep.name, dist)
                continue
            try:
                plugin = ep.load()
            except Exception as exc:  # a broken plugin must name itself
                raise PluginError(
                    f"cannot load plugin {ep.name!r} ({ep.value}) from distribution "
                    f"{dist}: {type(exc).__name__}: {exc}"
                ) from exc
            self.register(plugin, distribution=dist, version=version, name=ep.name)

    def register(
        self, plugin: object, *, distribution: str, version: str = "", name: str | None = None
    ) -> None:
        """Register a plugin object (tests and embedders; entry points use this too)."""
        if self._pm.is_registered(plugin):
            return
        self._pm.register(plugin, name=name)
        self._sources[id(plugin)] = _Source(name or str(plugin), distribution, version)
        if hasattr(self, "_descriptors"):
            self._descriptors = self._collect()

    def _collect(self) -> dict[Kind, dict[str, Descriptor]]:
        found: dict[Kind, dict[str, Descriptor]] = {kind: {} for kind in Kind}
        for kind in Kind:
            hook = getattr(self._pm.hook, kind.hook_name)
            for impl in hook.get_hookimpls():
                source = self._sources.get(id(impl.plugin), _Source("?", "unknown", ""))
                for desc in impl.function() or []:
                    desc = self._check(kind, desc, source)
                    other = found[kind].get(desc.name)
                    if other is not None:
                        raise PluginError(
                            f"two {kind.value} plugins are named {desc.name!r}: one from "
                            f"distribution {other.distribution}, one from {desc.distribution}; "
                            "uninstall one or disable it with STOLOS_DISABLE_PLUGINS"
                        )
                    found[kind][desc.name] = desc
        return found

    @staticmethod
    def _check(kind: Kind, desc: Any, source: _Source) -> Descriptor:
        where = f"plugin {source.entry_point!r} from distribution {source.distribution}"
        if not isinstance(desc, Descriptor):
            raise PluginError(f"{where}: {kind.hook_name} returned {desc!r}, not a Descriptor")
        if not desc.name or not callable(desc.factory):
            raise PluginError(f"{where}: {kind.value} descriptor needs a name and a factory")
        for label, schema in (
            ("options_schema", desc.options_schema),
            ("app_schema", desc.app_schema),
        ):
            if schema is None:
                continue
            try:
                jsonschema.Draft202012Validator.check_schema(schema)
            except jsonschema.SchemaError as exc:
                raise PluginError(
                    f"{where}: {kind.value} {desc.name!r} has an invalid {label}: {exc.message}"
                ) from exc
        return replace(desc, kind=kind, distribution=source.distribution, version=source.version)

    # --- queries ----------------------------------------------------------------------

    def descriptors(self, kind: Kind) -> list[Descriptor]:
        return sorted(self._descriptors[kind].values(), key=lambda d: d.name)

    def all_descriptors(self) -> list[Descriptor]:
        return [d for kind in Kind for d in self.descriptors(kind)]

    def get(self, kind: Kind, name: str) -> Descriptor:
        """The plugin of ``kind`` named ``name``, or an error listing what is installed."""
        try:
            return self._descriptors[kind][name]
        except KeyError:
            installed = (
                ", ".join(f"{d.name} (from {d.distribution})" for d in self.descriptors(kind))
                or "none"
            )
            raise UnknownPlugin(
                f"no {kind.value.replace('_', ' ')} named {name!r} is installed; "
                f"installed: {installed}"
            ) from None

    def cli_commands(self) -> list[Any]:
        return [cmd for cmds in self._pm.hook.stolos_cli_commands() for cmd in cmds or []]

    # --- observers --------------------------------------------------------------------

    def notify(self, event: str, **kwargs: Any) -> None:
        """Call every observer of ``event`` (``before_job``, ``after_job``,
        ``on_job_error``); one that raises is logged and the others still run."""
        hook = getattr(self._pm.hook, f"stolos_{event}")
        for impl in hook.get_hookimpls():
            try:
                impl.function(**{k: kwargs[k] for k in impl.argnames})
            except Exception:
                log.exception("observer %s of %s raised; ignored", impl.plugin_name, event)
