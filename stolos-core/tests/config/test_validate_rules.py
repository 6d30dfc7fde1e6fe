"""Every kind of configuration problem is found, in one pass, and located by file, app and
key path.  Each test writes a small broken configuration to a temporary file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from stolos import Stolos
from stolos.errors import ConfigError, ConfigInvalid, StolosError, UnknownApp, UnknownJobType

MakeStolos = Callable[..., Stolos]  # the make_stolos fixture
DATED = {"job_id": "{date}_{client_id}", "job_type": "noop"}


def problem_at(problems: list[StolosError], app: str | None, key: str | None) -> StolosError:
    """The one problem reported at ``app`` and ``key``; its text names file, app and key."""
    found = [p for p in problems if p.app == app and p.key == key]
    assert len(found) == 1, f"expected one problem at {app}/{key}, got: {problems}"
    problem = found[0]
    assert isinstance(problem, ConfigError)
    text = str(problem)
    if app is not None:
        assert problem.file is not None and text.startswith(problem.file + ": ")
        assert f"app {app!r}" in text
    if key is not None:
        assert f"key {key!r}" in text
    return problem


def check(make_stolos: MakeStolos, apps: dict[str, Any], **env: str) -> list[StolosError]:
    stolos = make_stolos(apps, **env)
    problems = stolos.check()
    source = stolos.load_config().source
    assert all(p.file == source for p in problems if p.app is not None)
    return problems


# --- a valid configuration ------------------------------------------------------------


@pytest.fixture
def rules_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "weekday_rules.py").write_text(
        "def is_weekday(app_name, date, **identifiers):\n    return True\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    return "weekday_rules.is_weekday"


def realistic(func: str) -> dict[str, Any]:
    """Every form of depends_on, autofill_values and valid_if_or, as a user writes them."""
    return {
        "preprocess": {
            **DATED,
            "autofill_values": {"client_id": [1, 2, 3]},
            "max_retry": 3,
            "retry_delay": 1.5,
            "retry_delay_max": 60,
            "timeout": 600,
        },
        "modelBuild": {
            "job_id": "{date}_{client_id}_{target}",
            "job_type": "noop",
            "autofill_values": {"target": ["purchase", "click"]},
            "depends_on": {"app_name": ["preprocess"]},
        },
        "modelBuild2": {
            "job_id": "{client_id}_{target}",
            "job_type": "noop",
            "autofill_values": {"target": ["purchase"]},
            "depends_on": {"app_name": ["preprocess"], "date": [20140601, 20140501]},
        },
        "report": {
            "job_id": "{date}",
            "job_type": "noop",
            "depends_on": {"app_name": ["preprocess"], "client_id": "all"},
            "valid_if_or": {"_func": func},
        },
        "collect": {
            "job_id": "{date}_{client_id}_{collection_name}",
            "job_type": "checked",
            "command": "collect {date}",
            "autofill_values": {"collection_name": ["profile", "purchase"]},
            "depends_on": {"app_name": ["preprocess"]},
            "valid_if_or": {"collection_name": ["profile"], "date": ["20140601"]},
        },
        "ranged": {
            "job_id": "{date}",
            "job_type": "noop",
            "autofill_values": {"date": "20150101:20150105"},
        },
        "summary": {
            "job_id": "{date}_{testID}",
            "job_type": "noop",
            "autofill_values": {"testID": []},
            "depends_on": {
                "by_client": [
                    {
                        "app_name": ["modelBuild"],
                        "client_id": [1, 2],
                        "target": ["purchase"],
                        "date": [20140601],
                        "testID": ["t1"],
                    },
                    {
                        "app_name": ["modelBuild"],
                        "client_id": [3],
                        "target": ["click"],
                        "date": [20140601],
                        "testID": ["t1"],
                    },
                    {"app_name": ["preprocess"], "job_id": ["20140601_1"], "testID": ["t1"]},
                ],
                "daily": {"app_name": ["ranged"], "testID": ["t2"]},
            },
        },
    }


def test_a_realistic_configuration_is_valid(make_stolos: MakeStolos, rules_module: str) -> None:
    stolos = make_stolos(realistic(rules_module))
    assert stolos.check() == []
    assert sorted(stolos.config) == sorted(realistic(rules_module))


def test_every_problem_is_reported_in_one_pass(make_stolos: MakeStolos) -> None:
    apps = {
        "a": {**DATED, "max_retry": 0},
        "b": {**DATED, "depends_on": {"app_name": ["nope"]}},
        "c": {**DATED, "autofill_values": {"zzz": [1]}},
    }
    problems = check(make_stolos, apps)
    assert [(p.app, p.key) for p in problems] == [
        ("a", "max_retry"),
        ("b", "depends_on.app_name"),
        ("c", "autofill_values.zzz"),
    ]
    with pytest.raises(ConfigInvalid) as raised:
        make_stolos(apps).config  # noqa: B018
    assert len(raised.value.problems) == 3


# --- the schema ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("app", "key", "words"),
    [
        ({"max_retry": 0}, "max_retry", "minimum of 1"),
        ({"retry_delay": -1}, "retry_delay", "minimum of 0"),
        ({"timeout": 0}, "timeout", "0"),
        ({"job_type": 5}, "job_type", "not of type 'string'"),
        ({"depends_on": {"app_name": "p"}}, "depends_on.app_name", "not of type 'array'"),
        ({"depends_on": {"g": {"date": [20140601]}}}, "depends_on.g.app_name", "required"),
        (
            {"depends_on": {"g": [{"app_name": ["p"]}, {"app_name": ["p"], "date": "x"}]}},
            "depends_on.g[1].date",
            "'x'",
        ),
        ({"valid_if_or": {"date": 20140601}}, "valid_if_or.date", "not of type 'array'"),
        ({"valid_if_or": {"_func": "nodots"}}, "valid_if_or._func", "nodots"),
        ({"autofill_values": {"client_id": {"a": 1}}}, "autofill_values.client_id", "not of type"),
    ],
)
def test_schema_violations_are_located(
    make_stolos: MakeStolos, app: dict[str, Any], key: str, words: str
) -> None:
    problems = check(make_stolos, {"p": DATED, "c": {**DATED, **app}})
    assert words in problem_at(problems, "c", key).message


def test_an_app_that_is_not_a_mapping(make_stolos: MakeStolos) -> None:
    problems = check(make_stolos, {"a": ["job_id"], "b": DATED})
    assert "must be a mapping" in problem_at(problems, "a", None).message
    assert len(problems) == 1


def test_job_id_template_is_reported_with_its_correction(make_stolos: MakeStolos) -> None:
    problems = check(
        make_stolos, {"a": {"job_id_template": "{date}", "job_id": "{date}", "job_type": "noop"}}
    )
    problem = problem_at(problems, "a", "job_id_template")
    assert problem.message == "unknown key job_id_template; did you mean job_id?"


@pytest.mark.parametrize(
    ("template", "words"),
    [("{date}{client_id}", "separated"), ("{date", "bad job_id template"), ("{0}_{a}", "plain")],
)
def test_job_id_templates_that_do_not_compile(
    make_stolos: MakeStolos, template: str, words: str
) -> None:
    problems = check(make_stolos, {"a": {"job_id": template, "job_type": "noop"}})
    assert words in problem_at(problems, "a", "job_id").message


def test_an_app_without_any_template(make_stolos: MakeStolos) -> None:
    problems = check(make_stolos, {"a": {"job_type": "noop"}})
    assert "STOLOS_JOB_ID_DEFAULT_TEMPLATE" in problem_at(problems, "a", "job_id").message
    assert (
        check(make_stolos, {"a": {"job_type": "noop"}}, STOLOS_JOB_ID_DEFAULT_TEMPLATE="{date}")
        == []
    )


# --- autofill_values -------------------------------------------------------------------


def test_autofill_keys_must_be_template_identifiers(make_stolos: MakeStolos) -> None:
    problems = check(make_stolos, {"a": {**DATED, "autofill_values": {"target": ["x"]}}})
    message = problem_at(problems, "a", "autofill_values.target").message
    assert "'target' is not an identifier" in message and "date, client_id" in message


@pytest.mark.parametrize("bad", ["1:x", "10", "1:2:3:4", "-1:5", "0:10:0", "a:b"])
def test_bad_range_strings(make_stolos: MakeStolos, bad: str) -> None:
    problems = check(make_stolos, {"a": {**DATED, "autofill_values": {"client_id": bad}}})
    message = problem_at(problems, "a", "autofill_values.client_id").message
    assert repr(bad) in message and "start:stop[:step]" in message


@pytest.mark.parametrize("good", ["1:5", "20150101:20150105", "0:10:2"])
def test_good_range_strings(make_stolos: MakeStolos, good: str) -> None:
    assert check(make_stolos, {"a": {**DATED, "autofill_values": {"client_id": good}}}) == []


def test_autofill_values_must_be_what_the_validator_gives(make_stolos: MakeStolos) -> None:
    problems = check(make_stolos, {"a": {**DATED, "autofill_values": {"client_id": ["7"]}}})
    assert "write 7" in problem_at(problems, "a", "autofill_values.client_id").message


# --- depends_on ------------------------------------------------------------------------


def test_unknown_parent_app(make_stolos: MakeStolos) -> None:
    apps = {"p": DATED, "c": {**DATED, "depends_on": {"g": {"app_name": ["p", "ghost"]}}}}
    problem = problem_at(check(make_stolos, apps), "c", "depends_on.g.app_name")
    assert isinstance(problem, UnknownApp)
    assert "unknown parent app 'ghost'" in problem.message and "c, p" in problem.message


def test_cycles_are_printed(make_stolos: MakeStolos) -> None:
    def on(*parents: str) -> dict[str, Any]:
        return {**DATED, "depends_on": {"app_name": list(parents)}}

    apps = {"a": on("c"), "b": on("a"), "c": on("b"), "d": on("d"), "e": on("a")}
    problems = check(make_stolos, apps)
    assert problem_at(problems, "a", "depends_on").message.endswith("a -> b -> c -> a")
    assert problem_at(problems, "d", "depends_on").message.endswith("d -> d")
    assert len(problems) == 2


def test_all_needs_parent_autofill_values(make_stolos: MakeStolos) -> None:
    apps = {
        "with": {**DATED, "autofill_values": {"client_id": [1, 2]}},
        "without": DATED,
        "c": {
            "job_id": "{date}",
            "job_type": "noop",
            "depends_on": {"app_name": ["with", "without"], "client_id": "all"},
        },
    }
    message = problem_at(check(make_stolos, apps), "c", "depends_on.client_id").message
    assert message == "'all' needs autofill_values.client_id on parent 'without'"


def test_group_names_may_not_be_app_names(make_stolos: MakeStolos) -> None:
    apps = {"p": DATED, "c": {**DATED, "depends_on": {"p": {"app_name": ["p"]}}}}
    message = problem_at(check(make_stolos, apps), "c", "depends_on.p").message
    assert "has the name of an app" in message


def test_inconsistent_and_lists(make_stolos: MakeStolos) -> None:
    apps = {
        "p": DATED,
        "c": {
            **DATED,
            "depends_on": {
                "g": [
                    {"app_name": ["p"], "date": [20140601]},
                    {"app_name": ["p"], "date": [20140602]},
                    {"app_name": ["p"], "job_id": ["20140603_1"]},
                ]
            },
        },
    }
    message = problem_at(check(make_stolos, apps), "c", "depends_on.g").message
    assert "different values for 'date'" in message
    assert "depends_on.g[0]: [20140601]; depends_on.g[1]: [20140602]" in message


def test_three_identical_and_sub_mappings_are_consistent(make_stolos: MakeStolos) -> None:
    """The original's reduce(==) rejected three identical sub-mappings (B8)."""
    sub = {"app_name": ["p"], "date": [20140601], "client_id": [1]}
    apps = {"p": DATED, "c": {**DATED, "depends_on": {"g": [sub, sub, sub]}}}
    assert check(make_stolos, apps) == []


