"""The sample city: a synthetic but realistic Qujing (workers, enterprises, ledgers, training, 2019–2021 outcomes).

`build_city` writes it to the store; `id_numbers` regenerates the workers' ID numbers, which are
never stored. The generating assumptions, shares and the outcome process are documented in
data/SAMPLE_CITY.md; every figure lives in data/sample_city.toml and data/sample_city_occupations.csv.
"""

from matcher.synth.build import CityExistsError, build_city
from matcher.synth.people import id_numbers

__all__ = ["CityExistsError", "build_city", "id_numbers"]
