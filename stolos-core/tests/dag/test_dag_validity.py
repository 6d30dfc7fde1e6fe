"""valid_if_or: which job_ids are skipped, and why."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from dag_testing import make_resolver

from stolos.errors import ConfigError, InvalidJobId

CALLS: list[tuple[str, dict[str, Any]]] = []


def friday_or_sunday_for_1111(app_name: str, **identifiers: Any) -> bool:
    """The original's example: valid iff client 1111 on a Friday or a Sunday."""
    CALLS.append((app_name, identifiers))
    day = dt.datetime.strptime(str(identifiers["date"]), "%Y%m%d").strftime("%A")
    return identifiers["client_id"] == 1111 and day in ("Friday", "Sunday")


def explode(app_name: str, **identifiers: Any) -> bool:
    raise KeyError("region")


FUNC = f"{__name__}.friday_or_sunday_for_1111"


def resolver(valid_if_or: Any) -> Any:
    return make_resolver({"app": {"valid_if_or": valid_if_or}})


def test_any_listed_value_makes_a_job_valid() -> None:
    r = resolver({"collection_name": ["profile", "purchase"], "client_id": ["1111"]})
    assert r.skip_reason("app", "20140606_876_profile") is None
    assert r.skip_reason("app", "20140606_1111_content") is None  # "1111" validated to 1111
    reason = r.skip_reason("app", "20140606_876_content")
    assert reason is not None
    assert "collection_name is 'content', not one of 'profile', 'purchase'" in reason
    assert "client_id is 876, not one of 1111" in reason


def test_func_is_called_with_the_app_and_typed_identifiers() -> None:
    r = resolver({"_func": FUNC})
    CALLS.clear()
    assert r.skip_reason("app", "20140606_1111_profile") is None  # a Friday
    assert CALLS == [("app", {"date": 20140606, "client_id": 1111, "collection_name": "profile"})]
    reason = r.skip_reason("app", "20140605_1111_profile")  # a Thursday
    assert reason == f"{FUNC} returned False"


def test_func_or_listed_values() -> None:
    r = resolver({"_func": FUNC, "collection_name": ["content"]})
    assert r.skip_reason("app", "20140605_1111_content") is None
    assert r.skip_reason("app", "20140606_1111_profile") is None
    assert r.skip_reason("app", "20140605_1111_profile") is not None


@pytest.mark.parametrize("valid_if_or", [None, {}, ["collection_name"]])
def test_no_criteria_means_valid(valid_if_or: Any) -> None:
    r = resolver(valid_if_or) if valid_if_or is not None else make_resolver({"app": {}})
    assert r.skip_reason("app", "20140605_1_content") is None


@pytest.mark.parametrize(
    ("valid_if_or", "key", "message"),
    [
        ({"region": ["eu"]}, "valid_if_or.region", "not an identifier"),
        ({"date": "20140101"}, "valid_if_or.date", "must be a list"),
        ({"date": ["2014-01-01"]}, "valid_if_or.date", "invalid"),
        ({"_func": "nodots"}, "valid_if_or._func", "import path"),
        ({"_func": "no_such_module_xyz.f"}, "valid_if_or._func", "cannot import"),
        ({"_func": f"{__name__}.missing"}, "valid_if_or._func", "no function"),
        ({"_func": f"{__name__}.explode"}, "valid_if_or._func", "raised KeyError"),
    ],
)
def test_misconfigured_valid_if_or_is_a_located_error(
    valid_if_or: Any, key: str, message: str
) -> None:
    with pytest.raises(ConfigError, match=message) as info:
        resolver(valid_if_or).skip_reason("app", "20140605_1_content")
    assert (info.value.app, info.value.key) == ("app", key)


def test_invalid_job_id() -> None:
    with pytest.raises(InvalidJobId) as info:
        resolver({"collection_name": ["content"]}).skip_reason("app", "20140605_x_content")
    assert info.value.app == "app"
