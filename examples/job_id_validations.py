"""job_id validations of the example pipeline, in the original Stolos format.

Each function takes an identifier's text from a job_id and returns its typed value, or
raises when the text is not valid. Values written in ``tasks.json`` (autofill values,
``valid_if_or``, ``depends_on`` restrictions) are compared with these typed values, so
dates and client ids appear there as numbers.
"""

from __future__ import annotations

import datetime


def date(text: str) -> int:
    """A calendar date written ``YYYYMMDD``, e.g. ``"20260101"`` -> ``20260101``."""
    value = str(text)
    if len(value) != 8 or not value.isdigit():
        raise ValueError(f"date {value!r} is not written YYYYMMDD")
    datetime.date(int(value[:4]), int(value[4:6]), int(value[6:]))  # raises on a non-date
    return int(value)


JOB_ID_VALIDATIONS = {
    "date": date,
    "client_id": int,
    "model": str,
}
