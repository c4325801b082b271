"""One feature space for workers, demand lines and training programmes.

Each of the three is first reduced to a `Profile` (what it is about: occupations with weights, skill
level, special-operation certificates, education, region, wage, outbound willingness, free text), and the
scikit-learn transformers below turn a list of profiles into sparse CSR rows with the same columns
whatever the kind. A worker and a line that share an occupation's 大类, 中类, 小类 or the occupation itself
share columns, so the dot product of their rows measures how close they are; retrieval weighs the blocks
(`ProfileVectorizer.column_weights`).

Worker profiles are taken AT A DATE: certificates issued, trainings completed and work spells begun
before it — never anything learnt later.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize
from sklearn.utils.validation import check_is_fitted

from matcher import reference as ref
from matcher.model.codes import EDUCATIONS, occupation_codes, special_operation_codes
from matcher.model.geometry import Place, place
from matcher.model.snapshot import City

KINDS = ("worker", "line", "programme")
SOURCE_WEIGHTS = {"intention": 1.0, "certificate": 0.8, "history": 0.6}
"""How much each source of a worker's occupations counts: what they ask for above what they have done."""

TEXT_ANALYZER = "char"
"""Tokenisation of free text: character 1–2-grams. Measured by `matcher.model.evaluate.compare_text_analyzers`:
coding the 354 evaluation job titles to the nearest occupation name, 46.0 % right against 26.8 % for jieba
words; ranking the 60,000-worker city's held-out referrals by TF-IDF cosine, NDCG@10 0.6932 against 0.6931."""


@dataclass(frozen=True, slots=True)
class Profile:
    """A worker, demand line or programme as the vectorizers see it.

    `occupations` are level-4 codes with weights, `level` a rank (0 none, 1 初级工 … 5 高级技师),
    `special_operations` catalogue item codes, `region` a region code, `wage` yuan a month (the worker's
    minimum, the line's maximum), `outside_province` the worker's willingness or the line's location.
    """

    kind: str
    occupations: tuple[tuple[str, float], ...] = ()
    level: int = 0
    special_operations: tuple[str, ...] = ()
    education: str | None = None
    region: str | None = None
    wage: int | None = None
    outside_province: bool = False
    text: str = ""


def _checked(X: Iterable[object]) -> list[Profile]:
    out: list[Profile] = []
    for i, p in enumerate(X):
        if not isinstance(p, Profile):
            raise TypeError(f"row {i}: expected a Profile, got {type(p).__name__}")
        if p.kind not in KINDS:
            raise ValueError(f"row {i}: kind must be one of {', '.join(KINDS)}, got {p.kind!r}")
        out.append(p)
    return out


def _csr(rows: list[int], cols: list[int], vals: list[float], shape: tuple[int, int]) -> sparse.csr_matrix:
    m = sparse.csr_matrix((np.asarray(vals, np.float32), (rows, cols)), shape=shape, dtype=np.float32)
    m.sum_duplicates()
    return m


class _Encoder(TransformerMixin, BaseEstimator):
    """Shared plumbing: `fit` learns the columns, `transform` fills them, names come from `names_`."""

    def fit(self, X: Iterable[Profile], y: object = None) -> _Encoder:  # noqa: ARG002 (scikit-learn's signature)
        self._learn(_checked(X))
        return self

    def transform(self, X: Iterable[Profile]) -> sparse.csr_matrix:
        check_is_fitted(self)
        X = _checked(X)
        if not X:  # scikit-learn's own steps refuse empty input; no rows in, no rows out
            return sparse.csr_matrix((0, len(self.names_)), dtype=np.float32)
        return self._encode(X)

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:  # noqa: ARG002 (scikit-learn's signature)
        check_is_fitted(self)
        return np.asarray(self.names_, dtype=object)

    def _learn(self, X: list[Profile]) -> None:
        raise NotImplementedError

    def _encode(self, X: list[Profile]) -> sparse.csr_matrix:
        raise NotImplementedError


