"""Enterprises and their labour-demand ledgers (企业用工需求台账) for 2019–2022."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from matcher import reference as ref
from matcher.ids import USCC_CHARS, uscc_check_char
from matcher.synth import places
from matcher.synth.params import PARTNER, Job, job_occupation, jobs, params, sectors, shares, special_items
from matcher.synth.sampling import allocate, categorical, day_of, stream, to_dates

SIZES = ("micro", "small", "medium", "large")
_ORG_WEIGHTS = np.array([3, 7, 9, 10, 5, 8, 4, 2])
_TITLE_FORMS = ("{t}", "招聘{t}", "急招{t}", "诚聘{t}", "{t}（{n}名）", "{place}招{t}")
_PERKS = ("包吃住", "提供住宿", "提供工作餐", "月休四天", "节日福利", "有岗前培训")


@dataclass(frozen=True)
class Lines:
    """The demand lines of every year, one array element per line (ids are positions + 1)."""

    enterprise: np.ndarray
    job: np.ndarray
    occupation: np.ndarray
    year: np.ndarray
    start: np.ndarray
    end: np.ndarray
    level: np.ndarray  # 0: no level required
    items: np.ndarray  # (n, 2) special-operation item indices, -1 empty
    wage_min: np.ndarray
    wage_max: np.ndarray
    headcount: np.ndarray
    orders: np.ndarray
    location: np.ndarray
    area: np.ndarray
    effect: np.ndarray  # latent line effect on the hiring logit; never stored
    title: list[str]
    description: list[str]
    ref: list[str]

    def __len__(self) -> int:
        return len(self.year)


@dataclass(frozen=True)
class Employers:
    sector: np.ndarray
    unit: np.ndarray  # unit index; -1 for partner enterprises
    location: np.ndarray
    size: np.ndarray
    orders: np.ndarray
    insured: np.ndarray
    credit_code: list[str]
    name: list[str]
    lines: Lines

    def __len__(self) -> int:
        return len(self.sector)

    def enterprise_rows(self) -> list[dict]:
        keys = list(sectors())
        locs = places.locations()
        return [
            {
                "id": i + 1,
                "credit_code": self.credit_code[i],
                "name": self.name[i],
                "industry": sectors()[keys[s]].industry,
                "region": locs[loc],
                "size": SIZES[z],
                "high_risk_sector": sectors()[keys[s]].high_risk,
                "insured": ins,
            }
            for i, (s, loc, z, ins) in enumerate(
                zip(self.sector.tolist(), self.location.tolist(), self.size.tolist(), self.insured.tolist())
            )
        ]

    def line_rows(self) -> Iterator[dict]:
        ln = self.lines
        items = special_items()
        locs = places.locations()
        current = int(params()["current_year"])
        starts, ends = to_dates(ln.start), to_dates(ln.end)
        for i, (e, occ_code, lvl, it, hc, lo, hi, loc, y, orders) in enumerate(
            zip(
                ln.enterprise.tolist(),
                (jobs()[j].code for j in ln.job.tolist()),
                ln.level.tolist(),
                ln.items.tolist(),
                ln.headcount.tolist(),
                ln.wage_min.tolist(),
                ln.wage_max.tolist(),
                ln.location.tolist(),
                ln.year.tolist(),
                ln.orders.tolist(),
            )
        ):
            yield (
                {
                    "id": i + 1,
                    "enterprise_id": e + 1,
                    "line_ref": ln.ref[i],
                    "occupation_code": occ_code,
                    "title": ln.title[i],
                    "required_level": lvl or None,
                    "required_certificates": [items[k] for k in it if k >= 0],
                    "headcount": hc,
                    "wage_min": lo,
                    "wage_max": hi,
                    "work_region": locs[loc],
                    "start_date": starts[i],
                    "end_date": ends[i],
                    "accepts_order_training": orders,
                    "description": ln.description[i],
                    "status": "open" if y == current else "closed",
                }
            )


def _place_name(code: str) -> str:
    """How a company name or a posting names a place (municipal districts by their city)."""
    r = ref.region(code)
    if r.kind == "zone":
        return "曲靖"
    if r.name == "市辖区" and r.parent_code:
        return ref.region(r.parent_code).name
    return r.name


def _credit_codes(rng: np.random.Generator, registry: list[str]) -> list[str]:
    """Valid GB 32100 codes: 9 (market regulator) 1 (enterprise), region, GB 11714 organisation code, check."""
    bodies = rng.choice(10**8, size=len(registry), replace=False)
    digits = (bodies[:, None] // 10 ** np.arange(7, -1, -1)) % 10
    check = (11 - (digits @ _ORG_WEIGHTS) % 11) % 11
    out = []
    for reg, body, c in zip(registry, bodies.tolist(), check.tolist()):
        first17 = f"91{reg}{body:08d}{'X' if c == 10 else c}"
        assert all(ch in USCC_CHARS for ch in first17)
        out.append(first17 + uscc_check_char(first17))
    return out


def _job_matrix(sector_keys: list[str], unit_codes: list[str]) -> np.ndarray:
    """P(job row | sector, unit): rows are sector × unit combinations, columns the job table."""
    table = jobs()
    out = np.zeros((len(sector_keys) * len(unit_codes), len(table)))
    for s, key in enumerate(sector_keys):
        for u, code in enumerate(unit_codes):
            out[s * len(unit_codes) + u] = [j.local_weight(code) if j.sector == key else 0.0 for j in table]
    return out


def _title(rng: np.random.Generator, job: Job, headcount: int, place: str) -> str:
    form = _TITLE_FORMS[int(rng.integers(len(_TITLE_FORMS)))]
    return form.format(t=job.posting_title, n=headcount, place=place)[:60]


def _description(
    rng: np.random.Generator,
    job: Job,
    level: int,
    items: list[str],
    lo: int,
    hi: int,
    place: str,
    insured: bool,
    orders: bool,
    adult_only: bool,
) -> str:
    ops = ref.special_operations()
    parts = [f"岗位职责：从事{job.title}相关工作，服从生产安排，遵守安全操作规程。"]
    needs = []
    for it in items:
        needs.append(f"持有效的{ops[it].name}特种作业操作证")
    if level:
        needs.append(f"具有{ref.skill_levels()[level].label}及以上职业技能等级证书")
    needs.append("年满18周岁，身体健康" if adult_only else "身体健康，责任心强")
    if rng.random() < params()["lines"]["experience_phrase"]:
        needs.append("有相关工作经验者优先")
    parts.append("任职要求：" + "；".join(needs) + "。")
    perks = [f"月薪{lo}–{hi}元"]
    if insured:
        perks.append("依法缴纳社会保险")
    perks.append(_PERKS[int(rng.integers(len(_PERKS)))])
    parts.append("待遇：" + "，".join(perks) + "。")
    if orders:
        parts.append("可参加企业订单培训，培训合格后上岗。")
    parts.append(f"工作地点：{place}。")
    return "".join(parts)


def build_employers(n_workers: int, seed: int) -> Employers:
    """Enterprises across Qujing's sectors and partner cities, and their demand lines for 2019–2022."""
    p = params()
    sc, ent_p = p["scale"], p["enterprises"]
    scale = n_workers / sc["reference_workers"]
    rng = stream(seed, 1)
    units = places.units()
    sector_keys = list(sectors())
    n_ent = max(int(sc["min_enterprises"]), round(sc["enterprises"] * scale))
    n_partner = round(n_ent * sc["partner_share"])
    n_local = n_ent - n_partner

    sec_list, unit_list = [], []
    for s, n in enumerate(allocate(n_local, np.array([sectors()[k].share for k in sector_keys]))):
        if n == 0:
            continue
        w = np.array([u.population * sectors()[sector_keys[s]].county_weight(u.code) for u in units])
        if w.sum() <= 0:
            raise ValueError(f"sector {sector_keys[s]!r} has no county with a positive weight")
        sec_list.append(np.full(n, s))
        unit_list.append(rng.choice(len(units), size=n, p=w / w.sum()))
    partner_keys = list(p["partners"]["sectors"])
    for key in partner_keys:
        if key not in sectors():
            raise ValueError(f"[partners] sectors names {key!r}, which is not a sector")
    partner_n = allocate(n_partner, shares(list(p["partners"]["sectors"].values()), "[partners] sectors"))
    sec_list.append(np.repeat([sector_keys.index(k) for k in partner_keys], partner_n))
    unit_list.append(np.full(n_partner, -1))
    sector = np.concatenate(sec_list).astype(np.int64)
    unit = np.concatenate(unit_list).astype(np.int64)
    partner = unit < 0
    city_codes, city_w = places.partner_cities()
    city = np.where(partner, rng.choice(len(city_codes), size=n_ent, p=city_w), -1)
    location = np.where(partner, len(units) + city, unit)

    size_p = np.array([sectors()[k].sizes for k in sector_keys])
    size = categorical(
        rng,
        np.vstack([size_p, shares(p["partners"]["sizes"], "[partners] sizes")]),
        np.where(partner, len(sector_keys), sector),
    )
    insured = rng.random(n_ent) < np.array([ent_p["insured"][z] for z in SIZES])[size]
    orders = rng.random(n_ent) < ent_p["orders_training_share"]

    locs = places.locations()
    registry = [
        units[u].registry_code if u >= 0 else city_codes[c] for u, c in zip(unit.tolist(), city.tolist())
    ]
    credit = _credit_codes(rng, registry)
    first, second = ent_p["trade_first"], ent_p["trade_second"]
    a = rng.integers(len(first), size=n_ent)
    b = rng.integers(len(second), size=n_ent)
    noun = rng.random(n_ent)
    names = []
    for i in range(n_ent):
        sec = sectors()[sector_keys[sector[i]]]
        nouns = sec.nouns
        names.append(
            f"{_place_name(locs[location[i]])}{first[a[i]]}{second[b[i]]}{nouns[int(noun[i] * len(nouns))]}"
        )

    lines = _build_lines(rng, seed, scale, sector, unit, location, size, orders, insured, sector_keys)
    return Employers(sector, unit, location, size, orders, insured, credit, names, lines)