def test_only_app_name_needs_every_parent_identifier(make_stolos: MakeStolos) -> None:
    apps = {
        "p": DATED,
        "c": {"job_id": "{date}", "job_type": "noop", "depends_on": {"app_name": ["p"]}},
    }
    message = problem_at(check(make_stolos, apps), "c", "depends_on").message
    assert "parent 'p'" in message and "client_id" in message and "lacks" in message


def test_child_identifiers_a_parent_lacks_must_be_given(make_stolos: MakeStolos) -> None:
    apps = {
        "p": {"job_id": "{date}", "job_type": "noop"},
        "c": {**DATED, "depends_on": {"g": [{"app_name": ["p"], "date": [20140601]}]}},
        "ok_listed": {**DATED, "depends_on": {"app_name": ["p"], "client_id": [1]}},
        "ok_autofill": {
            **DATED,
            "autofill_values": {"client_id": [1]},
            "depends_on": {"app_name": ["p"]},
        },
    }
    problems = check(make_stolos, apps)
    message = problem_at(problems, "c", "depends_on.g[0]").message
    assert "identifiers client_id of this app are not in parent 'p'" in message
    assert len(problems) == 1


def test_the_group_name_identifier_needs_no_values(make_stolos: MakeStolos) -> None:
    apps = {
        "p": {"job_id": "{date}", "job_type": "noop"},
        "c": {
            "job_id": "{date}_{dependency_group_name}",
            "job_type": "noop",
            "depends_on": {"g1": {"app_name": ["p"]}, "g2": {"app_name": ["p"]}},
        },
    }
    stolos = make_stolos(apps)
    assert stolos.check() == []
    assert [tuple(d) for d in stolos.get_parents("c", "20140601_g2")] == [("p", "20140601", "g2")]


