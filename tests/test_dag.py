import pickle
import subprocess
import sys

import numpy as np
import pytest
import torch

from naslib_oe.spaces import ArchDAG, DAGBatch


def chain(ops):
    return ArchDAG.from_edges(ops, [(i, i + 1) for i in range(len(ops) - 1)])


def test_construction_and_accessors():
    dag = ArchDAG.from_edges([0, 3, 4, 1], [(0, 1), (1, 2), (0, 2), (2, 3)])
    assert dag.n_nodes == 4
    assert dag.ops == (0, 3, 4, 1)
    assert dag.edges() == [(0, 1), (0, 2), (1, 2), (2, 3)]
    assert repr(dag) == "ArchDAG(ops=[0, 3, 4, 1], edges=[(0, 1), (0, 2), (1, 2), (2, 3)])"
    with pytest.raises(ValueError):
        dag.adj[0, 3] = True  # read-only


@pytest.mark.parametrize("edges", [[(1, 0)], [(2, 2)]])
def test_rejects_non_topological_adjacency(edges):
    with pytest.raises(ValueError, match="upper-triangular"):
        ArchDAG.from_edges([0, 2, 1], edges)


def test_rejects_wrong_shape():
    with pytest.raises(ValueError, match="shape"):
        ArchDAG([0, 1], np.zeros((3, 3)))


def test_equality_hash_and_pickle():
    a, b = chain([0, 2, 1]), chain([0, 2, 1])
    c = chain([0, 3, 1])
    assert a == b and hash(a) == hash(b) and a.key == b.key
    assert a != c and a.key != c.key
    assert len({a, b, c}) == 2
    assert pickle.loads(pickle.dumps(a)) == a


def test_key_is_stable_across_processes():
    code = ("from naslib_oe.spaces import ArchDAG; "
            "print(ArchDAG.from_edges([0, 5, 1], [(0, 1), (1, 2), (0, 2)]).key)")
    keys = {
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                       env={"PYTHONHASHSEED": seed, "PATH": ""}).stdout.strip()
        for seed in ("1", "2")
    }
    assert keys == {ArchDAG.from_edges([0, 5, 1], [(0, 1), (1, 2), (0, 2)]).key}


def test_to_networkx():
    dag = ArchDAG.from_edges([0, 3, 1], [(0, 1), (1, 2), (0, 2)])
    g = dag.to_networkx(vocab=["in", "out", "x", "conv"])
    assert sorted(g.edges()) == [(0, 1), (0, 2), (1, 2)]
    assert g.nodes[1] == {"op": 3, "label": "conv"}


def test_collate_pads_and_round_trips():
    dags = [chain([0, 2, 1]), ArchDAG.from_edges([0, 3, 4, 1], [(0, 1), (1, 2), (2, 3), (0, 3)])]
    batch = DAGBatch.from_dags(dags, pad_id=9, max_nodes=5)
    assert batch.ops.shape == (2, 5) and batch.ops.dtype == torch.long
    assert batch.adj.shape == (2, 5, 5) and batch.adj.dtype == torch.bool
    assert batch.n_nodes.tolist() == [3, 4]
    assert batch.ops[0].tolist() == [0, 2, 1, 9, 9]
    assert not batch.adj[0, 3:].any() and not batch.adj[0, :, 3:].any()
    assert batch.to_dags() == dags
    assert batch[1:].to_dags() == dags[1:]
    assert len(batch) == 2 and batch.max_nodes == 5


def test_collate_errors():
    with pytest.raises(ValueError, match="empty"):
        DAGBatch.from_dags([], pad_id=3)
    with pytest.raises(ValueError, match="max_nodes=2"):
        DAGBatch.from_dags([chain([0, 2, 1])], pad_id=3, max_nodes=2)
