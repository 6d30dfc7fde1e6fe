"""The explicit Stolos object: options, plugins, configuration, dependencies, queue.

Tests and embedders construct :class:`Stolos` directly; :mod:`stolos.api` is a thin
facade over one default instance.  Everything is loaded lazily and once: the
configuration is read and validated on first use, the queue backend is connected on
first use.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Mapping
from functools import cached_property
from typing import TYPE_CHECKING, Any

from stolos import options as opts
from stolos.config.model import AppConfig, ConfigSource, TasksConfig
from stolos.errors import ConfigInvalid, JobTypeConfigError, StolosError
from stolos.jobid import Validators, load_validations_module
from stolos.plugins import Descriptor, Kind, PluginManager

log = logging.getLogger("stolos.engine")

if TYPE_CHECKING:
    from stolos.dag import Dependency, DependencyResolver
    from stolos.queue import QueueBackend
    from stolos.scheduler import Scheduler


class Stolos:
    """One configured Stolos: what every command and API call works through.

    ``overrides`` are option values given explicitly (command-line flags); everything
    else comes from ``environ`` (``STOLOS_*``, default ``os.environ``) and defaults.
    """

    def __init__(
        self,
        overrides: Mapping[str, Any] | None = None,
        *,
        environ: Mapping[str, str] | None = None,
        plugins: PluginManager | None = None,
        validate: bool = True,
    ) -> None:
        self.environ: Mapping[str, str] = dict(os.environ if environ is None else environ)
        self.overrides = {k: v for k, v in (overrides or {}).items() if v is not None}
        self.plugins = plugins if plugins is not None else PluginManager(self.environ)
        self.options = opts.resolve(opts.CORE_OPTIONS, self.overrides, self.environ)
        self._plugin_options: dict[tuple[Kind | None, str], dict[str, Any]] = {}
        self._validate = validate

    # --- options and plugins ----------------------------------------------------------

    def plugin_options(self, descriptor: Descriptor) -> dict[str, Any]:
        """The resolved options of one plugin (flags > ``STOLOS_*`` > defaults), resolved
        once: a worker asks for its job type's options on every job."""
        key = (descriptor.kind, descriptor.name)
        if key not in self._plugin_options:
            self._plugin_options[key] = opts.resolve(
                descriptor.options_schema, self.overrides, self.environ
            )
        return dict(self._plugin_options[key])

    def make_plugin(self, kind: Kind, name: str) -> Any:
        descriptor = self.plugins.get(kind, name)
        return descriptor.factory(self.plugin_options(descriptor))

    # --- configuration ----------------------------------------------------------------

    @cached_property
    def validators(self) -> Validators:
        """Plugin validators, overridden by an original-style validations module."""
        functions = {d.name: d.factory for d in self.plugins.descriptors(Kind.JOB_ID_VALIDATOR)}
        module = self.options.get("job_id_validations")
        if module:
            functions.update(load_validations_module(module))
        return Validators(functions)

    @cached_property
    def config_source(self) -> ConfigSource:
        """The configuration backend instance (made once)."""
        source: ConfigSource = self.make_plugin(
            Kind.CONFIG_BACKEND, self.options["configuration_backend"]
        )
        return source

    def _source_version(self) -> Any:
        version = getattr(self.config_source, "version", None)
        return version() if callable(version) else None

    def load_config(self) -> TasksConfig:
        """Read the configuration through its backend (no validation)."""
        self._config_version = self._source_version()  # before reading: a push in between
        raw = self.config_source.load()  # only causes one more reload
        return TasksConfig(
            raw.apps, source=raw.source, default_template=self.options["job_id_default_template"]
        )

    def refresh_config(self) -> bool:
        """Reload the configuration if its backend says it changed (a source with a
        ``version()`` method, such as the Redis one); returns whether it did.  A new
        configuration that does not validate is refused and the current one kept."""
        if "config" not in self.__dict__ or self._source_version() == self._config_version:
            return False
        previous = self.__dict__.pop("config")
        dag = self.__dict__.pop("dag", None)
        try:
            self.config  # noqa: B018 - loads and validates the new configuration
        except StolosError as exc:
            log.error("the new configuration is refused, keeping the current one: %s", exc)
            self.__dict__["config"] = previous
            if dag is not None:
                self.__dict__["dag"] = dag
            return False
        if "scheduler" in self.__dict__:
            self.scheduler.forget_dependencies()
        log.info("configuration reloaded from %s", self.config.source)
        return True

    def check(self, config: TasksConfig | None = None) -> list[StolosError]:
        """Every problem of the configuration, in one pass (empty when valid)."""
        from stolos.config.validate import validate_config

        return validate_config(config if config is not None else self.load_config(), self)

    @cached_property
    def config(self) -> TasksConfig:
        """The configuration, read once and validated (``ConfigInvalid`` otherwise).

        Job-type problems (:class:`JobTypeConfigError`) are tolerated here, so that a
        machine that only queries dependencies or submits jobs need not install every job
        type; :meth:`check_runnable` makes them fatal for a worker."""
        config = self.load_config()
        self._job_type_problems: list[StolosError] = []
        if self._validate:
            problems = self.check(config)
            self._job_type_problems = [p for p in problems if isinstance(p, JobTypeConfigError)]
            fatal = [p for p in problems if not isinstance(p, JobTypeConfigError)]
            if fatal:
                raise ConfigInvalid(fatal)
        return config

    def check_runnable(self, apps: list[str]) -> None:
        """``ConfigInvalid`` if a job type of ``apps`` is missing or its keys are wrong."""
        self.config  # noqa: B018 - loads and validates once
        problems = [p for p in self._job_type_problems if p.app in apps]
        if problems:
            raise ConfigInvalid(problems)

    def app(self, name: str) -> AppConfig:
        return self.config[name]

    def job_type(self, name: str) -> Any:
        """The job type plugin instance named ``name`` (made once)."""
        cache = self.__dict__.setdefault("_job_types", {})
        if name not in cache:
            cache[name] = self.make_plugin(Kind.JOB_TYPE, name)
        return cache[name]

    # --- job ids ----------------------------------------------------------------------

    def parse_job_id(self, app_name: str, job_id: str) -> dict[str, Any]:
        """Identifier values of ``job_id``, validated and typed; the error names the app
        and the job_id."""
        app = self.app(app_name)
        try:
            return self.validators.validate_all(app.template.parse(job_id))
        except StolosError as exc:
            exc.app = app_name
            exc.file = exc.file or self.config.source
            if repr(job_id) not in exc.message:
                exc.message = f"job_id {job_id!r}: {exc.message}"
            raise

    def create_job_id(self, app_name: str, **identifiers: Any) -> str:
        app = self.app(app_name)
        values = self.validators.validate_all(
            {k: v for k, v in identifiers.items() if k in app.template.identifiers}
        )
        return app.template.format({**identifiers, **values})

    # --- dependencies -----------------------------------------------------------------

    @cached_property
    def dag(self) -> DependencyResolver:
        from stolos.dag import DependencyResolver

        return DependencyResolver(
            self.config, self.validators, self.options["dependency_group_default_name"]
        )

    def get_parents(
        self, app_name: str, job_id: str | None, filter_deps: tuple[str, ...] = ()
    ) -> Iterator[Dependency]:
        return self.dag.parents(app_name, job_id, filter_deps=filter_deps)

    def get_children(self, app_name: str, job_id: str) -> Iterator[Dependency]:
        return self.dag.children(app_name, job_id)

    # --- queue ------------------------------------------------------------------------

    @cached_property
    def queue(self) -> QueueBackend:
        """The queue backend (connected on first use)."""
        backend: QueueBackend = self.make_plugin(Kind.QUEUE_BACKEND, self.options["queue_backend"])
        return backend

    @property
    def lease_timeout(self) -> float:
        """Seconds a claim lives without a heartbeat: ``--lease-timeout`` or
        ``STOLOS_LEASE_TIMEOUT`` when given, else what the queue backend's own options ask
        for (``default_lease_timeout``, e.g. the original's ``STOLOS_QB_REDIS_LOCK_TIMEOUT``),
        else 60."""
        if "lease_timeout" in self.overrides or opts.env_name("lease_timeout") in self.environ:
            return float(self.options["lease_timeout"])
        backend_default = getattr(self.queue, "default_lease_timeout", None)
        return float(backend_default or self.options["lease_timeout"])

    @cached_property
    def scheduler(self) -> Scheduler:
        from stolos.scheduler import Scheduler

        return Scheduler(self)

    def close(self) -> None:
        """Release the backends' connections."""
        if "queue" in self.__dict__:
            self.queue.close()
        close_source = getattr(self.__dict__.get("config_source"), "close", None)
        if callable(close_source):
            close_source()