def test_list_values_without_duplicates(make_stolos: MakeStolos) -> None:
    apps = {"p": DATED, "c": {**DATED, "depends_on": {"app_name": ["p"], "client_id": [1, 1]}}}
    message = problem_at(check(make_stolos, apps), "c", "depends_on.client_id").message
    assert "non-unique" in message


def test_values_must_be_what_the_validator_gives(make_stolos: MakeStolos) -> None:
    apps = {
        "p": DATED,
        "c": {**DATED, "depends_on": {"g": {"app_name": ["p"], "date": ["20140601"]}}},
    }
    problem = problem_at(check(make_stolos, apps), "c", "depends_on.g.date")
    assert problem.message == (
        "value '20140601' is a string but the date validator gives 20140601 (an int); "
        "write 20140601"
    )


def test_values_of_identifiers_without_validator_must_be_strings(make_stolos: MakeStolos) -> None:
    """Parsed job_ids give such identifiers as text: an int would silently match nothing."""
    targeted = {"job_id": "{date}_{target}", "job_type": "noop"}
    apps = {
        "p": targeted,
        "c": {**targeted, "depends_on": {"app_name": ["p"], "target": [3, "x"]}},
        "r": {**targeted, "autofill_values": {"target": "1:4"}},
        "v": {**targeted, "valid_if_or": {"target": [7, "y"]}},
    }
    problems = check(make_stolos, apps)
    assert problem_at(problems, "c", "depends_on.target").message == (
        "value 3 is an int but target has no validator, so job_ids give it as the string '3'; "
        'write "3" or add a target validator'
    )
    message = problem_at(problems, "r", "autofill_values.target").message
    assert message.startswith("the range '1:4' gives ints, but target has no validator")
    assert "value 7 is an int" in problem_at(problems, "v", "valid_if_or.target").message
    assert len(problems) == 3


