"""Loading rows with PostgreSQL COPY: the sizes of a data set, progress lines, the text format
of a value, the columns of the big tables, and their secondary indexes.
"""

import random
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime


@dataclass
class Sizes:
    tickets: int
    customers: int
    organizations: int
    agents: int
    articles: int

    @classmethod
    def for_tickets(cls, tickets: int) -> "Sizes":
        customers = max(50, min(50_000, tickets // 20))
        return cls(
            tickets=tickets,
            customers=customers,
            organizations=max(5, customers // 25),
            agents=max(10, min(100, tickets // 2_000)),
            articles=max(20, min(500, tickets // 2_000)),
        )


def log_line(out: Callable[[str], None] | None, text: str) -> None:
    (out or (lambda line: print(line, file=sys.stderr)))(text)


class Progress:
    """A one-line progress bar on a terminal, a line per ten percent elsewhere."""

    def __init__(self, label: str, total: int, stream=None) -> None:
        self.label, self.total, self.stream = label, total, stream or sys.stderr
        self.started = time.monotonic()
        self.tty = self.stream.isatty()
        self.last_decile = -1

    def update(self, done: int) -> None:
        elapsed = time.monotonic() - self.started
        rate = done / elapsed if elapsed else 0.0
        share = done / self.total if self.total else 1.0
        eta = (self.total - done) / rate if rate else 0.0
        bar = "#" * int(share * 30)
        line = (
            f"{self.label:<9} [{bar:<30}] {done:>9,}/{self.total:,} "
            f"{share:4.0%} {rate:8,.0f}/s eta {eta:4.0f}s"
        )
        if self.tty:
            self.stream.write("\r" + line)
            if done >= self.total:
                self.stream.write("\n")
            self.stream.flush()
        elif int(share * 10) != self.last_decile or done >= self.total:
            self.last_decile = int(share * 10)
            self.stream.write(line + "\n")
            self.stream.flush()


def copy_value(value) -> str:
    if value is None:
        return r"\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, str):
        return value.replace("\\", "\\\\").replace("\t", " ").replace("\n", "\\n")
    return str(value)


# Values for NOT NULL columns this seeder does not know (added by a newer migration without a
# database default): the type's zero, so the seeder keeps working as the schema grows.
ZERO_BY_TYPE = {
    "integer": "0",
    "smallint": "0",
    "bigint": "0",
    "double precision": "0",
    "numeric": "0",
    "real": "0",
    "boolean": "f",
    "jsonb": "{}",
    "json": "{}",
    "date": "1970-01-01",
    "timestamp with time zone": "1970-01-01T00:00:00+00:00",
    "time without time zone": "00:00",
}


def _missing_required(cursor, table: str, columns: list[str]) -> tuple[list[str], str]:
    cursor.execute(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = current_schema() AND table_name = %s AND is_nullable = 'NO' "
        "AND column_default IS NULL AND is_identity = 'NO' ORDER BY ordinal_position",
        [table],
    )
    extra = [(name, kind) for name, kind in cursor.fetchall() if name not in columns]
    suffix = "".join("\t" + ZERO_BY_TYPE.get(kind, "") for _, kind in extra)
    return [name for name, _ in extra], suffix


def copy_rows(cursor, table: str, columns: Iterable[str], rows: Iterable[tuple]) -> int:
    """COPY rows (tuples in `columns` order) into `table` in text format; returns the count."""
    raw = cursor.cursor if hasattr(cursor, "cursor") else cursor
    columns = list(columns)
    extra, suffix = _missing_required(raw, table, columns)
    count = 0
    buffer: list[str] = []
    with raw.copy(f"COPY {table} ({', '.join(columns + extra)}) FROM STDIN") as copy:
        for row in rows:
            buffer.append("\t".join(map(copy_value, row)) + suffix)
            count += 1
            if len(buffer) >= 5000:
                copy.write("\n".join(buffer) + "\n")
                buffer.clear()
        if buffer:
            copy.write("\n".join(buffer) + "\n")
    return count


def secondary_indexes(cursor, table: str) -> list[tuple[str, str]]:
    cursor.execute(
        """
        SELECT i.indexname, i.indexdef FROM pg_indexes i
        WHERE i.schemaname = current_schema() AND i.tablename = %s
          AND NOT EXISTS (
            SELECT 1 FROM pg_constraint c WHERE c.conindid = to_regclass(i.indexname)
          )
        """,
        [table],
    )
    return list(cursor.fetchall())


def weighted(rng: random.Random, weights: dict):
    return rng.choices(list(weights), weights=list(weights.values()))[0]


TICKET_COLUMNS = [
    "id",
    "reference",
    "public_id",
    "subject",
    "body",
    "type",
    "priority",
    "status",
    "channel",
    "escalation_level",
    "resolution",
    "created_at",
    "updated_at",
    "first_response_at",
    "resolved_at",
    "closed_at",
    "satisfaction_rating",
    "satisfaction_comment",
    "assignee_id",
    "category_id",
    "customer_id",
    "team_id",
    "sla_due_at",
    "sla_state",
    "merged_into_id",
]
CLOCK_COLUMNS = [
    "id",
    "metric",
    "cycle",
    "status",
    "target_minutes",
    "started_at",
    "paused_since",
    "paused_minutes",
    "warn_at",
    "deadline",
    "generation",
    "warned",
    "breached",
    "met_at",
    "ticket_id",
    "policy_id",
]
