"""What an import tells its user, in Chinese: the counts, notes and occupation codes of a good file, or the
faults of a bad one, each naming the sheet, the row as Excel numbers it, the column and the fix."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from matcher.privacy import scrub

MAX_SHOWN = 50
"""Faults listed in a message; the rest are counted."""

ENTITY_NAMES = {
    "enterprises": "企业",
    "demand_lines": "岗位",
    "workers": "劳动者",
    "institutions": "培训机构",
    "programmes": "培训项目",
}


@dataclass(frozen=True, slots=True)
class RowError:
    """One fault: the row as Excel numbers it (None for the file or sheet as a whole) and the column's header."""

    row: int | None
    column: str
    message: str

    def __str__(self) -> str:
        where = f"第 {self.row} 行" if self.row is not None else "整个表"
        return f"{where} {self.column}：{self.message}" if self.column else f"{where}：{self.message}"


class LedgerError(ValueError):
    """A ledger file refused whole; `errors` names every bad row and column (a structural fault once)."""

    def __init__(self, path: str, errors: list[RowError], sheet: str = "") -> None:
        self.path = path
        self.sheet = sheet
        unique = dict.fromkeys(replace(e, message=scrub(e.message)) for e in errors)
        self.errors = sorted(unique, key=lambda e: -1 if e.row is None else e.row)
        super().__init__(str(self))

    def lines(self, limit: int = MAX_SHOWN) -> list[str]:
        """The faults as lines, at most `limit` of them and a count of the rest."""
        where = f"工作表「{self.sheet}」" if self.sheet else ""
        out = [f"{where}{e}" for e in self.errors[:limit]]
        if len(self.errors) > limit:
            out.append(f"……另有 {len(self.errors) - limit} 处错误未列出；请先改正以上各处后再导入")
        return out

    def __str__(self) -> str:
        return "\n".join(self.lines())


@dataclass(slots=True)
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def add(self, outcome: str) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)


@dataclass(frozen=True, slots=True)
class Coded:
    """An occupation code the coder chose for a job title, with its confidence, for the officer to check."""

    row: int
    title: str
    code: str
    name: str
    confidence: float

    def __str__(self) -> str:
        return f"第 {self.row} 行 「{self.title}」→ {self.code} {self.name}（置信度 {self.confidence:.2f}）"


@dataclass(frozen=True, slots=True)
class ImportReport:
    """Rows created, updated and unchanged per entity; notes on what the reader skipped or read differently;
    the occupation codes chosen for titles."""

    kind: str
    path: str
    counts: dict[str, Counts] = field(default_factory=dict)
    sheet: str = ""
    notes: tuple[str, ...] = ()
    coded: tuple[Coded, ...] = ()

    @property
    def created(self) -> int:
        return sum(c.created for c in self.counts.values())

    @property
    def updated(self) -> int:
        return sum(c.updated for c in self.counts.values())

    def __str__(self) -> str:
        lines = [f"已导入 {self.path}（工作表「{self.sheet}」）："]
        lines += [
            f"  {ENTITY_NAMES.get(entity, entity)}：新增 {c.created}，更新 {c.updated}，未变 {c.unchanged}"
            for entity, c in self.counts.items()
        ]
        if self.notes:
            lines += ["说明：", *(f"  {n}" for n in self.notes)]
        if self.coded:
            lines += ["按岗位名称自动编码的职业（请核对）：", *(f"  {c}" for c in self.coded[:MAX_SHOWN])]
            if len(self.coded) > MAX_SHOWN:
                lines.append(f"  ……另有 {len(self.coded) - MAX_SHOWN} 行")
        return "\n".join(lines)
