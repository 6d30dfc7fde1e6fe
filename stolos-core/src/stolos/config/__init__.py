"""Configuration: the app model, its JSON Schema, and validation."""

from stolos.config.model import AppConfig, ConfigSource, RawConfig, TasksConfig

__all__ = ["AppConfig", "ConfigSource", "RawConfig", "TasksConfig"]