class OccupationEncoder(_Encoder):
    """Occupations through their four-level codes: one column per 大类, 中类, 小类 and 职业 seen in fit.

    A profile's occupations add `weight × level_weights[k]` to the node at depth k+1; rows are L2-normalised,
    so the dot product of two rows is 1 for the same occupation and smaller the higher their common group.
    """

    def __init__(self, level_weights: tuple[float, float, float, float] = (0.25, 0.5, 0.75, 1.0)) -> None:
        self.level_weights = level_weights

    def _learn(self, X: list[Profile]) -> None:
        nodes: set[str] = set()
        for i, p in enumerate(X):
            for code, _ in p.occupations:
                nodes.update(_path(code, i))
        self.vocabulary_ = {n: j for j, n in enumerate(sorted(nodes))}
        self.names_ = [f"occ={n}" for n in sorted(nodes)]

    def _encode(self, X: list[Profile]) -> sparse.csr_matrix:
        rows, cols, vals = [], [], []
        voc, lw = self.vocabulary_, self.level_weights
        for i, p in enumerate(X):
            for code, w in p.occupations:
                for k, node in enumerate(_path(code, i)):
                    j = voc.get(node)
                    if j is not None:
                        rows.append(i)
                        cols.append(j)
                        vals.append(w * lw[k])
        return normalize(_csr(rows, cols, vals, (len(X), len(voc))))


def _path(code: str, row: int) -> tuple[str, str, str, str]:
    if not ref.is_occupation(code):
        raise ValueError(
            f"row {row}: occupations: {code!r} is not a level-4 occupation of the 2022 classification"
        )
    parts = code.split("-")
    return parts[0], "-".join(parts[:2]), "-".join(parts[:3]), code


class LevelEncoder(_Encoder):
    """Skill level: one column per level rank seen in fit (0 = none) and the rank scaled to 0–1."""

    def _learn(self, X: list[Profile]) -> None:
        for i, p in enumerate(X):
            if not 0 <= p.level <= 5:
                raise ValueError(f"row {i}: level must be a rank 0 (none) to 5 (高级技师), got {p.level!r}")
        self.categories_ = sorted({p.level for p in X})
        labels = {0: "none"} | {lv.rank: lv.label for lv in ref.skill_levels().values()}
        self.names_ = [f"level={labels[c]}" for c in self.categories_] + ["level_rank"]

    def _encode(self, X: list[Profile]) -> sparse.csr_matrix:
        col = {c: j for j, c in enumerate(self.categories_)}
        rows, cols, vals = [], [], []
        for i, p in enumerate(X):
            if p.level in col:
                rows.append(i)
                cols.append(col[p.level])
                vals.append(1.0)
            rows.append(i)
            cols.append(len(col))
            vals.append(p.level / 5)
        return _csr(rows, cols, vals, (len(X), len(col) + 1))


class CertificateEncoder(_Encoder):
    """Special-operation items (特种作业) held, required or awarded: one 0/1 column per item seen in fit."""

    def _learn(self, X: list[Profile]) -> None:
        items = set()
        for i, p in enumerate(X):
            for code in p.special_operations:
                if code not in ref.special_operations():
                    raise ValueError(f"row {i}: special_operations: {code!r} is not in the catalogue")
                items.add(code)
        order = {c: k for k, c in enumerate(special_operation_codes())}
        self.vocabulary_ = {c: j for j, c in enumerate(sorted(items, key=order.__getitem__))}
        self.names_ = [f"so={c}" for c in self.vocabulary_]

    def _encode(self, X: list[Profile]) -> sparse.csr_matrix:
        rows, cols = [], []
        for i, p in enumerate(X):
            for code in set(p.special_operations):
                j = self.vocabulary_.get(code)
                if j is not None:
                    rows.append(i)
                    cols.append(j)
        return _csr(rows, cols, [1.0] * len(rows), (len(X), len(self.vocabulary_)))


class EducationEncoder(_Encoder):
    """Education: one column per level seen in fit and the level's order scaled to 0–1."""

    def _learn(self, X: list[Profile]) -> None:
        for i, p in enumerate(X):
            if p.education is not None and p.education not in EDUCATIONS:
                raise ValueError(
                    f"row {i}: education must be one of {', '.join(EDUCATIONS)}, got {p.education!r}"
                )
        self.categories_ = sorted({p.education for p in X if p.education}, key=EDUCATIONS.index)
        self.names_ = [f"edu={c}" for c in self.categories_] + ["edu_rank"]

    def _encode(self, X: list[Profile]) -> sparse.csr_matrix:
        col = {c: j for j, c in enumerate(self.categories_)}
        rows, cols, vals = [], [], []
        top = len(EDUCATIONS) - 1
        for i, p in enumerate(X):
            if p.education is None:
                continue
            if p.education in col:
                rows.append(i)
                cols.append(col[p.education])
                vals.append(1.0)
            rows.append(i)
            cols.append(len(col))
            vals.append(EDUCATIONS.index(p.education) / top)
        return _csr(rows, cols, vals, (len(X), len(col) + 1))


