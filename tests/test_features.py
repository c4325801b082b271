"""The vectorizers: the scikit-learn transformer contract, and one feature space for all three kinds.

The transformers take `Profile` records, not numeric arrays, so `parametrize_with_checks` (which feeds
them random matrices) does not apply; the contract is checked here instead: __init__ only stores
parameters, fit returns self, transform before fit raises NotFittedError, output is CSR with as many
columns as feature names, clone and pickle round-trip, and bad input names the row at fault.
"""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from scipy import sparse
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from matcher.model.features import (
    CertificateEncoder,
    EducationEncoder,
    LevelEncoder,
    OccupationEncoder,
    OutboundEncoder,
    Profile,
    ProfileVectorizer,
    RegionEncoder,
    TextEncoder,
    WageEncoder,
    line_profiles,
    programme_profiles,
    worker_profiles,
)
from matcher.model.snapshot import load_city
from tests.test_model_city import small_city

WELDER, PIPE_WELDER_SIBLING, CHEF = "6-18-02-04", "6-18-02-05", "4-03-02-01"

SAMPLE = [
    Profile(
        "worker",
        ((WELDER, 1.0), (CHEF, 0.6)),
        2,
        ("2.1",),
        "junior_middle",
        "530302",
        3500,
        True,
        "焊工 中式烹调师",
    ),
    Profile("line", ((WELDER, 1.0),), 3, ("2.1",), None, "440300", 8000, True, "招聘电焊工 持焊工证"),
    Profile("programme", ((PIPE_WELDER_SIBLING, 1.0),), 2, (), None, "530381", None, False, "焊工培训班"),
    Profile("worker", (), 0, (), "bachelor", "530302-QJETDZ", None, False, ""),
]

ENCODERS = [
    OccupationEncoder(),
    LevelEncoder(),
    CertificateEncoder(),
    EducationEncoder(),
    RegionEncoder(),
    WageEncoder(),
    OutboundEncoder(),
    TextEncoder("char"),
    TextEncoder("jieba"),
    ProfileVectorizer(),
    ProfileVectorizer(text_analyzer="jieba"),
]


@pytest.mark.parametrize(
    "est", ENCODERS, ids=lambda e: f"{type(e).__name__}({e.get_params().get('analyzer', '')})"
)
def test_transformer_contract(est):
    fresh = clone(est)
    assert fresh.get_params() == est.get_params()
    with pytest.raises(NotFittedError):
        fresh.transform(SAMPLE)
    assert fresh.fit(SAMPLE) is fresh
    X = fresh.transform(SAMPLE)
    assert sparse.isspmatrix_csr(X) or isinstance(X, sparse.csr_array)
    assert X.shape == (len(SAMPLE), len(fresh.get_feature_names_out()))
    again = pickle.loads(pickle.dumps(fresh))
    assert (again.transform(SAMPLE) != X).nnz == 0
    assert (clone(est).fit_transform(SAMPLE) != X).nnz == 0
    assert not any(k.endswith("_") for k in vars(clone(est)))  # nothing learnt before fit
    assert fresh.transform([]).shape == (0, X.shape[1])


@pytest.mark.parametrize(
    "bad, message",
    [
        (Profile("worker", (("6-18-02", 1.0),)), "row 1: occupations: '6-18-02'"),
        (Profile("employer"), "row 1: kind must be one of"),
        (Profile("line", region="999999"), "row 1: region"),
        (Profile("worker", education="phd"), "row 1: education"),
        (Profile("worker", level=7), "row 1: level"),
        (Profile("line", special_operations=("99.9",)), "row 1: special_operations"),
    ],
)
def test_bad_input_names_the_row_and_field(bad, message):
    with pytest.raises(ValueError, match=message):
        ProfileVectorizer().fit([SAMPLE[0], bad])


def test_not_a_profile_is_refused():
    with pytest.raises(TypeError, match="row 0: expected a Profile"):
        ProfileVectorizer().fit([{"kind": "worker"}])


def test_neighbouring_occupations_share_features():
    """Same occupation > same 小类 > same 大类 > other 大类, by the dot product of occupation rows."""
    profiles = [
        Profile("line", ((code, 1.0),)) for code in (WELDER, WELDER, PIPE_WELDER_SIBLING, "6-01-01-01", CHEF)
    ]
    X = OccupationEncoder().fit_transform(profiles).toarray()
    sims = X[1:] @ X[0]
    assert sims[0] == pytest.approx(1.0)
    assert sims[0] > sims[1] > sims[2] > sims[3] == 0.0


def test_one_space_for_workers_lines_and_programmes():
    vec = ProfileVectorizer().fit(SAMPLE)
    X = vec.transform(SAMPLE)
    names = vec.get_feature_names_out()
    assert len(names) == vec.n_features_out_ == X.shape[1]
    assert set(vec.blocks_) == {
        "occupation",
        "level",
        "certificate",
        "education",
        "region",
        "wage",
        "outbound",
        "text",
    }
    for block, sl in vec.blocks_.items():
        assert all(n.startswith(block + "__") for n in names[sl])
    sim = (X.multiply(vec.column_weights()[None, :]) @ X.T).toarray()
    assert sim[0, 1] > sim[0, 3]  # the welder worker is nearer the welder line than an empty profile
    assert sim[1, 2] > 0  # line and programme share the welding 小类
    weights = vec.column_weights({"occupation": 1.0})
    assert weights[vec.blocks_["occupation"]].min() == 1.0 and weights.sum() == vec.blocks_["occupation"].stop
    with pytest.raises(ValueError, match="unknown blocks"):
        vec.column_weights({"salary": 1.0})


def test_profiles_of_the_sample_city_vectorize_into_one_space(tmp_path_factory):
    city = load_city(small_city(tmp_path_factory))
    workers = worker_profiles(city, np.arange(300), city.as_of)
    lines, programmes = line_profiles(city), programme_profiles(city)
    assert {p.kind for p in workers} == {"worker"} and len(lines) == len(city.lines)
    vec = ProfileVectorizer().fit(workers + lines + programmes)
    W, L, P = vec.transform(workers), vec.transform(lines), vec.transform(programmes)
    assert W.shape[1] == L.shape[1] == P.shape[1]
    occ = vec.blocks_["occupation"]
    # every line and programme has an occupation; workers have one from intentions at least
    assert (np.diff(L[:, occ].indptr) >= 4).all() and (np.diff(P[:, occ].indptr) >= 4).all()
    assert (np.diff(W[:, occ].indptr) >= 4).all()
