"""Benchmark of the ledger reader: rows per second on a 50,000-row demand ledger against openpyxl's own read of
the same file, and the time and peak memory of reading hostile files and the largest upload allowed.

Each case runs in a fresh process so that its peak resident memory is its own.

    .venv/bin/python bench/bench_ledger.py [--rows 50000]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import openpyxl

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests import ledger_corpus as corpus  # noqa: E402

CASE = """
import json, resource, sys, time
sys.path.insert(0, {root!r})
path, how = {path!r}, {how!r}
start = time.perf_counter()
rows, outcome = 0, "read"
if how == "openpyxl":
    import openpyxl
    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    rows = sum(1 for _ in book.worksheets[0].iter_rows(values_only=True))
    book.close()
else:
    from pathlib import Path
    from matcher.ledger import demand
    from matcher.ledger.guard import FileRefused
    from matcher.ledger.schema import layout
    from matcher.ledger.table import read_sheet
    try:
        rows = len(read_sheet(Path(path), layout("demand", demand.COLUMNS)).rows)
    except FileRefused as e:
        outcome = ("413 " if e.too_large else "422 ") + e.errors[0].message[:40]
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({{"rows": rows, "seconds": seconds, "peak_mib": peak, "outcome": outcome}}))
"""


def run(path: Path, how: str = "matcher") -> dict[str, float | int | str]:
    code = CASE.format(root=str(ROOT), path=str(path), how=how)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def demand_ledger(path: Path, rows: int) -> Path:
    """A demand ledger of `rows` lines (the template's first line, numbered), written with openpyxl."""
    header, lines = corpus.template("demand")
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("企业用工需求台账")
    sheet.append(header)
    ref = header.index("岗位编号")
    for i in range(rows):
        row = list(lines[i % len(lines)])
        row[ref] = f"L{i:06d}"
        sheet.append(row)
    book.save(path)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        ledger = demand_ledger(folder / "demand.xlsx", args.rows)
        ours, theirs = run(ledger), run(ledger, "openpyxl")
        print(f"{args.rows:,}-row demand ledger ({ledger.stat().st_size / 2**20:.1f} MiB .xlsx)")
        for name, r in (("matcher reader (calamine)", ours), ("openpyxl read_only", theirs)):
            print(
                f"  {name:<26} {r['seconds']:6.2f} s  {r['rows'] / r['seconds']:>9,.0f} rows/s"
                f"  peak {r['peak_mib']:6.0f} MiB"
            )
        largest = demand_ledger(folder / "largest.xlsx", 190_000)
        cases = {
            f"largest allowed (190,000 rows, {largest.stat().st_size / 2**20:.1f} MiB)": largest,
            "sheet claiming A1:XFD1048576 (.xlsx)": corpus.whole_sheet_claim(folder / "claim.xlsx"),
            "zip bomb (300 MiB unpacked)": corpus.zip_bomb(folder / "bomb.xlsx"),
            "cell at the far corner (.xls)": corpus.xls_far_corner(folder / "corner.xls"),
        }
        print("hostile and largest files (each in a fresh process):")
        for name, path in cases.items():
            r = run(path)
            packed = path.stat().st_size / 1024
            print(
                f"  {name:<46} {packed:>8,.0f} KiB  {r['seconds']:6.2f} s  peak {r['peak_mib']:6.0f} MiB"
                f"  {r['outcome']}"
            )


if __name__ == "__main__":
    main()
