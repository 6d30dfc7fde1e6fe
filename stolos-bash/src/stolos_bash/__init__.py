"""The ``bash`` job type for Stolos: run each job's ``bash_cmd`` with ``bash -c``.

An app opts in with ``"job_type": "bash"`` (the default) and a ``bash_cmd`` template such
as ``"process --date {date} {job_id}"``.  Values from the job are shell-quoted, so a
job_id cannot inject a command.  Output goes to the job's log file.
"""

from stolos_bash.jobtype import BashJobType
from stolos_bash.template import CommandTemplate

__all__ = ["BashJobType", "CommandTemplate"]
