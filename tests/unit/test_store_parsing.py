"""Store request parsing: namespaces from the query string, label rules, filters and how auth filters combine."""

import pytest

from apps.core.errors import InvalidInput
from apps.store.parsing import (
    NoMatch,
    contains_nul,
    merge_filters,
    namespace_from_param,
    validate_filter,
    validate_namespace,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("a.b", ("a", "b")), ("users", ("users",)), ("", ("",)), (None, ("",)), ("a..b", ("a", "", "b"))],
)
def test_namespace_from_the_query_string_splits_on_dots(raw: str | None, expected: tuple) -> None:
    assert namespace_from_param(raw) == expected


@pytest.mark.parametrize("namespace", [["a", ""], ["a.b"], ["a", 1], ("",), ["a\x00"], "ab"])
def test_bad_labels_are_refused(namespace: object) -> None:
    with pytest.raises(InvalidInput):
        validate_namespace(namespace)


def test_an_empty_namespace_is_refused_only_when_asked() -> None:
    assert validate_namespace([]) == ()
    assert validate_namespace(["a", "b c", "*"]) == ("a", "b c", "*")
    with pytest.raises(InvalidInput, match="cannot be empty"):
        validate_namespace([], allow_empty=False)


def test_filters_take_values_or_known_operators() -> None:
    assert validate_filter({"kind": "x", "n": {"$gte": 1, "$lt": 5}, "obj": {}}) is not None
    assert validate_filter(None) is None
    with pytest.raises(InvalidInput, match=r"filter\.n: unsupported operator\(s\) \$in"):
        validate_filter({"n": {"$in": [1, 2]}})


def test_an_auth_filter_is_added_to_the_requested_one() -> None:
    assert merge_filters(None, {"owner": "alice"}) == {"owner": "alice"}
    assert merge_filters({"kind": "x"}, None) == {"kind": "x"}
    assert merge_filters({"kind": "x"}, {"owner": "alice"}) == {"kind": {"$eq": "x"}, "owner": {"$eq": "alice"}}
    # Two conditions on one field: both must hold.
    assert merge_filters({"owner": {"$ne": "bob"}}, {"owner": "alice"}) == {"owner": {"$ne": "bob", "$eq": "alice"}}
    assert merge_filters({"owner": "alice"}, {"owner": {"$eq": "alice"}}) == {"owner": {"$eq": "alice"}}


def test_contradicting_equalities_match_nothing() -> None:
    with pytest.raises(NoMatch):
        merge_filters({"owner": "bob"}, {"owner": "alice"})


def test_the_auth_filter_wins_when_one_operator_is_given_twice() -> None:
    assert merge_filters({"n": {"$gt": 1}}, {"n": {"$gt": 5}}) == {"n": {"$gt": 5}}


def test_nul_characters_are_found_anywhere() -> None:
    assert contains_nul({"a": [1, {"b": "x\x00"}]})
    assert contains_nul({"k\x00": 1})
    assert not contains_nul({"a": [1, {"b": "x"}], "c": None})


@pytest.mark.parametrize(("ttl", "valid"), [(0, True), (0.001, True), (60, True), (1e-7, False), (-1, False)])
def test_ttl_minutes_stay_within_what_the_store_can_write(ttl: float, valid: bool) -> None:
    from apps.store.serializers import PutItemSerializer

    body = {"namespace": ["a"], "key": "k", "value": {}, "ttl": ttl}
    assert PutItemSerializer(data=body).is_valid() is valid
