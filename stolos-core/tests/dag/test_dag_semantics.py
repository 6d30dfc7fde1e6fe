"""How depends_on is interpreted, one rule at a time, on small configurations."""

from __future__ import annotations

from typing import Any

import pytest
from dag_testing import make_resolver, triples

from stolos.errors import ConfigError, InvalidJobId, UnknownApp

DAY = {"job_id": "{date}"}
DAY_CLIENT = {"job_id": "{date}_{client_id}"}


def config(**apps: dict[str, Any]) -> dict[str, Any]:
    return dict(apps)


# --- groups ----------------------------------------------------------------------------


def test_named_groups_are_cases_selected_by_the_child_job_id() -> None:
    """A group applies when the child's values are among the listed ones; its parents then
    take every listed value (the listed values replace the child's)."""
    r = make_resolver(
        config(
            a=DAY_CLIENT,
            b=DAY_CLIENT,
            c={
                "job_id": "{date}_{client_id}",
                "depends_on": {
                    "small": {"app_name": ["a"], "client_id": [1, 2]},
                    "big": {"app_name": ["b"], "client_id": [100]},
                },
            },
        )
    )
    assert triples(r.parents("c", "20140601_1")) == {
        ("a", "20140601_1", "small"),
        ("a", "20140601_2", "small"),
    }
    assert triples(r.parents("c", "20140601_100")) == {("b", "20140601_100", "big")}
    assert triples(r.children("a", "20140601_2")) == {
        ("c", "20140601_1", "small"),
        ("c", "20140601_2", "small"),
    }
    assert triples(r.children("b", "20140601_2")) == set()


def test_a_job_id_no_group_applies_to_has_no_parents() -> None:
    """B29, kept: such a job is runnable at once."""
    r = make_resolver(
        config(
            a=DAY_CLIENT,
            c={
                "job_id": "{date}_{client_id}",
                "depends_on": {"g": {"app_name": ["a"], "client_id": [1]}},
            },
        )
    )
    assert list(r.parents("c", "20140601_7")) == []
    assert triples(r.parents("c", "20140601_1")) == {("a", "20140601_1", "g")}


def test_every_group_that_applies_is_required() -> None:
    r = make_resolver(
        config(
            a=DAY_CLIENT,
            c={
                "job_id": "{client_id}",
                "depends_on": {
                    "one": {"app_name": ["a"], "client_id": [1], "date": [20140601]},
                    "any": {"app_name": ["a"], "client_id": [1, 2], "date": [20140101]},
                },
            },
        )
    )
    assert triples(r.parents("c", "1")) == {
        ("a", "20140601_1", "one"),
        ("a", "20140101_1", "any"),
        ("a", "20140101_2", "any"),
    }
    assert triples(r.parents("c", "2")) == {
        ("a", "20140101_1", "any"),
        ("a", "20140101_2", "any"),
    }


def test_and_list_applies_only_when_every_sub_mapping_does() -> None:
    r = make_resolver(
        config(
            a=DAY_CLIENT,
            b=DAY,
            c={
                "job_id": "{date}_{client_id}",
                "autofill_values": {"client_id": []},
                "depends_on": {
                    "both": [
                        {"app_name": ["a"], "client_id": [1, 2]},
                        {"app_name": ["b"], "client_id": [1, 2]},
                    ]
                },
            },
        )
    )
    assert triples(r.parents("c", "20140601_2")) == {
        ("a", "20140601_1", "both"),
        ("a", "20140601_2", "both"),
        ("b", "20140601", "both"),
    }
    assert list(r.parents("c", "20140601_3")) == []
    assert triples(r.children("b", "20140601")) == {
        ("c", "20140601_1", "both"),
        ("c", "20140601_2", "both"),
    }


def test_three_identical_and_sub_mappings_are_one_requirement() -> None:
    """B8: the original's validator rejected three identical sub-mappings."""
    sub = {"app_name": ["a"], "client_id": [1, 2]}
    one = make_resolver(config(a=DAY_CLIENT, c={**DAY_CLIENT, "depends_on": {"g": [sub]}}))
    three = make_resolver(
        config(a=DAY_CLIENT, c={**DAY_CLIENT, "depends_on": {"g": [sub, dict(sub), dict(sub)]}})
    )
    for job_id in ("20140601_1", "20140601_2", "20140601_3"):
        assert triples(three.parents("c", job_id)) == triples(one.parents("c", job_id))
    assert triples(three.children("a", "20140601_1")) == triples(one.children("a", "20140601_1"))
    assert triples(three.children("a", "20140601_1")) == {
        ("c", "20140601_1", "g"),
        ("c", "20140601_2", "g"),
    }


