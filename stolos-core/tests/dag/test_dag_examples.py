"""The worked examples of the original's pipeline (its ``tasks.json`` and test suite):
the exact parents and children sets it answered."""

from __future__ import annotations

import pytest
from dag_testing import Triples, triples

from stolos.dag import Dependency, DependencyResolver


def parents(
    r: DependencyResolver, app: str, job_id: str, filter_deps: tuple[str, ...] = ()
) -> Triples:
    return triples(r.parents(app, job_id, filter_deps))


def children(r: DependencyResolver, app: str, job_id: str) -> Triples:
    return triples(r.children(app, job_id))


def test_inherited_job_ids(examples: DependencyResolver) -> None:
    assert parents(examples, "app4", "20140601_876_profile") == {
        ("app1", "20140601_876_profile", "default"),
        ("app2", "20140601_876_profile", "default"),
        ("app3", "20140601_876_profile", "default"),
    }
    assert parents(examples, "bash2", "20140501_876_profile") == {
        ("bash1", "20140501_876_profile", "default")
    }
    assert children(examples, "bash1", "20140601_9899_purchase") == {
        ("bash2", "20140601_9899_purchase", "default")
    }
    assert children(examples, "bash2", "20140601_9899_purchase") == set()


def test_children_of_app1_reach_every_compatible_group(examples: DependencyResolver) -> None:
    assert children(examples, "app1", "20140601_876_profile") == {
        ("app2", "20140601_876_profile", "default"),
        ("app4", "20140601_876_profile", "default"),
        ("depends_on1", "20140601_testID1", "depgrp1"),
        ("depends_on1", "20140601_testID3", "depgrp3"),
    }
    assert children(examples, "app1", "20140601_999_purchase") == {
        ("app2", "20140601_999_purchase", "default"),
        ("app4", "20140601_999_purchase", "default"),
        ("depends_on1", "20140601_testID1", "depgrp1"),
    }
    assert children(examples, "depends_on2", "20140601_876_profile") == {
        ("depends_on1", "20140601_testID2", "depgrp2")
    }


def test_and_group_with_explicit_job_id(examples: DependencyResolver) -> None:
    expected = {
        (app, f"20140601_{client}_{collection}", "depgrp1")
        for app in ("app1", "app2")
        for client in (876, 1011, 9020)
        for collection in ("profile", "purchase")
    }
    expected.add(("app1", "20140601_999_purchase", "depgrp1"))
    assert len(expected) == 13
    assert parents(examples, "depends_on1", "20140601_testID1") == expected


def test_one_job_id_can_select_several_groups(examples: DependencyResolver) -> None:
    assert parents(examples, "depends_on1", "20140601_testID3") == {
        ("app1", "20140601_876_profile", "depgrp3"),
        ("app1", "20140601_444_profile", "depgrp4"),
    }
    assert parents(examples, "depends_on1", "20140601_testID2") == {
        ("depends_on2", f"20140601_{client}_profile", "depgrp2") for client in (876, 1011, 9020)
    }


def test_filter_deps_keeps_only_named_groups(examples: DependencyResolver) -> None:
    assert parents(examples, "depends_on1", "20140601_testID3", filter_deps=("depgrp4",)) == {
        ("app1", "20140601_444_profile", "depgrp4")
    }


def test_job_ids_no_group_applies_to_have_no_parents(examples: DependencyResolver) -> None:
    assert parents(examples, "app1", "20140101_876_purchase") == set()
    assert parents(examples, "depends_on1", "20140101_999999") == set()
    assert parents(examples, "depends_on1", "20140601_999") == set()
    assert parents(examples, "fanout1", "20140715_8") == set()


def test_fan_out(examples: DependencyResolver) -> None:
    assert parents(examples, "fanout1", "20140715_testID5") == {
        ("app1", "20140714_555_profile", "dep2"),
        ("app1", "20140715_555_profile", "dep2"),
    }
    assert children(examples, "app1", "20140715_9_profile") == {
        ("app2", "20140715_9_profile", "default"),
        ("app4", "20140715_9_profile", "default"),
        ("fanout1", "20140715_testID1", "dep1"),
        ("fanout1", "20140715_testID2", "dep1"),
        ("fanout1", "20140715_testID3", "dep1"),
    }
    assert children(examples, "app1", "20140715_555_profile") == {
        ("app2", "20140715_555_profile", "default"),
        ("app4", "20140715_555_profile", "default"),
        *(("fanout1", f"20140715_testID{i}", "dep1") for i in (1, 2, 3)),
        *(
            ("fanout1", f"{date}_testID{i}", "dep2")
            for date in (20140714, 20140715)
            for i in (5, 6)
        ),
    }


def test_templates_of_different_shapes(examples: DependencyResolver) -> None:
    assert children(examples, "valid1", "20151015_2") == {
        ("valid4", "20151015_101", "default"),
        ("valid3b", "20151015_101", "another_way_to_state_same_thing"),
        ("valid3b", "20151015_102", "another_way_to_state_same_thing"),
        ("valid3", "20151015_101", "default"),
        ("valid3", "20151015_102", "default"),
    }
    assert children(examples, "valid1", "20151015_3") == set()
    assert children(examples, "valid2", "20151015_101") == {
        ("valid4", "20151015_101", "default"),
        ("valid3b", "20151015_101", "another_way_to_state_same_thing"),
        ("valid3", "20151015_101", "default"),
    }
    assert children(examples, "valid2", "20151015_103") == set()
    valid3 = {
        ("valid1", "20151015_1", "default"),
        ("valid1", "20151015_2", "default"),
        ("valid2", "20151015_101", "default"),
    }
    assert parents(examples, "valid3", "20151015_101") == valid3
    assert parents(examples, "valid3", "20151015_100") == set()
    assert parents(examples, "valid3b", "20151015_100") == set()
    assert {(a, j) for a, j, _ in parents(examples, "valid3b", "20151015_101")} == {
        (a, j) for a, j, _ in valid3
    }
    assert parents(examples, "valid4", "20151015_101") == valid3
    assert parents(examples, "valid4", "20151015_100") == set()
    assert parents(examples, "valid4", "20151015_102") == set()


