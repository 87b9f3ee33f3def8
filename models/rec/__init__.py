"""Next-item recommenders over learner sequences (candidate generators for RES).

Interface (:class:`~models.rec.base.Recommender`, scikit-learn conventions)
--------------------------------------------------------------------------
``model.fit(sequences, **side_info) -> model`` on learner sequences of item ids (oldest
first); ``model.recommend(history, k=10, exclude_seen=True, candidates=None)`` ->
``[Recommendation(item, score), ...]``; ``model.score(histories)`` -> ``(n, n_items)``
scores aligned with ``model.vocabulary_.items``; ``model.save(folder)`` /
``load_recommender(folder)`` (JSON + npz, torch weights for SASRec; no pickle).
Unknown items in a history are ignored; an empty history is a cold start.

Models: ``popularity``, ``itemknn``, ``als`` / ``bpr`` (implicit), ``transitions``
(multi-gap Markov + optional skill term, ``fit(..., item_groups={item: skill})``),
``context`` (windowed bidirectional co-occurrence with the learner's recent items),
``sasrec`` (torch; ``fit(..., validation=(histories, targets))`` for early stopping) and
``blend`` (weighted probabilities, ``select_weights`` on validation data).
"""

from models.rec.base import ItemVocabulary, NotFittedError, RecError, Recommendation, Recommender
from models.rec.registry import load_recommender, make_recommender, recommender_class

__all__ = [
    "ItemVocabulary",
    "NotFittedError",
    "RecError",
    "Recommendation",
    "Recommender",
    "load_recommender",
    "make_recommender",
    "recommender_class",
]