# --- identifiers ------------------------------------------------------------------------


def test_plain_group_passes_the_child_job_id_down() -> None:
    r = make_resolver(
        config(
            a=DAY,
            b={
                "job_id": "{date}_{client_id}",
                "autofill_values": {"client_id": [1, 2]},
                "depends_on": {"app_name": ["a"]},
            },
        )
    )
    assert triples(r.parents("b", "20140601_2")) == {("a", "20140601", "default")}
    assert triples(r.children("a", "20140601")) == {
        ("b", "20140601_1", "default"),
        ("b", "20140601_2", "default"),
    }


def test_plain_group_needs_every_parent_identifier_in_the_child() -> None:
    parent = {**DAY_CLIENT, "autofill_values": {"client_id": [1]}}
    r = make_resolver(config(a=parent, b={"job_id": "{date}", "depends_on": {"app_name": ["a"]}}))
    with pytest.raises(ConfigError, match="'client_id'") as info:
        r.parents("b", "20140601")
    assert (info.value.app, info.value.key, info.value.file) == ("b", "depends_on", "test.json")


def test_group_that_cannot_name_a_parent_identifier_never_applies() -> None:
    r = make_resolver(
        config(a=DAY_CLIENT, b={"job_id": "{date}", "depends_on": {"app_name": ["a"]}})
    )
    assert list(r.parents("b", "20140601")) == []
    assert list(r.children("a", "20140601_1")) == []


def test_listed_values_name_the_parents_the_child_cannot() -> None:
    r = make_resolver(
        config(
            a=DAY_CLIENT,
            b={
                "job_id": "{client_id}",
                "depends_on": {"app_name": ["a"], "date": [20140101, 20140102]},
            },
        )
    )
    assert triples(r.parents("b", "5")) == {
        ("a", "20140101_5", "default"),
        ("a", "20140102_5", "default"),
    }
    assert triples(r.children("a", "20140102_5")) == {("b", "5", "default")}
    assert list(r.children("a", "20140103_5")) == []


def test_configured_values_compare_with_validated_values() -> None:
    """A string date never equals the int the date validator returns (section 3.2.3)."""
    r = make_resolver(
        config(
            a=DAY,
            b={
                "job_id": "{date}_{client_id}",
                "depends_on": {"app_name": ["a"], "date": ["20140601"]},
            },
        )
    )
    assert list(r.parents("b", "20140601_1")) == []


def test_parent_identifier_without_a_source_is_a_configuration_error() -> None:
    r = make_resolver(
        config(
            a={**DAY_CLIENT, "autofill_values": {"client_id": [1]}},
            b={"job_id": "{date}", "depends_on": {"g": {"app_name": ["a"], "date": [20140601]}}},
        )
    )
    with pytest.raises(ConfigError, match="needs 'client_id'"):
        r.parents("b", "20140601")


def test_children_need_autofill_values_for_identifiers_the_parent_lacks() -> None:
    """As in the original, even when the group lists the values."""
    raw = config(
        a=DAY,
        b={"job_id": "{date}_{target}", "depends_on": {"app_name": ["a"], "target": ["x", "y"]}},
    )
    with pytest.raises(ConfigError, match="autofill_values") as info:
        make_resolver(raw).children("a", "20140601")
    assert (info.value.app, info.value.key) == ("b", "autofill_values")
    raw["b"]["autofill_values"] = {"target": []}
    assert triples(make_resolver(raw).children("a", "20140601")) == {
        ("b", "20140601_x", "default"),
        ("b", "20140601_y", "default"),
    }


# --- "all" and autofill values -----------------------------------------------------------


def test_all_streams_a_parent_range_in_both_directions() -> None:
    r = make_resolver(
        config(
            a={**DAY_CLIENT, "autofill_values": {"client_id": "10:20:5"}},
            b={"job_id": "{date}", "depends_on": {"app_name": ["a"], "client_id": "all"}},
        )
    )
    assert triples(r.parents("b", "20140601")) == {
        ("a", "20140601_10", "default"),
        ("a", "20140601_15", "default"),
    }
    assert triples(r.children("a", "20140601_15")) == {("b", "20140601", "default")}
    assert list(r.children("a", "20140601_12")) == []


def test_all_key_that_a_parent_lacks_is_dropped_for_that_parent() -> None:
    r = make_resolver(
        config(
            a={**DAY_CLIENT, "autofill_values": {"client_id": [1, 2]}},
            d=DAY,
            b={"job_id": "{date}", "depends_on": {"app_name": ["a", "d"], "client_id": "all"}},
        )
    )
    assert triples(r.parents("b", "20140601")) == {
        ("a", "20140601_1", "default"),
        ("a", "20140601_2", "default"),
        ("d", "20140601", "default"),
    }
    assert triples(r.children("d", "20140601")) == {("b", "20140601", "default")}