class RegionEncoder(_Encoder):
    """Where: one column per county-level unit (or outbound city) seen in fit, and standardised lon/lat.

    The coordinate columns carry distance for models; retrieval gives them no weight and measures
    distance exactly instead.
    """

    def _learn(self, X: list[Profile]) -> None:
        places = [self._place(p, i) for i, p in enumerate(X)]
        counties = sorted({pl.county for pl in places if pl is not None})
        coords = np.array([(pl.lon, pl.lat) for pl in places if pl is not None], np.float64).reshape(-1, 2)
        self.vocabulary_ = {c: j for j, c in enumerate(counties)}
        self.mean_ = coords.mean(axis=0) if len(coords) else np.zeros(2)
        self.scale_ = np.maximum(coords.std(axis=0), 1e-6) if len(coords) else np.ones(2)
        self.names_ = [f"county={c}" for c in counties] + ["lon", "lat"]

    @staticmethod
    def _place(p: Profile, row: int) -> Place | None:
        if p.region is None:
            return None
        try:
            return place(p.region)
        except (KeyError, ValueError) as e:
            raise ValueError(f"row {row}: region: {e}") from None

    def _encode(self, X: list[Profile]) -> sparse.csr_matrix:
        n = len(self.vocabulary_)
        rows, cols, vals = [], [], []
        for i, p in enumerate(X):
            pl = self._place(p, i)
            if pl is None:
                continue
            j = self.vocabulary_.get(pl.county)
            if j is not None:
                rows.append(i)
                cols.append(j)
                vals.append(1.0)
            lon, lat = (np.array([pl.lon, pl.lat]) - self.mean_) / self.scale_
            rows += [i, i]
            cols += [n, n + 1]
            vals += [float(lon), float(lat)]
        return _csr(rows, cols, vals, (len(X), n + 2))


class WageEncoder(_Encoder):
    """Wage: log yuan standardised over the profiles seen in fit, 0 with a missing flag when unknown."""

    def _learn(self, X: list[Profile]) -> None:
        for i, p in enumerate(X):
            if p.wage is not None and p.wage < 0:
                raise ValueError(f"row {i}: wage must be ≥ 0 yuan, got {p.wage}")
        logs = np.log([p.wage for p in X if p.wage])
        self.mean_ = float(logs.mean()) if len(logs) else 0.0
        self.scale_ = float(max(logs.std(), 1e-6)) if len(logs) else 1.0
        self.names_ = ["log_wage", "wage_missing"]

    def _encode(self, X: list[Profile]) -> sparse.csr_matrix:
        rows, cols, vals = [], [], []
        for i, p in enumerate(X):
            rows.append(i)
            if p.wage:
                cols.append(0)
                vals.append((np.log(p.wage) - self.mean_) / self.scale_)
            else:
                cols.append(1)
                vals.append(1.0)
        return _csr(rows, cols, vals, (len(X), 2))


class OutboundEncoder(_Encoder):
    """Outbound work: the worker is willing to work outside Yunnan, or the line lies outside it."""

    def _learn(self, _X: list[Profile]) -> None:
        self.names_ = ["outside_province"]

    def _encode(self, X: list[Profile]) -> sparse.csr_matrix:
        rows = [i for i, p in enumerate(X) if p.outside_province]
        return _csr(rows, [0] * len(rows), [1.0] * len(rows), (len(X), 1))


_NON_WORD = re.compile(r"[\W_]+")


def clean_text(text: str) -> str:
    """Lower case, punctuation and spaces removed: Chinese text needs no word separators."""
    return _NON_WORD.sub("", text.lower())


def jieba_tokens(text: str) -> list[str]:
    """jieba's word segmentation (accurate mode) of the cleaned text."""
    import jieba

    return [t for t in jieba.lcut(clean_text(text)) if t.strip()]


