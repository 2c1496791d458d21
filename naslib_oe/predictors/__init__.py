"""Performance predictors with NASLib's ``Predictor`` contract, and their comparison.

* :class:`OEPredictor`: the OE graph VAE's posterior means with a GP or MLP head;
* :class:`AdjacencyPredictor`, :class:`AdjacencyTreesPredictor`: baselines on the one-hot
  adjacency encoding (GP; gradient-boosted trees);
* :mod:`~naslib_oe.predictors.comparison`: training sizes x seeds on one fixed test set.
"""
from naslib_oe.predictors.base import ArchitecturePredictor, LocalPredictor, as_dags
from naslib_oe.predictors.comparison import Score, compare_predictors, markdown_table, summarize
from naslib_oe.predictors.encodings import AdjacencyPredictor, AdjacencyTreesPredictor
from naslib_oe.predictors.heads import HEADS, GPHead, MLPHead
from naslib_oe.predictors.oe import OEPredictor

__all__ = ["ArchitecturePredictor", "LocalPredictor", "as_dags", "OEPredictor", "AdjacencyPredictor",
           "AdjacencyTreesPredictor", "HEADS", "GPHead", "MLPHead", "Score", "compare_predictors", "summarize",
           "markdown_table"]