def test_all_needs_the_parents_autofill_values() -> None:
    r = make_resolver(
        config(
            a=DAY_CLIENT,
            b={"job_id": "{date}", "depends_on": {"app_name": ["a"], "client_id": "all"}},
        )
    )
    with pytest.raises(ConfigError, match="autofill_values.client_id") as info:
        r.parents("b", "20140601")
    assert (info.value.app, info.value.key) == ("b", "depends_on.client_id")
    with pytest.raises(ConfigError):
        r.children("a", "20140601_1")


def test_child_autofill_values_filter_both_directions() -> None:
    r = make_resolver(
        config(
            a=DAY,
            b={
                "job_id": "{date}_{client_id}",
                "autofill_values": {"client_id": "1:4"},
                "depends_on": {"app_name": ["a"]},
            },
        )
    )
    assert triples(r.children("a", "20140601")) == {
        ("b", f"20140601_{c}", "default") for c in (1, 2, 3)
    }
    assert list(r.parents("b", "20140601_4")) == []
    assert triples(r.parents("b", "20140601_3")) == {("a", "20140601", "default")}


# --- explicit job_ids (B9) --------------------------------------------------------------


def listed() -> dict[str, Any]:
    return config(
        a=DAY_CLIENT,
        b={
            "job_id": "{date}_{client_id}",
            "autofill_values": {"client_id": [7, 8]},
            "depends_on": {"app_name": ["a"], "job_id": ["20140101_1", "20140101_2"]},
        },
    )


def test_listed_job_ids_are_the_parents_whatever_the_child_identifiers() -> None:
    r = make_resolver(listed())
    expected = {("a", "20140101_1", "default"), ("a", "20140101_2", "default")}
    assert triples(r.parents("b", "20140601_7")) == expected
    assert triples(r.parents("b", "20990101_8")) == expected
    assert list(r.parents("b", "20140601_9")) == []  # 9 is not an autofill value of b


def test_a_listed_parent_job_leads_to_every_child_that_lists_it() -> None:
    """B9: the original returned only the child with the parent's own identifiers."""
    r = make_resolver(listed())
    assert triples(r.children("a", "20140101_2")) == {
        ("b", "20140101_7", "default"),
        ("b", "20140101_8", "default"),
    }
    assert list(r.children("a", "20140101_3")) == []
    for child in r.children("a", "20140101_2"):
        assert ("a", "20140101_2", "default") in triples(r.parents(child.app_name, child.job_id))


def test_listed_job_ids_take_values_from_the_and_list() -> None:
    r = make_resolver(
        config(
            a=DAY_CLIENT,
            c={
                "job_id": "{date}_{tag}",
                "autofill_values": {"tag": []},
                "depends_on": {
                    "g": [
                        {
                            "app_name": ["a"],
                            "date": [20140601],
                            "client_id": [1],
                            "tag": ["x", "y"],
                        },
                        {"app_name": ["a"], "job_id": ["20130101_5"], "tag": ["y", "z"]},
                    ]
                },
            },
        )
    )
    assert triples(r.children("a", "20130101_5")) == {("c", "20140601_y", "g")}
    assert ("a", "20130101_5", "g") in triples(r.parents("c", "20140601_y"))


def test_listed_job_ids_without_bounds_fall_back_to_the_parent_identifiers() -> None:
    r = make_resolver(
        config(
            a=DAY_CLIENT,
            b={**DAY_CLIENT, "depends_on": {"app_name": ["a"], "job_id": ["20140101_1"]}},
        )
    )
    assert triples(r.children("a", "20140101_1")) == {("b", "20140101_1", "default")}


def test_listed_job_id_of_the_wrong_shape_is_invalid() -> None:
    r = make_resolver(
        config(a=DAY_CLIENT, b={**DAY, "depends_on": {"app_name": ["a"], "job_id": ["oops"]}})
    )
    with pytest.raises(InvalidJobId, match="oops") as info:
        r.parents("b", "20140601")
    assert info.value.app == "a"


# --- filter_deps and job_id None --------------------------------------------------------


def test_filter_deps_names_must_exist() -> None:
    r = make_resolver(
        config(
            a=DAY, b={**DAY, "depends_on": {"g1": {"app_name": ["a"]}, "g2": {"app_name": ["a"]}}}
        )
    )
    assert {d.group for d in r.parents("b", "20140601", filter_deps=["g2"])} == {"g2"}
    with pytest.raises(ConfigError, match="'nope'") as info:
        r.parents("b", "20140601", filter_deps=["nope"])
    assert (info.value.app, info.value.key) == ("b", "depends_on")


