"""Every query the services send to the store, through PyMongo's command monitoring, and whether an index
they declared serves it: an equality on `_id` or on a field they created an index for, with no operator,
sort or empty filter (shapes FerretDB on PostgreSQL answers with a scan of the collection)."""

import contextlib
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from pymongo import monitoring

Document = dict[str, Any]


@dataclass(frozen=True)
class Query:
    database: str
    collection: str
    command: str
    filter: Document
    sort: Document | None = None

    def __str__(self) -> str:
        sort = f" sort {self.sort}" if self.sort else ""
        return f"{self.database}.{self.collection} {self.command} {self.filter}{sort}"


@dataclass
class QueryShapes:
    databases_prefix: str
    indexed: dict[tuple[str, str], set[str]] = field(default_factory=lambda: defaultdict(lambda: {"_id"}))
    queries: list[Query] = field(default_factory=list)
    # PyMongo logs and swallows a listener's errors: kept here, so a command not understood fails the test.
    errors: list[str] = field(default_factory=list)

    def command(self, event: monitoring.CommandStartedEvent) -> None:
        database, name, command = event.database_name, event.command_name, event.command
        if not database.startswith(self.databases_prefix):
            return
        if name == "createIndexes":
            for index in command["indexes"]:
                # A compound index serves an equality on its leading field.
                self.indexed[(database, command[name])].add(next(iter(index["key"])))
        elif name == "find":
            self._query(database, command[name], name, command.get("filter") or {}, command.get("sort"))
        elif name in ("update", "delete"):
            for statement in command[f"{name}s"]:
                self._query(database, command[name], name, statement["q"])
        elif name in ("findAndModify", "count", "distinct"):
            self._query(database, command[name], name, command.get("query") or {}, command.get("sort"))
        elif name == "aggregate":
            self._query(database, command[name], name, {"$pipeline": command["pipeline"]})

    def _query(
        self, database: str, collection: str, command: str, filter: Document, sort: Any = None
    ) -> None:
        self.queries.append(Query(database, collection, command, dict(filter), dict(sort) if sort else None))

    def unserved(self, query: Query) -> str | None:
        """Why no declared index serves the query, or None when one does."""
        if not query.filter:
            return "no filter: a scan of the collection"
        if query.sort:
            return "a sort: done over every matching document"
        for key, value in query.filter.items():
            if key.startswith("$"):
                return f"{key} at the top level"
            if isinstance(value, dict) and any(str(operator).startswith("$") for operator in value):
                return f"an operator on {key}: {value}"
        indexed = self.indexed[(query.database, query.collection)]
        if not indexed & set(query.filter):
            return f"none of {sorted(query.filter)} is indexed (indexes: {sorted(indexed)})"
        return None

    def problems(self, once: Sequence[Document] = (), daily_scans: Sequence[str] = ()) -> list[str]:
        """Every query no index serves, but for the scans in `once` (the stored upgrades', which the
        caller counts: each runs once per store) and the whole reads of the `daily_scans` collections
        (a daily job's, which the caller counts too)."""

        def allowed(query: Query) -> bool:
            return query.filter in once or (not query.filter and query.collection in daily_scans)

        unserved = {
            f"{query}: {reason}"
            for query in self.queries
            if not allowed(query) and (reason := self.unserved(query))
        }
        return sorted(unserved) + self.errors


class _Listener(monitoring.CommandListener):
    recording: QueryShapes | None = None

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if self.recording is not None:
            try:
                self.recording.command(event)
            except Exception as error:
                self.recording.errors.append(f"{event.command_name}: {error!r}")

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


_LISTENER = _Listener()
# Registered once: PyMongo has no way to unregister, and only clients created afterwards see it.
monitoring.register(_LISTENER)


@contextlib.contextmanager
def recording_queries(databases_prefix: str) -> Iterator[QueryShapes]:
    """Records the commands of clients created from now on, to databases under the prefix."""
    shapes = QueryShapes(databases_prefix)
    _LISTENER.recording = shapes
    try:
        yield shapes
    finally:
        _LISTENER.recording = None
