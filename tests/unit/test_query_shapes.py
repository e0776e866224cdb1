from tests.support.query_shapes import Query, QueryShapes


def test_a_range_a_sort_and_an_unindexed_field_are_each_reported_as_unserved():
    shapes = QueryShapes("db")
    shapes.indexed[("db", "c")].add("status")
    assert shapes.unserved(Query("db", "c", "find", {"status": "open"})) is None
    assert "operator on due" in (shapes.unserved(Query("db", "c", "find", {"due": {"$lte": 1}})) or "")
    assert "sort" in (shapes.unserved(Query("db", "c", "find", {"status": "open"}, {"at": 1})) or "")
    assert "is indexed" in (shapes.unserved(Query("db", "c", "find", {"region": "x"})) or "")
    assert "no filter" in (shapes.unserved(Query("db", "c", "find", {})) or "")