def test_unnamed_group_answers_to_the_configured_default_name() -> None:
    raw = config(a=DAY, b={**DAY, "depends_on": {"app_name": ["a"]}})
    r = make_resolver(raw, default_group="main")
    assert triples(r.parents("b", "20140601", filter_deps=["main"])) == {("a", "20140601", "main")}
    assert triples(r.children("a", "20140601")) == {("b", "20140601", "main")}
    with pytest.raises(ConfigError):
        r.parents("b", "20140601", filter_deps=["default"])


def test_app_without_depends_on_has_no_parents_even_with_a_filter() -> None:
    r = make_resolver(config(a=DAY))
    assert list(r.parents("a", "20140601", filter_deps=["anything"])) == []
    assert list(r.parents("a", None)) == []


def test_job_id_none_is_refused_for_an_app_with_parents() -> None:
    r = make_resolver(config(a=DAY, b={**DAY, "depends_on": {"app_name": ["a"]}}))
    with pytest.raises(ConfigError, match="job_id is needed"):
        r.parents("b", None)


# --- dependency_group_name --------------------------------------------------------------


def test_dependency_group_name_identifier_selects_and_is_set_by_the_group() -> None:
    r = make_resolver(
        config(
            a=DAY_CLIENT,
            c={
                "job_id": "{date}_{dependency_group_name}",
                "depends_on": {
                    "first": {"app_name": ["a"], "client_id": [1]},
                    "second": {"app_name": ["a"], "client_id": [2]},
                },
            },
        )
    )
    assert triples(r.parents("c", "20140601_second")) == {("a", "20140601_2", "second")}
    assert triples(r.children("a", "20140601_2")) == {("c", "20140601_second", "second")}
    with pytest.raises(ConfigError, match="'third'"):
        r.parents("c", "20140601_third")


# --- bad input ---------------------------------------------------------------------------


def test_invalid_job_ids_name_the_app() -> None:
    r = make_resolver(config(a=DAY, b={**DAY, "depends_on": {"app_name": ["a"]}}))
    with pytest.raises(InvalidJobId) as info:
        r.parents("b", "2014-06-01")
    assert info.value.app == "b"
    with pytest.raises(InvalidJobId) as info:
        r.children("a", "20149999")
    assert info.value.app == "a"


def test_unknown_app() -> None:
    r = make_resolver(config(a=DAY))
    with pytest.raises(UnknownApp):
        r.parents("zzz", "20140601")
    with pytest.raises(UnknownApp):
        r.children("zzz", "20140601")


@pytest.mark.parametrize(
    ("depends_on", "key"),
    [
        ({"app_name": "a"}, "depends_on.app_name"),
        ({"app_name": ["a"], "date": 20140601}, "depends_on.date"),
        ({"g": "a"}, "depends_on.g"),
        ({"g": [{"app_name": ["a"]}, "a"]}, "depends_on.g[1]"),
        (["a"], "depends_on"),
    ],
)
def test_malformed_depends_on_is_a_located_error(depends_on: Any, key: str) -> None:
    r = make_resolver(config(a=DAY, b={**DAY, "depends_on": depends_on}))
    with pytest.raises(ConfigError) as info:
        r.parents("b", "20140601")
    assert (info.value.file, info.value.app, info.value.key) == ("test.json", "b", key)


def test_an_inherited_parent_job_id_must_be_valid_and_fails_at_the_call() -> None:
    """The child's tag "a_b" makes the parent job_id "a_b_20140601", whose date is "b_..."."""
    r = make_resolver(
        config(
            p={"job_id": "{tag}_{date}"},
            c={"job_id": "{date}-{tag}", "depends_on": {"app_name": ["p"]}},
        )
    )
    assert triples(r.parents("c", "20140601-a")) == {("p", "a_20140601", "default")}
    with pytest.raises(InvalidJobId) as info:
        r.parents("c", "20140601-a_b")  # raised by the call, not while iterating
    assert info.value.app == "p"


def test_a_named_group_may_have_the_default_name() -> None:
    r = make_resolver(
        config(
            a=DAY,
            b={**DAY, "depends_on": {"default": {"app_name": ["a"]}, "x": {"app_name": ["a"]}}},
        )
    )
    assert triples(r.children("a", "20140601")) == {
        ("b", "20140601", "default"),
        ("b", "20140601", "x"),
    }
    assert triples(r.parents("b", "20140601")) == {
        ("a", "20140601", "default"),
        ("a", "20140601", "x"),
    }
