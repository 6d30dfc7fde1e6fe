"""docs/cli.md documents every inspection command, and its usage line matches the
command's real options: a command or option added without documentation fails here."""

from __future__ import annotations

from pathlib import Path

import click
import pytest

from stolos.cli.main import cli

INSPECTION = [
    c
    for c in cli.commands.values()
    if c.callback is not None and c.callback.__module__ == "stolos.cli.inspect"
]

DOC = Path(__file__).resolve().parents[3] / "docs" / "cli.md"


@pytest.fixture(scope="module")
def doc() -> str:
    return DOC.read_text(encoding="utf-8")


def test_the_inspection_commands_are_registered() -> None:
    names = {c.name for c in INSPECTION}
    assert names == {"plugins", "validate", "parents", "children", "jobs", "graph"}


@pytest.mark.parametrize("command", INSPECTION, ids=lambda c: str(c.name))
def test_every_command_has_a_section_naming_its_options(doc: str, command: click.Command) -> None:
    heading = f"\n### `stolos {command.name}`\n"
    assert heading in doc
    section = doc.split(heading, 1)[1].split("\n### ", 1)[0]
    for param in command.params:
        if isinstance(param, click.Option):
            assert any(opt in section for opt in param.opts), f"{param.opts} not documented"
        else:
            assert str(param.name).upper() in section
