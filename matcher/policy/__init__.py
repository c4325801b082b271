"""Training-subsidy policy engine: rules as data in a pack, one decision contract for every caller.

`decide(case)` answers what a worker or an enterprise can claim for one training under the pack in force on
its start date (``data/policy/qujing-2019.toml`` for 2019–2021), with reasons citing the plan's articles and a
full trace; a training no pack covers is refused by the nearest pack's plan-period check (`in_force` False).
"""

from matcher.policy.case import Case, Person, PriorTraining, Training
from matcher.policy.decision import Decision, Denial, DerivedFact, Item, TraceEntry
from matcher.policy.engine import decide, decide_json, run_subsidy_cli
from matcher.policy.errors import CaseError, PackError
from matcher.policy.pack import DEFAULT_PACK, Pack, available_packs, load_pack, pack_for

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
    "pack_for",
    "run_subsidy_cli",
]
