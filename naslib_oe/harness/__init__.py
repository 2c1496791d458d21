"""The shared evaluation harness: optimizers × seeds × budgets, logs, aggregates, plots."""
from naslib_oe.harness.aggregate import Curve, Found, best_architectures_table, load_run, markdown_table
from naslib_oe.harness.plot import plot_run
from naslib_oe.harness.run import CompareResult, TrialOutcome, TrialSpec, compare, run_trial
from naslib_oe.harness.trajectory import TrajectoryRecord, read_trajectory, trial_paths

__all__ = ["compare", "run_trial", "TrialSpec", "TrialOutcome", "CompareResult", "Curve", "Found", "load_run",
           "markdown_table", "best_architectures_table", "plot_run", "TrajectoryRecord", "read_trajectory", "trial_paths"]
