"""Occupation coder: everyday job titles (电焊工, 月嫂, 外卖骑手 …) to 2022 classification leaf codes.

Enterprises and survey sheets rarely use the classification's own names, so a title is coded by
(a) an exact hit in the curated alias table `data/occupation_aliases.csv`, (b) an exact hit on a
leaf name, and (c) character n-gram TF-IDF similarity against every leaf name and alias: the best
single name of a leaf, blended with how much of the title all its names together cover.
Titles are normalised first (full-width → half-width, recruitment filler and headcounts dropped).

A whole posting line (an ad, a 岗位描述) is read too: it is cut into segments at punctuation, place names,
pay, headcounts and conditions (包吃住, 劳务派遣 …) are dropped, and each segment adds (d) the longest
name or alias it contains, (e) a name or alias it sounds like (homophone typos such as 电悍工, compared in
toneless pinyin) and (f) the occupation its industry and task words imply together
(`data/occupation_context.csv`: 硅片 + 切片 → 晶片加工工).
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

import numpy as np
from scipy.sparse import csr_matrix
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

from matcher.reference import DATA_DIR, is_occupation, leaf_occupations, occupation

ALIASES_PATH = DATA_DIR / "occupation_aliases.csv"
CONTEXT_PATH = DATA_DIR / "occupation_context.csv"
EVAL_PATH = DATA_DIR / "eval" / "occupation_titles.csv"
LINES_EVAL_PATH = DATA_DIR / "eval" / "occupation_lines.csv"
"""Whole posting lines: ads, 岗位描述, slang, homophone typos, abbreviations, lines implying an industry."""
ALIAS_KINDS = ("colloquial", "gongzhong")
DEFAULT_MIN_SCORE = 0.4
"""Below this top score a title is too far from every known name to be coded without a person."""

Tokens = Literal["char", "jieba"]
TOKENS: Tokens = "char"
"""Tokenisation of the similarity index; char n-grams beat jieba words on the evaluation set."""

CONTAINED_SCORE = 0.85
"""Score of a name or alias found inside a segment of a line, rising to 0.99 as it covers the segment."""
SOUNDS_LIKE_SCORE = 0.9
"""Score of a name or alias a segment sounds exactly like (a homophone typo)."""
CONTEXT_SCORE = 0.9
"""Score of an occupation a line's industry and task words imply together."""

COVERAGE_WEIGHT = 0.25
"""Share of a leaf's score from how much of the title its names cover, the rest from the best
single name; chosen on the even rows of the evaluation set and checked on the odd rows."""


@dataclass(frozen=True, slots=True)
class OccupationMatch:
    """One candidate leaf occupation for a title, `score` in [0, 1] (1 = exact name or alias)."""

    code: str
    name: str
    score: float

    def to_dict(self) -> dict[str, str | float]:
        return {"code": self.code, "name": self.name, "score": self.score}


@dataclass(frozen=True, slots=True)
class Alias:
    """A row of the alias table: a colloquial title or 工种 name and the leaf it codes to."""

    alias: str
    code: str
    kind: str
    note: str


# --- normalisation --------------------------------------------------------------------------

_LEADING_RECRUIT = re.compile(
    r"^(?:高薪)?(?:急招|诚聘|招聘|急聘|直招|诚招|热招|招收|聘请|长期招|高薪招|招)"
    # 招聘专员/招聘主管 are jobs, 招商/招生/招标 are trades: keep those words.
    r"(?!专员|主管|经理|师|顾问|助理|聘|商|生|标|投|待)"
)
_HEADCOUNT = re.compile(r"(?:\d+|[一二两三四五六七八九十几数多若干]+)\s*(?:名|位|人)")
_MONEY = re.compile(
    r"(?:月薪|底薪|日薪|年薪|工资)\d+(?:[-~至]\d+)?\s*(?:元|k|千|万)?|\d+(?:[-~至]\d+)?\s*(?:元|k|千|万)"
)
_FILLERS = (
    "男女不限", "限男", "限女", "男性", "女性", "包吃住", "包食宿", "五险一金", "持证上岗",
    "经验丰富", "有经验", "熟练", "资深", "优秀", "长期", "若干", "学徒", "老师傅", "师傅",
    "小哥", "人员",
)  # fmt: skip
_NON_WORD = re.compile(r"[^0-9a-z\u4e00-\u9fff]+")


def _light(text: str) -> str:
    """NFKC (full-width → half-width), lower case, punctuation and spaces dropped."""
    return _NON_WORD.sub("", unicodedata.normalize("NFKC", text).lower())


