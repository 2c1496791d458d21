"""Latent-space Bayesian optimisation: GP surrogates (GPyTorch), batch EI (BoTorch),
proposals from latent points, and the search loop.

The BO layer sees latent vectors, architectures and an evaluator, nothing else; with
``bo.finetune`` it also refits a copy of the VAE's input map on the labelled cells
(:func:`refit_encoder`).
"""
from naslib_oe.bo.acquisition import make_acquisition, optimize_batch, select_from_pool
from naslib_oe.bo.finetune import FinetuneSettings, refit_encoder
from naslib_oe.bo.predictive import PredictiveMetrics, predictive_performance
from naslib_oe.bo.proposals import decode_most_frequent
from naslib_oe.bo.search import BOSettings, LatentBO, Prior, QueryRecord, SearchResult, run_search
from naslib_oe.bo.surrogate import GPSettings, SurrogateFitError, fit_gp, predict

__all__ = ["GPSettings", "SurrogateFitError", "fit_gp", "predict", "make_acquisition", "optimize_batch",
           "select_from_pool", "decode_most_frequent", "BOSettings", "LatentBO", "Prior", "QueryRecord",
           "SearchResult", "run_search", "PredictiveMetrics", "predictive_performance", "FinetuneSettings",
           "refit_encoder"]