def _build_lines(
    rng: np.random.Generator,
    seed: int,
    scale: float,
    sector: np.ndarray,
    unit: np.ndarray,
    location: np.ndarray,
    size: np.ndarray,
    orders: np.ndarray,
    insured: np.ndarray,
    sector_keys: list[str],
) -> Lines:
    p = params()
    sc, lp, ent_p = p["scale"], p["lines"], p["enterprises"]
    years = [int(y) for y in p["history_years"]] + [int(p["current_year"])]
    n_ent = len(sector)
    partner = unit < 0
    counts = [
        max(
            int(sc["min_lines_per_year"]),
            round((sc["lines_current_year"] if y == years[-1] else sc["lines_per_closed_year"]) * scale),
        )
        for y in years
    ]
    weight = np.array([ent_p["line_weight"][z] for z in SIZES])[size] * np.where(
        partner, ent_p["partner_line_weight"], 1.0
    )
    year = np.repeat(years, counts)
    n = len(year)
    ent = rng.choice(n_ent, size=n, p=weight / weight.sum())
    order = np.lexsort((ent, year))
    year, ent = year[order], ent[order]

    unit_codes = [u.code for u in places.units()] + [PARTNER]
    combos = sector[ent] * len(unit_codes) + np.where(unit[ent] < 0, len(unit_codes) - 1, unit[ent])
    matrix = _job_matrix(sector_keys, unit_codes)
    empty = matrix[combos].sum(axis=1) <= 0
    if empty.any():
        e = int(ent[np.argmax(empty)])
        raise ValueError(
            f"the job table has no occupation for sector {sector_keys[sector[e]]!r} in "
            f"{unit_codes[unit[e]] if unit[e] >= 0 else 'partner cities'}: check counties_weight_hint"
        )
    job = categorical(rng, matrix, combos)
    table = jobs()

    first = np.array([day_of(y, "01-01") for y in year])
    closed = year != years[-1]
    last = np.array(
        [day_of(y, lp["last_start"] if c else lp["current_last_start"]) for y, c in zip(year, closed)]
    )
    start = first + (rng.random(n) * (last - first + 1)).astype(np.int64)
    lo_w, hi_w = (
        np.where(closed, lp["window_days"][0], lp["current_window_days"][0]),
        np.where(closed, lp["window_days"][1], lp["current_window_days"][1]),
    )
    end = start + lo_w + (rng.random(n) * (hi_w - lo_w + 1)).astype(np.int64)
    dec31 = np.array([day_of(y, "12-31") for y in year])
    end = np.where(closed, np.minimum(end, dec31), end)

    factor = (1 + lp["wage_growth"]) ** (year - years[0]) * np.where(
        partner[ent], p["partners"]["wage_factor"], 1.0
    )
    jmin = np.array([j.wage_min for j in table])[job] * factor
    jmax = np.array([j.wage_max for j in table])[job] * factor
    wage_min = (np.round((jmin + rng.random(n) * (jmax - jmin) / 2) / 100) * 100).astype(np.int64)
    spread = lp["wage_spread"][0] + rng.random(n) * (lp["wage_spread"][1] - lp["wage_spread"][0])
    wage_max = np.maximum(
        wage_min, np.minimum(np.round((wage_min + spread) / 100) * 100, np.round(jmax * 1.1 / 100) * 100)
    ).astype(np.int64)

    typical = np.array([j.typical_level or 0 for j in table])[job]
    shift = rng.random(n)
    level = np.where(
        shift < lp["level_shift"]["higher"],
        typical - 1,
        np.where(shift > 1 - lp["level_shift"]["lower"], typical + 1, typical),
    )
    level = np.where((typical > 0) & (rng.random(n) < lp["required_level_share"]), np.clip(level, 1, 5), 0)

    item_index = {c: i for i, c in enumerate(special_items())}
    items = np.full((n, 2), -1, dtype=np.int64)
    for i, j in enumerate(table):
        sel = job == i
        for k, c in enumerate(j.certificates[:2]):
            items[sel, k] = item_index[c]

    size_f = np.array([lp["headcount_size_factor"][z] for z in SIZES])[size[ent]]
    mu, sigma = lp["headcount_lognormal"]
    headcount = np.clip(np.ceil(rng.lognormal(mu, sigma, n) * size_f), 1, 50).astype(np.int64)
    share = ent_p["order_line_share"]
    line_orders = rng.random(n) < np.where(orders[ent], share["taking_part"], share["other"])

    loc_index = places.location_index()
    towns = [sectors()[k].work_town for k in sector_keys]
    town_loc = np.array([loc_index[t] if t else -1 for t in towns])
    loc = np.where(town_loc[sector[ent]] >= 0, town_loc[sector[ent]], location[ent])
    area = places.location_area()[loc].astype(np.int64)

    adult = {sector_keys.index(k) for k in lp["adult_only_sectors"]}
    ops = special_items()
    locs = places.locations()
    titles, descriptions, refs = [], [], []
    seq = _sequence(ent, year)
    for i in range(n):
        j = table[job[i]]
        place = _place_name(locs[loc[i]])
        titles.append(_title(rng, j, int(headcount[i]), place))
        descriptions.append(
            _description(
                rng,
                j,
                int(level[i]),
                [ops[k] for k in items[i] if k >= 0],
                int(wage_min[i]),
                int(wage_max[i]),
                place,
                bool(insured[ent[i]]),
                bool(line_orders[i]),
                int(sector[ent[i]]) in adult,
            )
        )
        refs.append(f"{year[i]}-{seq[i] + 1:03d}")
    effect = stream(seed, 5).normal(0.0, p["outcome"]["line_effect_sd"], n)
    return Lines(
        enterprise=ent,
        job=job,
        occupation=job_occupation()[job],
        year=year,
        start=start,
        end=end,
        level=level,
        items=items,
        wage_min=wage_min,
        wage_max=wage_max,
        headcount=headcount,
        orders=line_orders,
        location=loc,
        area=area,
        effect=effect,
        title=titles,
        description=descriptions,
        ref=refs,
    )


def _sequence(ent: np.ndarray, year: np.ndarray) -> np.ndarray:
    """The running number of each line within its enterprise and year (lines are sorted by year, enterprise)."""
    key = year.astype(np.int64) * 10_000_000 + ent
    start = np.r_[0, np.flatnonzero(key[1:] != key[:-1]) + 1]
    first = np.repeat(start, np.diff(np.r_[start, len(key)]))
    return np.arange(len(key)) - first