class TextEncoder(_Encoder):
    """Free text as TF-IDF (sublinear tf, L2 rows): character 1–2-grams (`char`) or jieba words (`jieba`)."""

    def __init__(self, analyzer: str = TEXT_ANALYZER, min_df: int = 1) -> None:
        self.analyzer = analyzer
        self.min_df = min_df

    def _tfidf(self) -> TfidfVectorizer:
        if self.analyzer == "char":
            return TfidfVectorizer(
                analyzer="char",
                ngram_range=(1, 2),
                preprocessor=clean_text,
                sublinear_tf=True,
                min_df=self.min_df,
                dtype=np.float32,
            )
        if self.analyzer == "jieba":
            return TfidfVectorizer(
                analyzer=jieba_tokens, sublinear_tf=True, min_df=self.min_df, dtype=np.float32
            )
        raise ValueError(f"analyzer must be 'char' or 'jieba', got {self.analyzer!r}")

    def _learn(self, X: list[Profile]) -> None:
        self.tfidf_ = self._tfidf().fit([p.text for p in X])
        self.names_ = [f"text={t}" for t in self.tfidf_.get_feature_names_out()]

    def _encode(self, X: list[Profile]) -> sparse.csr_matrix:
        return self.tfidf_.transform([p.text for p in X]).tocsr()


BLOCKS = ("occupation", "level", "certificate", "education", "region", "wage", "outbound", "text")

RETRIEVAL_WEIGHTS = {"occupation": 1.0, "certificate": 0.2, "region": 0.4, "outbound": 0.2, "text": 0.4}
"""Block weights of the retrieval similarity; blocks left out (level, education, wage, coordinates) are
compared by the feasibility rules and the learned scorer, not by a dot product. Chosen so that the top 50
retrieved keep most of what scoring every feasible line would rank top 10 (on samples of 300–400 workers
of the 60,000-worker city, 87–91 %, against 84–87 % with region 0.15 and outbound 0.1)."""


class ProfileVectorizer(TransformerMixin, BaseEstimator):
    """All blocks side by side: the one feature space of workers, lines and programmes.

    `blocks_` maps each block name to its column slice; `get_feature_names_out` prefixes each column
    with its block (`occupation__occ=6-18-02`).
    """

    def __init__(
        self,
        text_analyzer: str = TEXT_ANALYZER,
        level_weights: tuple[float, float, float, float] = (0.25, 0.5, 0.75, 1.0),
    ) -> None:
        self.text_analyzer = text_analyzer
        self.level_weights = level_weights

    def _encoders(self) -> list[tuple[str, _Encoder]]:
        return [
            ("occupation", OccupationEncoder(self.level_weights)),
            ("level", LevelEncoder()),
            ("certificate", CertificateEncoder()),
            ("education", EducationEncoder()),
            ("region", RegionEncoder()),
            ("wage", WageEncoder()),
            ("outbound", OutboundEncoder()),
            ("text", TextEncoder(self.text_analyzer)),
        ]

    def fit(self, X: Iterable[Profile], y: object = None) -> ProfileVectorizer:  # noqa: ARG002 (scikit-learn's signature)
        X = _checked(X)
        self.encoders_ = [(name, enc.fit(X)) for name, enc in self._encoders()]
        self.blocks_: dict[str, slice] = {}
        start = 0
        for name, enc in self.encoders_:
            width = len(enc.names_)
            self.blocks_[name] = slice(start, start + width)
            start += width
        self.n_features_out_ = start
        return self

    def transform(self, X: Iterable[Profile]) -> sparse.csr_matrix:
        check_is_fitted(self)
        X = _checked(X)
        return sparse.hstack([enc.transform(X) for _, enc in self.encoders_], format="csr", dtype=np.float32)

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:  # noqa: ARG002 (scikit-learn's signature)
        check_is_fitted(self)
        return np.asarray([f"{name}__{f}" for name, enc in self.encoders_ for f in enc.names_], dtype=object)

    def column_weights(self, weights: dict[str, float] | None = None) -> np.ndarray:
        """A weight per column from per-block weights (default `RETRIEVAL_WEIGHTS`); the coordinates get 0."""
        check_is_fitted(self)
        weights = RETRIEVAL_WEIGHTS if weights is None else weights
        unknown = set(weights) - set(BLOCKS)
        if unknown:
            raise ValueError(f"weights: unknown blocks {sorted(unknown)}; blocks are {', '.join(BLOCKS)}")
        out = np.zeros(self.n_features_out_, np.float32)
        for name, sl in self.blocks_.items():
            out[sl] = weights.get(name, 0.0)
        region = self.blocks_["region"]
        out[region.stop - 2 : region.stop] = 0.0
        return out


