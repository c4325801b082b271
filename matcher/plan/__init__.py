"""The bureau's city-wide training and placement plan.

`run_plan(options)` plans the whole city (or some counties) from the store: which training classes to
open for which enterprise orders, who is placed directly or sent to outbound jobs, who is trained first,
what it costs and which subsidies it draws under the policy engine, and how far it takes the city towards
the targets of 曲政办发〔2019〕112号. `write_plan_xlsx(result, path)` writes the result as a workbook.

The optimisation core works on arrays (`Network`, `SideConstraints`): `solve_flow` (OR-Tools min-cost
flow), `solve_milp` and `lp_bound` (HiGHS), `solve_lagrangian` (city scale) and `stable_plan`
(deferred acceptance).
"""

from matcher.plan.flow import solve_flow
from matcher.plan.lagrange import solve_lagrangian
from matcher.plan.milp import lp_bound, solve_milp
from matcher.plan.network import Network, Quota, SideConstraints, Solution, violations
from matcher.plan.options import PlanOptions
from matcher.plan.pipeline import plan_city, run_plan
from matcher.plan.solve import solve_plan
from matcher.plan.stable import stable_plan
from matcher.plan.xlsx import write_plan_xlsx

__all__ = [
    "Network",
    "PlanOptions",
    "Quota",
    "SideConstraints",
    "Solution",
    "lp_bound",
    "plan_city",
    "run_plan",
    "solve_flow",
    "solve_lagrangian",
    "solve_milp",
    "solve_plan",
    "stable_plan",
    "violations",
    "write_plan_xlsx",
]
