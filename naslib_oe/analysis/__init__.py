"""Analysis: drawings of architectures and figures about latent spaces."""
from naslib_oe.analysis.draw import draw_dag, save_dags_png

__all__ = ["draw_dag", "save_dags_png"]