def normalise_title(text: str) -> str:
    """The core of a job title: recruitment verbs, headcounts, pay and filler words removed.

    "招熟练电焊工3名" → "电焊工"; "钢筋工人" → "钢筋工". When stripping would leave fewer than two
    characters the lightly cleaned title is kept instead.
    """
    light = _light(text)
    core = unicodedata.normalize("NFKC", text).lower()
    core = _MONEY.sub(" ", core)
    core = _HEADCOUNT.sub(" ", core)
    core = _NON_WORD.sub("", core)
    core = _LEADING_RECRUIT.sub("", core)
    for word in _FILLERS:
        core = core.replace(word, "")
    core = core.replace("工人", "工")
    return core if len(core) >= 2 else light


class TitleError(ValueError):
    """A job title or a request for codes that cannot be coded (empty title, bad `top`)."""


def _check_title(text: object) -> str:
    if not isinstance(text, str):
        raise TitleError(f"岗位名称须为文字，收到的是 {type(text).__name__}")
    if not _light(text):
        raise TitleError("岗位名称去掉空格和标点后为空；请填写岗位名称，如 叉车司机")
    return text


# --- data -----------------------------------------------------------------------------------


def read_aliases(path: Path) -> tuple[Alias, ...]:
    """An alias table, validated: every code a real leaf, every kind known, no alias twice.

    ValueError names the file, row and field at fault.
    """
    out: list[Alias] = []
    seen: dict[str, int] = {}
    with open(path, encoding="utf-8", newline="") as f:
        for row_no, r in enumerate(csv.DictReader(f), start=2):
            where = f"{path.name} row {row_no}"
            alias = (r.get("alias") or "").strip()
            code = (r.get("code") or "").strip()
            kind = (r.get("kind") or "").strip()
            if not alias:
                raise ValueError(f"{where}: field 'alias' is empty")
            if not is_occupation(code):
                raise ValueError(f"{where}: field 'code' {code!r} is not a leaf occupation")
            if kind not in ALIAS_KINDS:
                raise ValueError(f"{where}: field 'kind' {kind!r} is not one of {ALIAS_KINDS}")
            if alias in seen:
                raise ValueError(f"{where}: field 'alias' {alias!r} already given in row {seen[alias]}")
            seen[alias] = row_no
            out.append(Alias(alias, code, kind, (r.get("note") or "").strip()))
    return tuple(out)


@cache
def aliases() -> tuple[Alias, ...]:
    """The project's alias table, read once."""
    return read_aliases(ALIASES_PATH)


@cache
def _exact_codes() -> dict[str, str]:
    """Normalised leaf names and aliases → code; a form claimed by two codes is an error."""
    table: dict[str, str] = {}
    entries = [(o.name, o.code) for o in leaf_occupations()] + [(a.alias, a.code) for a in aliases()]
    for text, code in entries:
        for form in {_light(text), normalise_title(text)}:
            other = table.setdefault(form, code)
            if other != code:
                raise ValueError(f"{text!r} normalises to {form!r}, already the form of {other} (not {code})")
    return table


# --- similarity index -----------------------------------------------------------------------


def _jieba_analyzer() -> Callable[[str], list[str]]:
    """jieba words, with every alias and leaf name added to the dictionary so they stay whole."""
    import jieba

    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    for form in _exact_codes():
        tokenizer.add_word(form)
    return lambda s: [w for w in tokenizer.lcut(s) if w.strip()]


@dataclass(frozen=True, slots=True)
class _Index:
    vectorizer: TfidfVectorizer
    rows: csr_matrix
    """One TF-IDF row per leaf name and per alias."""
    row_code: np.ndarray
    """Position in `codes` of each row's leaf."""
    vocabulary: csr_matrix
    """Leaf × feature: 1 where any name or alias of the leaf has the feature."""
    codes: tuple[str, ...]
    unseen_idf: float
    """Weight of a query n-gram that no name or alias has (the largest IDF in the index)."""

    def query(self, forms: list[str]) -> csr_matrix:
        """Unit TF-IDF vectors of the forms, whose norm also counts n-grams the index lacks.

        Without that, a title made mostly of unknown characters would match on its one known word.
        """
        raw = self.vectorizer.transform(forms)
        analyse = self.vectorizer.build_analyzer()
        known = self.vectorizer.vocabulary_
        norms = []
        for i, form in enumerate(forms):
            unseen: dict[str, int] = {}
            for gram in analyse(form):
                if gram not in known:
                    unseen[gram] = unseen.get(gram, 0) + 1
            unseen_sq = sum(((1 + np.log(n)) * self.unseen_idf) ** 2 for n in unseen.values())
            norms.append(np.sqrt(raw[i].multiply(raw[i]).sum() + unseen_sq) or 1.0)
        return csr_matrix(raw.multiply(1 / np.array(norms)[:, None]))


