"""Analysis: drawings of architectures and figures about latent spaces and graph properties."""
from naslib_oe.analysis.draw import draw_dag, save_dags_png
from naslib_oe.analysis.graph_properties import graph_properties, plot_properties, property_correlations

__all__ = ["draw_dag", "save_dags_png", "graph_properties", "property_correlations", "plot_properties"]
