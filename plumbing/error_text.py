"""What a log line or a dead letter's reason may say of an error.

A store error's text quotes what was written or matched (a bulk write's error lists each failed
operation, customers' phones, names and addresses with them), so store errors are told by class and
code alone; the rest by their repr, as written by code that keeps personal data out of its messages.
"""

from pymongo.errors import BulkWriteError, OperationFailure


def error_text(error: BaseException) -> str:
    if isinstance(error, BulkWriteError):
        codes = sorted({str(e.get("code")) for e in error.details.get("writeErrors", [])})
        return f"BulkWriteError(codes=[{', '.join(codes)}])"
    if isinstance(error, OperationFailure):
        return f"{type(error).__name__}(code={error.code})"
    return repr(error)