@cache
def _index(tokens: Tokens = TOKENS) -> _Index:
    """The similarity index over every leaf name and alias, built once per tokenisation."""
    leaves = leaf_occupations()
    codes = tuple(o.code for o in leaves)
    position = {c: i for i, c in enumerate(codes)}
    texts = [normalise_title(o.name) for o in leaves] + [normalise_title(a.alias) for a in aliases()]
    row_code = np.array([position[o.code] for o in leaves] + [position[a.code] for a in aliases()])
    if tokens == "char":
        vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), sublinear_tf=True, norm=None)
    elif tokens == "jieba":
        vectorizer = TfidfVectorizer(analyzer=_jieba_analyzer(), sublinear_tf=True, norm=None)
    else:
        raise ValueError(f"tokens must be 'char' or 'jieba', got {tokens!r}")
    rows = normalize(vectorizer.fit_transform(texts)).tocsr()
    owner = csr_matrix(
        (np.ones(len(row_code)), (row_code, np.arange(len(row_code)))), shape=(len(codes), len(row_code))
    )
    vocabulary = (owner @ (rows > 0).astype(np.float64)).tocsr()
    vocabulary.data[:] = 1.0
    return _Index(vectorizer, rows, row_code, vocabulary, codes, float(vectorizer.idf_.max()))


# --- whole lines ------------------------------------------------------------------------------

_SEGMENT = re.compile(r"[，,。；;：:、！!？?\s（）()【】\[\]/|+＋]+")
_LINE_NOISE = re.compile(
    r"劳务派遣|劳务输出|包吃住|包食宿|包住|包吃|五险一金|五险|社保|计件工资?|日结|月结|多劳多得|长期有活|"
    r"长白班|两班倒|倒班|做六休一|月休\d+天|早\d+晚\d+|返费|坐班|底薪|提成|工资面议|面议|有证优先|持证上岗|"
    r"岗位描述|工作内容|岗位职责|岗位要求|任职要求|负责|要求|会看图纸|高中以上学历|有经验|"
    r"[a-z]?\d+[a-z]?(?:驾照|证)|月综合收入|综合收入|月入|月薪|工资|日薪|年薪|急聘|急招|诚聘|招聘|招募|招"
)
_DIGITS = re.compile(r"\d+(?:\.\d+)?(?:元|k|千|万|名|人|个|天|小时|岁|%)?(?:/月|每月|以上|左右|\+)?|[-~～至]")


@cache
def _place_names() -> re.Pattern[str]:
    """Region names (two characters or more, longest first) and their short forms, to drop from a line."""
    from matcher.reference import regions

    names = {r.name for r in regions().values() if len(r.name) >= 2}
    short = {n[:-1] for n in names if n[-1] in "市县区镇乡" and len(n) >= 3}
    words = sorted(
        names | short | {"深圳", "东莞", "昆山", "义乌", "万达", "曲靖经开区", "经开区"},
        key=len,
        reverse=True,
    )
    return re.compile("|".join(re.escape(w) for w in words))


def line_segments(text: str) -> list[str]:
    """The parts of a posting line that may name the job: segments without places, pay, counts or conditions."""
    light = unicodedata.normalize("NFKC", text).lower()
    out = []
    for piece in _SEGMENT.split(light):
        piece = _LINE_NOISE.sub(" ", piece)
        piece = _place_names().sub(" ", piece)
        piece = _DIGITS.sub(" ", piece)
        for part in piece.split():
            core = normalise_title(part)
            if len(core) >= 2 and core not in out:
                out.append(core)
    return out


@cache
def _forms_by_length() -> tuple[tuple[str, str], ...]:
    """Every normalised name and alias with its code, longest first."""
    return tuple(sorted(_exact_codes().items(), key=lambda kv: -len(kv[0])))


def _toneless(text: str) -> str:
    from pypinyin import lazy_pinyin

    return " ".join(lazy_pinyin(text))


@cache
def _sounds() -> dict[str, str]:
    """Toneless pinyin of every name and alias → code (a sound two codes share is left out)."""
    table: dict[str, str] = {}
    clash: set[str] = set()
    for form, code in _exact_codes().items():
        key = _toneless(form)
        if table.setdefault(key, code) != code:
            clash.add(key)
    return {k: v for k, v in table.items() if k not in clash}


@cache
def _context() -> tuple[tuple[str, str, str], ...]:
    with open(CONTEXT_PATH, encoding="utf-8", newline="") as f:
        rows = tuple((r["industry"], r["task"], r["code"]) for r in csv.DictReader(f))
    for industry, task, code in rows:
        if not is_occupation(code):
            raise ValueError(f"{CONTEXT_PATH.name}: {industry}+{task}: {code!r} is not a leaf occupation")
    return rows


