"""A store error is logged and dead-lettered by class and code alone: its own text quotes the documents."""

from pymongo.errors import BulkWriteError, DuplicateKeyError

from plumbing.error_text import error_text

PHONE = "+8613926012345"


def test_a_failed_bulk_write_is_told_by_its_codes_never_by_the_writes_it_quotes():
    details = {
        "writeErrors": [
            {"index": 0, "code": 11000, "errmsg": f"dup key: {PHONE}", "op": {"customer": {"phone": PHONE}}},
            {"index": 1, "code": 121, "errmsg": "validation", "op": {"name": "张三"}},
        ]
    }
    text = error_text(BulkWriteError(details))
    assert text == "BulkWriteError(codes=[11000, 121])"


def test_a_single_store_failure_is_told_by_its_class_and_code():
    text = error_text(DuplicateKeyError(f"E11000 dup key: {{ phone: {PHONE} }}", code=11000))
    assert text == "DuplicateKeyError(code=11000)"


def test_any_other_error_keeps_its_repr():
    assert error_text(TimeoutError("the store took too long")) == "TimeoutError('the store took too long')"
