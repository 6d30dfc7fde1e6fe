"""Options: explicit value > STOLOS_<NAME> environment variable > schema default, with
environment strings coerced to the declared type."""

from __future__ import annotations

from typing import Any

import pytest

from stolos.errors import OptionError
from stolos.options import CORE_OPTIONS, env_name, resolve

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "flag": {"type": "boolean", "default": True},
        "count": {"type": "integer", "default": 2, "minimum": 1},
        "delay": {"type": "number", "default": 0.5},
        "words": {"type": ["array", "null"], "items": {"type": "string"}, "default": None},
        "pairs": {"type": "object", "default": {}},
        "name": {"type": "string"},
    },
}


@pytest.mark.parametrize("raw", ["0", "false", "False", "no", "off", "", " NO "])
def test_false_words_are_false(raw: str) -> None:
    assert resolve(SCHEMA, environ={"STOLOS_FLAG": raw})["flag"] is False


@pytest.mark.parametrize("raw", ["1", "true", "yes", "on", "anything"])
def test_other_words_are_true(raw: str) -> None:
    assert resolve(SCHEMA, environ={"STOLOS_FLAG": raw})["flag"] is True


def test_numbers_arrays_and_objects_are_coerced() -> None:
    values = resolve(
        SCHEMA,
        environ={
            "STOLOS_COUNT": "7",
            "STOLOS_DELAY": "2.5",
            "STOLOS_WORDS": "echo 'a b' \"c d\" e",
            "STOLOS_PAIRS": "spark.cores=2 x=y=z",
        },
    )
    assert values["count"] == 7 and values["delay"] == 2.5
    assert values["words"] == ["echo", "a b", "c d", "e"]
    assert values["pairs"] == {"spark.cores": "2", "x": "y=z"}
    assert resolve(SCHEMA, environ={"STOLOS_PAIRS": '{"a": 1}'})["pairs"] == {"a": 1}


def test_explicit_beats_environment_beats_default() -> None:
    assert resolve(SCHEMA)["count"] == 2
    assert resolve(SCHEMA, environ={"STOLOS_COUNT": "3"})["count"] == 3
    assert resolve(SCHEMA, {"count": 4}, {"STOLOS_COUNT": "3"})["count"] == 4
    assert resolve(SCHEMA, {"count": "5"})["count"] == 5  # a command-line string is coerced
    assert resolve(SCHEMA, {"count": None}, {"STOLOS_COUNT": "3"})["count"] == 3
    assert "name" not in resolve(SCHEMA)


def test_a_bad_int_names_the_variable() -> None:
    with pytest.raises(OptionError) as raised:
        resolve(CORE_OPTIONS, environ={"STOLOS_MAX_RETRY": "many"})
    assert "STOLOS_MAX_RETRY='many'" in str(raised.value)
    assert raised.value.key == "max_retry"


def test_a_value_the_schema_rejects_names_its_origin() -> None:
    with pytest.raises(OptionError) as raised:
        resolve(CORE_OPTIONS, environ={"STOLOS_MAX_RETRY": "0"})
    assert "STOLOS_MAX_RETRY='0'" in str(raised.value) and "minimum" in str(raised.value)
    with pytest.raises(OptionError, match="--max_retry"):
        resolve(CORE_OPTIONS, {"max_retry": 0})


def test_every_core_option_has_a_default_and_a_description() -> None:
    values = resolve(CORE_OPTIONS)
    for name, prop in CORE_OPTIONS["properties"].items():
        assert values[name] == prop["default"]
        assert prop["description"]
        assert env_name(name) == "STOLOS_" + name.upper()
