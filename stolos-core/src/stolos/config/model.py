"""The app model: a loaded configuration and typed accessors for each app.

The configuration is the original ``tasks.json`` mapping of app name -> app mapping.
Unknown keys are kept (job-type options live beside scheduling keys); the accessors here
read the scheduling keys the core understands.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Protocol

from stolos.errors import UnknownApp
from stolos.jobid import JobIdTemplate

DEFAULT_JOB_TYPE = "bash"


@dataclass(frozen=True)
class RawConfig:
    """What a configuration backend loads: the app mappings and where they came from.

    ``source`` names the file or URL in error messages.
    """

    apps: Mapping[str, Any]
    source: str


class ConfigSource(Protocol):
    """A configuration backend instance (made by a ``stolos_config_backends`` factory)."""

    def load(self) -> RawConfig:
        """Read the whole configuration; raise ``ConfigError`` with the source on failure."""
        ...


@dataclass
class AppConfig:
    """One app: its raw mapping plus typed views of the scheduling keys."""

    name: str
    raw: Mapping[str, Any]
    default_template: str | None = None

    @cached_property
    def template_string(self) -> str | None:
        value = self.raw.get("job_id", self.default_template)
        return value if isinstance(value, str) else None

    @cached_property
    def template(self) -> JobIdTemplate:
        if self.template_string is None:
            raise UnknownApp(
                "has no job_id template: set its job_id key or STOLOS_JOB_ID_DEFAULT_TEMPLATE",
                app=self.name,
                key="job_id",
            )
        return JobIdTemplate(self.template_string)

    @property
    def depends_on(self) -> Mapping[str, Any] | None:
        value = self.raw.get("depends_on")
        return value if isinstance(value, Mapping) and value else None

    @property
    def autofill_values(self) -> Mapping[str, Any]:
        value = self.raw.get("autofill_values")
        return value if isinstance(value, Mapping) else {}

    @property
    def valid_if_or(self) -> Mapping[str, Any] | None:
        value = self.raw.get("valid_if_or")
        return value if isinstance(value, Mapping) else None

    @property
    def job_type(self) -> str:
        return str(self.raw.get("job_type", DEFAULT_JOB_TYPE))

    def get(self, key: str, default: Any = None) -> Any:
        return self.raw.get(key, default)


@dataclass
class TasksConfig(Mapping[str, AppConfig]):
    """The whole configuration: app name -> :class:`AppConfig`, plus its source."""

    raw: Mapping[str, Any]
    source: str = "<config>"
    default_template: str | None = None
    _apps: dict[str, AppConfig] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._apps = {
            name: AppConfig(name, conf if isinstance(conf, Mapping) else {}, self.default_template)
            for name, conf in self.raw.items()
        }

    def __getitem__(self, name: str) -> AppConfig:
        try:
            return self._apps[name]
        except KeyError:
            known = ", ".join(sorted(self._apps)[:20]) or "none"
            raise UnknownApp(
                f"unknown app {name!r}; the configuration defines: {known}",
                file=self.source,
            ) from None

    def __contains__(self, name: object) -> bool:
        return name in self._apps  # Mapping's default would turn UnknownApp into an error

    def __iter__(self) -> Iterator[str]:
        return iter(self._apps)

    def __len__(self) -> int:
        return len(self._apps)

    def to_dict(self) -> dict[str, Any]:
        return {name: dict(app.raw) for name, app in self._apps.items()}
