"""Assignment core: optimal transportation flows (OR-Tools) and stable matching with capacities."""

from matcher.assign.flow import Assignment, bipartite_lp_bound, solve_bipartite
from matcher.assign.stable import deferred_acceptance

__all__ = ["Assignment", "deferred_acceptance", "bipartite_lp_bound", "solve_bipartite"]