def _line_hits(text: str) -> dict[str, float]:
    """Codes a whole line points to, with their scores: contained names, homophones, industry and task."""
    hits: dict[str, float] = {}

    def hit(code: str, score: float) -> None:
        hits[code] = max(hits.get(code, 0.0), score)

    light = _light(text)
    for industry, task, code in _context():
        if industry in light and task in light:
            hit(code, CONTEXT_SCORE)
    segments = line_segments(text)
    # A name inside a clean title (护工 in 敬老院护工) is for the similarity index to weigh, not a hit.
    is_line = segments != [normalise_title(text)]
    for segment in segments:
        for form, code in _forms_by_length() if is_line else ():
            if len(form) >= 2 and form in segment:
                hit(code, CONTAINED_SCORE + (0.99 - CONTAINED_SCORE) * len(form) / len(segment))
                break
        else:
            sounded = _sounds().get(_toneless(segment))
            if sounded is not None:
                hit(sounded, SOUNDS_LIKE_SCORE)
    return hits


def _scores(text: str, tokens: Tokens) -> np.ndarray:
    """Score of every leaf (in code order) for a raw title.

    Both the normalised and the lightly cleaned title are scored and the better kept, so that
    filler removal can never lose a title such as 招聘专员.
    """
    index = _index(tokens)
    core, light = normalise_title(text), _light(text)
    query = index.query([core, light])
    similarity = (index.rows @ query.T).toarray()
    best = np.zeros((len(index.codes), 2))
    for j in range(2):
        np.maximum.at(best[:, j], index.row_code, similarity[:, j])
    coverage = (index.vocabulary @ query.multiply(query).T).toarray()
    scores = ((1 - COVERAGE_WEIGHT) * best + COVERAGE_WEIGHT * coverage).max(axis=1)
    # An exact name or alias outranks every similarity; all others stay strictly below it.
    scores = np.clip(scores, 0.0, 0.99)
    for code, score in _line_hits(text).items():
        i = index.codes.index(code)
        scores[i] = max(scores[i], score)
    exact = _exact_codes()
    hit = exact.get(light) or exact.get(core)
    if hit is not None:
        scores[index.codes.index(hit)] = 1.0
    return scores


def _rank(text: object, top: int, tokens: Tokens) -> list[OccupationMatch]:
    title = _check_title(text)
    if isinstance(top, bool) or not isinstance(top, int) or top < 1:
        raise TitleError(f"top 须为正整数，收到的是 {top!r}")
    scores = _scores(title, tokens)
    codes = _index(tokens).codes
    order = np.lexsort((np.arange(len(codes)), -scores))[:top]  # ties in code order
    return [OccupationMatch(codes[i], occupation(codes[i]).name, round(float(scores[i]), 4)) for i in order]


# --- public API -----------------------------------------------------------------------------


def code_occupation(text: str, top: int = 5) -> list[OccupationMatch]:
    """The `top` most likely leaf occupations for a job title, best first.

    ValueError when the title is not a string or is empty, or when `top` < 1.
    """
    return _rank(text, top, TOKENS)


def best_occupation_code(text: str, min_score: float = DEFAULT_MIN_SCORE) -> str | None:
    """The single best leaf code for a title, or None when its score is below `min_score`.

    Used on import when a ledger row gives a job title instead of a code.
    """
    if not 0.0 <= min_score <= 1.0:
        raise ValueError(f"min_score must lie in [0, 1], got {min_score!r}")
    best = code_occupation(text, top=1)[0]
    return best.code if best.score >= min_score else None


def read_evaluation(path: Path) -> tuple[tuple[str, str], ...]:
    """A labelled title set as (title, gold code) pairs; ValueError names the row and field at fault."""
    out = []
    with open(path, encoding="utf-8", newline="") as f:
        for row_no, r in enumerate(csv.DictReader(f), start=2):
            title, code = (r.get("title") or "").strip(), (r.get("code") or "").strip()
            if not title:
                raise ValueError(f"{path.name} row {row_no}: field 'title' is empty")
            if not is_occupation(code):
                raise ValueError(f"{path.name} row {row_no}: field 'code' {code!r} is not a leaf occupation")
            out.append((title, code))
    return tuple(out)


@cache
def evaluation_titles() -> tuple[tuple[str, str], ...]:
    """The project's evaluation set (`data/eval/occupation_titles.csv`), read once."""
    return read_evaluation(EVAL_PATH)


def evaluate_coder(tokens: Tokens = TOKENS, path: Path | None = None) -> dict[str, float | int | str]:
    """Top-1 and top-5 accuracy of the coder on an evaluation set (default: the titles), for either tokenisation."""
    pairs = evaluation_titles() if path is None else read_evaluation(path)
    top1 = top5 = 0
    for title, gold in pairs:
        ranked = [m.code for m in _rank(title, 5, tokens)]
        top1 += ranked[0] == gold
        top5 += gold in ranked
    n = len(pairs)
    return {"tokens": tokens, "count": n, "top1": top1 / n, "top5": top5 / n}
