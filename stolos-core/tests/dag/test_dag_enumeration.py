"""Autofill values, enumeration of an app's job_ids, and streaming of large groups."""

from __future__ import annotations

import tracemalloc
from itertools import islice

import pytest
from dag_testing import make_resolver

from stolos.errors import ConfigError

BIG = 100_000


def test_autofill_values_expand_ranges_like_python_range() -> None:
    r = make_resolver(
        {
            "a": {
                "job_id": "{date}_{client_id}_{collection_name}",
                "autofill_values": {
                    "date": "20150101:20150105",
                    "client_id": "10:20:2",
                    "collection_name": ["profile", "purchase"],
                },
            },
            "b": {"job_id": "{client_id}", "autofill_values": {"client_id": "3"}},
        }
    )
    assert r.autofill_values("a", "date") == [20150101, 20150102, 20150103, 20150104]
    assert r.autofill_values("a", "client_id") == [10, 12, 14, 16, 18]
    assert r.autofill_values("a", "collection_name") == ["profile", "purchase"]
    assert r.autofill_values("b", "client_id") == [0, 1, 2]
    with pytest.raises(ConfigError) as info:
        r.autofill_values("b", "date")
    assert (info.value.app, info.value.key) == ("b", "autofill_values.date")


@pytest.mark.parametrize("bad", ["1:x", "1:5:0", {"from": 1}, 7])
def test_bad_autofill_values_are_located_errors(bad: object) -> None:
    r = make_resolver({"a": {"job_id": "{client_id}", "autofill_values": {"client_id": bad}}})
    with pytest.raises(ConfigError) as info:
        r.autofill_values("a", "client_id")
    assert (info.value.app, info.value.key) == ("a", "autofill_values.client_id")


def test_enumeration_is_the_cross_product_in_template_order() -> None:
    r = make_resolver(
        {
            "a": {
                "job_id": "{client_id}-{date}",
                "autofill_values": {"date": "20150101:20150103", "client_id": [7, 3]},
            }
        }
    )
    assert list(r.enumerate_job_ids("a")) == [
        "7-20150101",
        "7-20150102",
        "3-20150101",
        "3-20150102",
    ]


@pytest.mark.parametrize(
    ("autofill", "state"),
    [({"date": [20150101]}, "not declared"), ({"date": [1], "client_id": []}, "empty")],
)
def test_enumeration_needs_values_for_every_identifier(
    autofill: dict[str, object], state: str
) -> None:
    r = make_resolver({"a": {"job_id": "{date}_{client_id}", "autofill_values": autofill}})
    with pytest.raises(ConfigError, match=state) as info:
        r.enumerate_job_ids("a")
    assert (info.value.app, info.value.key) == ("a", "autofill_values.client_id")


def test_enumeration_streams_a_large_range() -> None:
    r = make_resolver(
        {"a": {"job_id": "{client_id}", "autofill_values": {"client_id": f"0:{BIG}"}}}
    )
    assert list(islice(r.enumerate_job_ids("a"), 3)) == ["0", "1", "2"]


def all_over_big_range() -> dict[str, object]:
    return {
        "a": {"job_id": "{date}_{client_id}", "autofill_values": {"client_id": f"0:{BIG}"}},
        "b": {"job_id": "{date}", "depends_on": {"app_name": ["a"], "client_id": "all"}},
    }


def test_parents_of_an_all_group_stream_without_materializing() -> None:
    r = make_resolver(all_over_big_range())
    r.parents("b", "20140601")  # compile the group before measuring
    tracemalloc.start()
    try:
        stream = r.parents("b", "20140601")
        first = next(stream)
        after_first = tracemalloc.get_traced_memory()[1]
        count = 1 + sum(1 for _ in stream)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert (first.app_name, first.job_id) == ("a", "20140601_0")
    assert count == BIG
    # A list of 100,000 job_ids alone would take several MB.
    assert after_first < 64_000
    assert peak < 256_000


def test_children_of_a_fan_out_stream_without_materializing() -> None:
    r = make_resolver(
        {
            "a": {"job_id": "{date}"},
            "b": {
                "job_id": "{date}_{client_id}",
                "autofill_values": {"client_id": f"0:{BIG}"},
                "depends_on": {"app_name": ["a"]},
            },
        }
    )
    list(r.children("a", "20140601"))  # compile the routes before measuring
    tracemalloc.start()
    try:
        count = sum(1 for _ in r.children("a", "20140601"))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert count == BIG
    assert peak < 256_000
