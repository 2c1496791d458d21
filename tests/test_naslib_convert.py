"""NASLib encodings <-> ArchDAG, checked against NB201 facts (no NASLib needed)."""
import itertools

import numpy as np
import pytest

from naslib_oe.naslib.convert import (nb101_dag_from_spec, nb101_spec_from_dag, nb201_dag_from_op_indices,
                                      nb201_op_indices_from_dag)
from naslib_oe.spaces import InvalidArchitecture, NB101Space, NB201Space


def test_nb201_op_indices_known_cells():
    space = NB201Space()
    # NASLib edge order (1,2),(1,3),(1,4),(2,3),(2,4),(3,4); ops skip, none, conv3, conv1, pool
    dag = nb201_dag_from_op_indices([2, 3, 4, 0, 1, 2])
    assert space.to_string(dag) == ("|nor_conv_3x3~0|+|nor_conv_1x1~0|skip_connect~1|"
                                    "+|avg_pool_3x3~0|none~1|nor_conv_3x3~2|")
    best = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|"
    assert nb201_op_indices_from_dag(space.from_string(best)) == [2, 2, 0, 2, 2, 2]
    assert nb201_dag_from_op_indices(np.array([2, 2, 0, 2, 2, 2], dtype=np.int64)) == space.from_string(best)


def test_nb201_round_trip_over_the_whole_space():
    space = NB201Space()
    seen = set()
    for indices in itertools.product(range(5), repeat=6):
        dag = nb201_dag_from_op_indices(indices, space)
        assert nb201_op_indices_from_dag(dag, space) == list(indices)
        seen.add(space.hash(dag))
    assert len(seen) == 15625


def test_nb201_bad_indices():
    with pytest.raises(InvalidArchitecture, match="6 NASLib op indices"):
        nb201_dag_from_op_indices([0, 1, 2])
    with pytest.raises(InvalidArchitecture, match="0..4"):
        nb201_dag_from_op_indices([0, 1, 2, 3, 4, 5])


def test_nb101_spec_round_trip_prunes_like_nb101():
    space = NB101Space()
    # vertex 2 is a dead end (no path to the output): NB101 prunes it
    spec = {"matrix": [[0, 1, 1, 0], [0, 0, 0, 1], [0, 0, 0, 0], [0, 0, 0, 0]],
            "ops": ["input", "conv3x3-bn-relu", "maxpool3x3", "output"]}
    dag = nb101_dag_from_spec(spec)
    assert dag.n_nodes == 3 and space.op_name(dag.ops[1]) == "conv3x3-bn-relu"
    back = nb101_spec_from_dag(dag)
    assert back == {"matrix": [[0, 1, 0], [0, 0, 1], [0, 0, 0]], "ops": ["input", "conv3x3-bn-relu", "output"]}
    assert nb101_dag_from_spec(back) == dag


def test_naslib_architectures_reach_the_layers_below_through_the_space_adapters(monkeypatch):
    from naslib_oe.naslib import adapters
    from naslib_oe.predictors.base import as_dags
    from naslib_oe.problem import foreign_dag

    class NB201Arch:  # NASLib's NB201 architecture, as far as the shell reads it
        def get_type(self):
            return "nasbench201"

        def get_op_indices(self):
            return [2, 2, 0, 2, 2, 2]

    class NewSpaceArch:
        def get_type(self):
            return "newbench"

    assert as_dags([NB201Arch()]) == [nb201_dag_from_op_indices([2, 2, 0, 2, 2, 2])]
    with pytest.raises(InvalidArchitecture, match="enas / nasbench101 / nasbench201"):
        foreign_dag(NewSpaceArch())
    # a new space is one registration: every part of the shell then finds it
    monkeypatch.setitem(adapters._ADAPTERS, "newbench", adapters.SpaceAdapter(
        "newbench", NewSpaceArch, lambda arch: "the new space's DAG", lambda space: lambda dag: space))
    assert foreign_dag(NewSpaceArch()) == "the new space's DAG"
    assert "newbench" in adapters.known_spaces()


def test_an_adapter_needs_a_registered_space():
    from naslib_oe.naslib import adapters

    with pytest.raises(KeyError, match="unknown search space 'newbench'"):
        adapters.register_adapter(adapters.SpaceAdapter("newbench", object, lambda a: a, lambda s: s))
    with pytest.raises(ValueError, match="canonical name 'nasbench201'"):
        adapters.register_adapter(adapters.SpaceAdapter("nb201", object, lambda a: a, lambda s: s))