def test_all_expands_each_parents_autofill_values(examples: DependencyResolver) -> None:
    assert parents(examples, "all_test4", "20140601") == {
        ("all_test1", "20140601_1", "default"),
        ("all_test1", "20140601_2", "default"),
        ("all_test2", "20140601_2", "default"),
        ("all_test2", "20140601_3", "default"),
    }
    all_test1 = {("all_test1", "20140601_1", "default"), ("all_test1", "20140601_2", "default")}
    assert parents(examples, "all_test3", "20140601_1") == all_test1
    assert parents(examples, "all_test3", "20140601_2") == all_test1
    assert parents(examples, "all_test3", "20140601_0") == set()
    assert parents(examples, "all_test3", "20140601_3") == set()
    assert parents(examples, "all_test5", "20140601") == {
        ("all_test1", "20140601_1", "both_apps"),
        ("all_test1", "20140601_2", "both_apps"),
        ("all_test2", "20140601_4", "both_apps"),
    }


def test_all_in_the_child_direction(examples: DependencyResolver) -> None:
    of_1 = {
        ("all_test3", "20140601_1", "default"),
        ("all_test3", "20140601_2", "default"),
        ("all_test4", "20140601", "default"),
        ("all_test4b", "20140601", "both"),
        ("all_test5", "20140601", "both_apps"),
    }
    assert children(examples, "all_test1", "20140601_1") == of_1
    assert children(examples, "all_test1", "20140601_2") == of_1
    assert children(examples, "all_test1", "20140601_0") == set()
    assert children(examples, "all_test2", "20140601_0") == set()
    assert children(examples, "all_test2", "20140601_1") == set()
    for client in (2, 3):
        assert children(examples, "all_test2", f"20140601_{client}") == {
            ("all_test4", "20140601", "default"),
            ("all_test4b", "20140601", "both"),
        }
    # 4 is outside all_test2's autofill values, yet listed by all_test5: it still works.
    assert children(examples, "all_test2", "20140601_4") == {("all_test5", "20140601", "both_apps")}


def test_autofill_ranges(examples: DependencyResolver) -> None:
    assert children(examples, "autofill1", "10") == {
        *(("autofill3", f"2015010{d}", "default") for d in (1, 2, 3, 4)),
        ("autofill_getparents", "20150101_10_10", "default"),
    }
    for outside in ("9", "11", "20"):
        assert children(examples, "autofill1", outside) == set()
    assert children(examples, "autofill2", "20150101") == {
        ("autofill3", "20150101", "default"),
        ("autofill_getparents", "20150101_10_10", "default"),
    }
    assert children(examples, "autofill2", "20150128") == set()
    assert children(examples, "autofill3", "20150101") == set()
    assert parents(examples, "autofill3", "20150128") == set()
    assert parents(examples, "autofill3", "20150101") == {
        *(("autofill1", str(c), "default") for c in (10, 12, 14, 16, 18)),
        ("autofill2", "20150101", "default"),
    }
    assert parents(examples, "autofill_getparents", "20150101_10_10") == {
        ("autofill1", "10", "default"),
        ("autofill2", "20150101", "default"),
    }


def test_readme_model_build_examples(examples: DependencyResolver) -> None:
    assert children(examples, "preprocess", "20140601_1234") == {
        ("modelBuild", "20140601_1234_purchaseRevenue", "default"),
        ("modelBuild", "20140601_1234_numberOfPageviews", "default"),
        ("modelBuild2", "1234_purchaseRevenue", "default"),
        ("modelBuild2", "1234_numberOfPageviews", "default"),
    }
    assert children(examples, "preprocess", "20140602_1234") == {
        ("modelBuild", "20140602_1234_purchaseRevenue", "default"),
        ("modelBuild", "20140602_1234_numberOfPageviews", "default"),
    }
    assert parents(examples, "modelBuild", "20140601_1234_purchaseRevenue") == {
        ("preprocess", "20140601_1234", "default")
    }
    assert parents(examples, "modelBuild2", "1234_purchaseRevenue") == {
        ("preprocess", f"{date}_1234", "default") for date in (20140601, 20140501, 20140401)
    }


def test_results_are_dependency_tuples(examples: DependencyResolver) -> None:
    first = next(examples.parents("bash2", "20140501_876_profile"))
    assert first == Dependency("bash1", "20140501_876_profile", "default")
    assert (first.app_name, first.job_id, first.group) == tuple(first)


@pytest.mark.parametrize(
    ("app", "job_id"),
    [
        ("depends_on1", "20140601_testID1"),
        ("all_test4", "20140601"),
        ("fanout1", "20140715_testID5"),
    ],
)
def test_every_parent_lists_the_child_among_its_children(
    examples: DependencyResolver, app: str, job_id: str
) -> None:
    for parent in examples.parents(app, job_id):
        assert (app, job_id, parent.group) in children(examples, parent.app_name, parent.job_id)
