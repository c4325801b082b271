"""The matching model: one feature space, feasible retrieval, a learned and calibrated scorer, training
pathways, explanations, and evaluation against baselines.

Entry points: `train_model`, `evaluate_model`, `recommend_for_worker` (and `Recommender` for a process
that serves many workers).
"""

from matcher.model.evaluate import evaluate_model
from matcher.model.recommend import Recommender, recommend_for_worker
from matcher.model.release import train_model

__all__ = ["Recommender", "evaluate_model", "recommend_for_worker", "train_model"]
