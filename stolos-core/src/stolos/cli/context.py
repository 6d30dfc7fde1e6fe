"""What every ``stolos`` command shares: the Stolos of the invocation, guarded
execution (one located message and exit code 1 instead of a traceback), and output
helpers."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any

import click

from stolos.engine import Stolos
from stolos.errors import StolosError

EXIT_ERROR = 1


def get_stolos(ctx: click.Context | None = None) -> Stolos:
    """The :class:`Stolos` of this invocation, built once from the global options."""
    ctx = ctx or click.get_current_context()
    root = ctx.find_root()
    root.ensure_object(dict)
    if "stolos" not in root.obj:
        root.obj["stolos"] = Stolos(root.obj.get("overrides", {}))
        root.call_on_close(root.obj["stolos"].close)
    stolos: Stolos = root.obj["stolos"]
    return stolos


def run_guarded(
    command: click.Command, args: list[str] | None = None, prog: str | None = None
) -> None:
    """Run a click command; a ``StolosError`` becomes one message and exit code 1."""
    try:
        code = command.main(args=args, prog_name=prog, standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.Abort:
        click.echo("Aborted!", err=True)
        sys.exit(EXIT_ERROR)
    except StolosError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_ERROR)
    except BrokenPipeError:
        sys.exit(EXIT_ERROR)
    if isinstance(code, int) and code:  # without standalone mode click returns ctx.exit(code)
        sys.exit(code)


def echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, default=str))


def table(rows: Sequence[Sequence[Any]], header: Sequence[str]) -> str:
    """Left-aligned columns; the last column is not padded."""
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    return "\n".join(
        "  ".join(str(cell).ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in [header, *rows]
    )
