"""A configuration in a temporary directory, and two ways to run ``stolos`` on it:
in-process through click's runner, and as a real process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from stolos.cli.main import cli

VALIDATIONS = """
JOB_ID_VALIDATIONS = {"date": int, "client_id": int}
"""

# preprocess fans out to two targets per client; report needs every client of a day.
PIPELINE: dict[str, Any] = {
    "preprocess": {
        "job_id": "{date}_{client_id}",
        "job_type": "noop",
        "autofill_values": {"client_id": [1, 2]},
    },
    "modelBuild": {
        "job_id": "{date}_{client_id}_{target}",
        "job_type": "noop",
        "autofill_values": {"target": ["a", "b"]},
        "depends_on": {"app_name": ["preprocess"]},
    },
    "report": {
        "job_id": "{date}",
        "job_type": "noop",
        "autofill_values": {"date": "20140601:20140604"},
        "depends_on": {
            "clients": {"app_name": ["preprocess"], "client_id": "all"},
            "models": {"app_name": ["modelBuild"], "client_id": [1], "target": ["a"]},
        },
    },
}


# The environment's console script, else the module (both end in the same main()).
_SCRIPT = Path(sys.executable).with_name("stolos")
STOLOS_ARGV = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "stolos"]


class StolosCli:
    """A configuration file and the environment that points ``stolos`` at it."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.tasks = tmp / "tasks.json"
        validations = tmp / "validations.py"
        validations.write_text(VALIDATIONS)
        self.env = {
            "STOLOS_TASKS_JSON": str(self.tasks),
            "STOLOS_JOB_ID_VALIDATIONS": str(validations),
            "STOLOS_LOAD_PLUGINS": "core,json",
        }
        self.write(PIPELINE)

    def write(self, apps: Mapping[str, Any] | str) -> None:
        self.tasks.write_text(apps if isinstance(apps, str) else json.dumps(apps, indent=1))

    def invoke(self, *args: str) -> Result:
        """Run in-process; a StolosError surfaces as ``result.exception``."""
        return CliRunner().invoke(cli, list(args), env=self.env, catch_exceptions=True)

    def run(
        self, *args: str, env: Mapping[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Run ``stolos`` as a real process, as a user would."""
        return subprocess.run(
            [*STOLOS_ARGV, *args],
            env={**os.environ, **self.env, **(env or {})},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