def test_values_the_validator_rejects(make_stolos: MakeStolos) -> None:
    apps = {"p": DATED, "c": {**DATED, "depends_on": {"app_name": ["p"], "date": [20141345]}}}
    message = problem_at(check(make_stolos, apps), "c", "depends_on.date").message
    assert "20141345 is rejected by the date validator" in message


def test_identifiers_of_no_template(make_stolos: MakeStolos) -> None:
    apps = {"p": DATED, "c": {**DATED, "depends_on": {"app_name": ["p"], "clientid": [1]}}}
    message = problem_at(check(make_stolos, apps), "c", "depends_on.clientid").message
    assert "neither this app's job_id template nor any parent's" in message


def test_explicit_parent_job_ids_must_fit_the_parent(make_stolos: MakeStolos) -> None:
    apps = {
        "p": DATED,
        "c": {**DATED, "depends_on": {"app_name": ["p"], "job_id": ["20140601_1", "nonsense"]}},
    }
    message = problem_at(check(make_stolos, apps), "c", "depends_on.job_id").message
    assert "'nonsense' is not a job_id of parent 'p'" in message


# --- valid_if_or -----------------------------------------------------------------------


def test_valid_if_or_keys_and_values(make_stolos: MakeStolos) -> None:
    apps = {"a": {**DATED, "valid_if_or": {"target": ["x"], "date": ["2014"]}}}
    problems = check(make_stolos, apps)
    assert "not an identifier" in problem_at(problems, "a", "valid_if_or.target").message
    assert "rejected by the date validator" in problem_at(problems, "a", "valid_if_or.date").message


