"""What an import tells its user: the counts of a good file, or every fault of a bad one."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from matcher.privacy import scrub


@dataclass(frozen=True, slots=True)
class RowError:
    """One fault: the row as Excel numbers it (header = 1; None for the file as a whole) and the column's header."""

    row: int | None
    column: str
    message: str

    def __str__(self) -> str:
        where = f"第 {self.row} 行" if self.row is not None else "文件"
        return f"{where} {self.column}: {self.message}" if self.column else f"{where}: {self.message}"


class LedgerError(ValueError):
    """A ledger file refused whole; `errors` names every bad row and column."""

    def __init__(self, path: str, errors: list[RowError]) -> None:
        self.path = path
        unique = dict.fromkeys(replace(e, message=scrub(e.message)) for e in errors)
        self.errors = sorted(unique, key=lambda e: -1 if e.row is None else e.row)
        super().__init__(str(self))

    def __str__(self) -> str:
        return "\n".join(str(e) for e in self.errors)


@dataclass(slots=True)
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def add(self, outcome: str) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)


@dataclass(frozen=True, slots=True)
class ImportReport:
    """Rows created, updated and unchanged per entity (enterprises, demand_lines, workers, institutions, programmes)."""

    kind: str
    path: str
    counts: dict[str, Counts] = field(default_factory=dict)

    @property
    def created(self) -> int:
        return sum(c.created for c in self.counts.values())

    @property
    def updated(self) -> int:
        return sum(c.updated for c in self.counts.values())

    def __str__(self) -> str:
        lines = [f"imported the {self.kind} ledger {self.path}:"]
        lines += [
            f"  {entity}: {c.created} created, {c.updated} updated, {c.unchanged} unchanged"
            for entity, c in self.counts.items()
        ]
        return "\n".join(lines)
