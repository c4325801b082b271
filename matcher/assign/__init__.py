"""Assignment core: optimal transportation flows (OR-Tools) and stable matching with capacities."""

from matcher.assign.flow import Assignment, lp_bound, solve_bipartite
from matcher.assign.stable import deferred_acceptance

__all__ = ["Assignment", "deferred_acceptance", "lp_bound", "solve_bipartite"]
