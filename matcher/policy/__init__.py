"""Training-subsidy policy engine: rules as data in a pack, one decision contract for every caller.

`decide(case)` answers what a worker or an enterprise can claim for one training under the default
pack ``data/policy/qujing-2019.toml``, with reasons citing the plan's articles and a full trace.
"""

from matcher.policy.case import Case, Person, PriorTraining, Training
from matcher.policy.decision import Decision, Denial, DerivedFact, Item, TraceEntry
from matcher.policy.engine import decide, decide_json, run_subsidy_cli
from matcher.policy.errors import CaseError, PackError
from matcher.policy.pack import DEFAULT_PACK, Pack, available_packs, load_pack

__all__ = [
    "DEFAULT_PACK",
    "Case",
    "CaseError",
    "Decision",
    "Denial",
    "DerivedFact",
    "Item",
    "Pack",
    "PackError",
    "Person",
    "PriorTraining",
    "TraceEntry",
    "Training",
    "available_packs",
    "decide",
    "decide_json",
    "load_pack",
    "run_subsidy_cli",
]
