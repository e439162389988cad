"""A transaction as a producer wrote it (a stream record's data, a line of a JSONL file) -> Transaction.

The one reader of a record for every path: the processor quarantines, and the backtest rejects, a bad record with
the same reason, so that a replay's rejections and the stream's quarantine can be compared line by line (the
differential harness does).
"""

from __future__ import annotations

from adapters.serialization import loads, parse_transaction
from adapters.strict_json import InvalidJsonError
from domain.model import InvalidTransaction, Transaction


def parse_record(data: str | bytes) -> Transaction:
    """The transaction of a record, or InvalidTransaction naming the field: `record` for bytes that are not UTF-8,
    `body` for text that is not JSON (with where it breaks), the key of a duplicate key or lone surrogate, and
    `parse_transaction`'s fields."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidTransaction("record", "data is not UTF-8 text") from None
    elif not data.isascii():  # a line read with errors="surrogateescape" keeps bytes that are not UTF-8 this way
        try:
            data.encode("utf-8")
        except UnicodeEncodeError:
            raise InvalidTransaction("record", "data is not UTF-8 text") from None
    try:
        body = loads(data)
    except InvalidJsonError as exc:  # a duplicate key or a lone surrogate
        raise InvalidTransaction(exc.field, exc.reason) from None
    except RecursionError:
        raise InvalidTransaction("body", "is not JSON (nested too deeply)") from None
    except ValueError as exc:
        raise InvalidTransaction("body", f"is not JSON ({exc.args[0] if exc.args else type(exc).__name__})") from None
    return parse_transaction(body)