# --- profiles from the city ---------------------------------------------------------------------


def _occ_name(i: int) -> str:
    return ref.occupation(occupation_codes()[i]).name


def worker_profiles(city: City, rows: Sequence[int] | np.ndarray, at: int | np.ndarray) -> list[Profile]:
    """The workers `rows` as they stood on day `at` (an ordinal, or one per row).

    Occupations come from intentions (weight 1.0), credentials dated before `at` (0.8: certificates and
    certified trainings) and work spells begun before `at` (0.6); the level is the highest held before `at`.
    """
    w = city.workers
    rows = np.asarray(rows, dtype=np.int64)
    at_arr = np.broadcast_to(np.asarray(at, dtype=np.int64), rows.shape)
    so_codes = special_operation_codes()
    occ_codes = occupation_codes()
    io, cr, sp = w.intent_occ, city.credentials, w.spells
    io_occ, cr_occ, cr_rank, cr_so, cr_date = io["occ"], cr["occ"], cr["rank"], cr["so"], cr["date"]
    out = []
    for r, day in zip(rows.tolist(), at_arr.tolist()):
        weights: dict[int, float] = {}
        level = 0
        sos: list[str] = []
        for k in range(io.offsets[r], io.offsets[r + 1]):
            _add(weights, int(io_occ[k]), SOURCE_WEIGHTS["intention"])
        for k in range(cr.offsets[r], cr.offsets[r + 1]):
            if cr_date[k] >= day:
                continue
            _add(weights, int(cr_occ[k]), SOURCE_WEIGHTS["certificate"])
            level = max(level, int(cr_rank[k]))
            if cr_so[k] >= 0:
                sos.append(so_codes[cr_so[k]])
        for k in range(sp.offsets[r], sp.offsets[r + 1]):
            if sp["start"][k] < day:
                _add(weights, int(sp["occ"][k]), SOURCE_WEIGHTS["history"])
        names = [_occ_name(o) for o in weights]
        names += [ref.special_operations()[s].name for s in sos]
        out.append(
            Profile(
                kind="worker",
                occupations=tuple((occ_codes[o], wt) for o, wt in weights.items()),
                level=level,
                special_operations=tuple(dict.fromkeys(sos)),
                education=EDUCATIONS[w.education[r]],
                region=w.residence[r],
                wage=int(w.min_wage[r]) or None,
                outside_province=bool(w.outside_province[r]),
                text=" ".join(names),
            )
        )
    return out


def _add(weights: dict[int, float], occ: int, w: float) -> None:
    if occ >= 0:
        weights[occ] = max(weights.get(occ, 0.0), w)


def line_profiles(city: City, rows: Sequence[int] | np.ndarray | None = None) -> list[Profile]:
    """Demand lines: their occupation, required level and certificates, work region, top wage and text."""
    ln = city.lines
    rows = np.arange(len(ln)) if rows is None else np.asarray(rows)
    so_codes, occ_codes = special_operation_codes(), occupation_codes()
    req = ln.required
    return [
        Profile(
            kind="line",
            occupations=((occ_codes[ln.occ[r]], 1.0),),
            level=int(ln.rank[r]),
            special_operations=tuple(so_codes[j] for j in req.indices[req.indptr[r] : req.indptr[r + 1]]),
            region=ln.region[r],
            wage=int(ln.wage_max[r]),
            outside_province=ln.province[r] != ref.YUNNAN_CODE,
            text=f"{ln.title[r]} {ln.description[r]}",
        )
        for r in rows.tolist()
    ]


def programme_profiles(city: City, rows: Sequence[int] | np.ndarray | None = None) -> list[Profile]:
    """Programmes: their occupation, target level, awarded special-operation item, place and name."""
    pr = city.programmes
    rows = np.arange(len(pr)) if rows is None else np.asarray(rows)
    so_codes, occ_codes = special_operation_codes(), occupation_codes()
    return [
        Profile(
            kind="programme",
            occupations=((occ_codes[pr.occ[r]], 1.0),),
            level=int(pr.rank[r]),
            special_operations=(so_codes[pr.so[r]],) if pr.so[r] >= 0 else (),
            region=pr.region[r],
            text=str(pr.name[r]),
        )
        for r in rows.tolist()
    ]
