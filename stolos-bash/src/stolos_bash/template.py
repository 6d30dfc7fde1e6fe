"""``bash_cmd`` templates: find their placeholders, render them with shell-quoted values.

A template uses Python's format syntax restricted to plain names, e.g.
``"process --date {date} --job {job_id}"``; ``{{`` and ``}}`` are literal braces.  Format
specs (``{date:08d}``), conversions (``{date!r}``), attribute or index access
(``{job_id.upper}``) and positional fields (``{}``) are rejected when the template is
parsed: their outcome would depend on identifier types known only at run time, and a
plain name is all a shell command needs.

Every value is inserted as exactly one shell word by :func:`shlex.quote`, so no job_id or
identifier can add shell syntax.  The template's own literal text is the app author's
shell code and is used as written.
"""

from __future__ import annotations

import shlex
import string
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from stolos.errors import ConfigError

KEY = "bash_cmd"


@dataclass(frozen=True)
class CommandTemplate:
    """A parsed ``bash_cmd``: literal shell text, each piece followed by a placeholder
    name or ``None``."""

    text: str
    pieces: tuple[tuple[str, str | None], ...]

    @classmethod
    def parse(cls, text: str) -> CommandTemplate:
        """Parse ``text``; :class:`ConfigError` (key ``bash_cmd``) if it is malformed or
        uses anything but ``{name}`` placeholders."""
        try:
            parsed = list(string.Formatter().parse(text))
        except ValueError as exc:  # unbalanced braces
            raise ConfigError(
                f"malformed template {text!r}: {exc}; write {{{{ and }}}} for literal braces",
                key=KEY,
            ) from None
        pieces: list[tuple[str, str | None]] = []
        for literal, name, spec, conversion in parsed:
            if name is not None:
                _check_field(text, name, spec, conversion)
            pieces.append((literal, name))
        return cls(text, tuple(pieces))

    @property
    def placeholders(self) -> tuple[str, ...]:
        """The placeholder names, each once, in order of first use."""
        return tuple(dict.fromkeys(name for _, name in self.pieces if name is not None))

    def check_names(self, allowed: Collection[str]) -> None:
        """:class:`ConfigError` naming every placeholder not in ``allowed``."""
        unknown = [name for name in self.placeholders if name not in allowed]
        if unknown:
            raise ConfigError(
                f"unknown placeholder {', '.join('{' + n + '}' for n in unknown)} in "
                f"{self.text!r}; allowed: {', '.join('{' + n + '}' for n in allowed)}",
                key=KEY,
            )

    def render(self, values: Mapping[str, Any]) -> str:
        """The command with each placeholder replaced by its value as one quoted word."""
        self.check_names(values)
        return "".join(
            literal + ("" if name is None else shlex.quote(str(values[name])))
            for literal, name in self.pieces
        )


def _check_field(text: str, name: str, spec: str | None, conversion: str | None) -> None:
    field = "{" + name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "")
    if not name or name.isdigit():
        problem = "positional fields are not supported"
    elif not name.isidentifier():
        problem = "attribute and index access are not supported"
    elif conversion or spec:
        problem = "format specs and conversions are not supported"
    else:
        return
    raise ConfigError(
        f"placeholder {field}}} in {text!r}: {problem}; write a plain name such as {{date}}",
        key=KEY,
    )