@pytest.mark.parametrize(
    ("func", "words"),
    [
        ("no_such_module_x.f", "cannot import module 'no_such_module_x'"),
        ("os.path.no_such_function", "has no function 'no_such_function'"),
        ("os.sep", "has no function 'sep'"),
    ],
)
def test_valid_if_or_func_must_be_importable(
    make_stolos: MakeStolos, func: str, words: str
) -> None:
    problems = check(make_stolos, {"a": {**DATED, "valid_if_or": {"_func": func}}})
    assert words in problem_at(problems, "a", "valid_if_or._func").message


# --- job types -------------------------------------------------------------------------


def test_unknown_job_type_is_reported_but_tolerated_by_queries(make_stolos: MakeStolos) -> None:
    apps = {"a": {"job_id": "{date}", "job_type": "no_such_type"}, "b": {"job_id": "{date}"}}
    stolos = make_stolos(apps, STOLOS_LOAD_PLUGINS="core,json")
    problems = stolos.check()
    first = problem_at(problems, "a", "job_type")
    assert isinstance(first, UnknownJobType)
    assert "'no_such_type'" in first.message and "noop (from stolos-core)" in first.message
    assert isinstance(problem_at(problems, "b", "job_type"), UnknownJobType)  # bash by default
    assert sorted(stolos.config) == ["a", "b"]


def test_unknown_job_type_does_not_hide_other_problems(make_stolos: MakeStolos) -> None:
    stolos = make_stolos({"a": {"job_id": "{date}", "job_type": "nope", "max_retry": 0}})
    with pytest.raises(ConfigInvalid) as raised:
        stolos.config  # noqa: B018
    assert [p.key for p in raised.value.problems] == ["max_retry"]


def test_job_type_app_schema_and_check_app(make_stolos: MakeStolos) -> None:
    apps = {
        "no_command": {**DATED, "job_type": "checked"},
        "bad_command": {**DATED, "job_type": "checked", "command": "echo {nonsense}"},
        "good": {**DATED, "job_type": "checked", "command": "echo {date}"},
    }
    problems = check(make_stolos, apps)
    message = problem_at(problems, "no_command", "command").message
    assert message == "job type 'checked': 'command' is a required property"
    assert "{nonsense}" in problem_at(problems, "bad_command", "command").message
    assert len(problems) == 2


# --- options the validation needs ------------------------------------------------------


def test_a_validations_module_that_cannot_be_imported(make_stolos: MakeStolos) -> None:
    problems = check(make_stolos, {"a": DATED}, STOLOS_JOB_ID_VALIDATIONS="no_such_module_y")
    problem = problem_at(problems, None, "job_id_validations")
    assert "no_such_module_y" in problem.message
