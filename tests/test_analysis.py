"""Analysis: graph properties against hand-computed values, latent maps, embeddings,
interpolation, drawings and the report."""
import re

import numpy as np
import pytest
import torch
from PIL import Image

from naslib_oe.analysis import graph_properties, plot_properties, property_correlations, save_dags_png
from naslib_oe.analysis.latent import embedding_geometry, interpolate, latent_map, smoothness
from naslib_oe.analysis.report import analyze
from naslib_oe.models import GraphVAE, VAEConfig
from naslib_oe.spaces import ArchDAG, EnasSpace
from naslib_oe.training import TrainConfig, train_vae


def test_graph_properties_hand_computed():
    chain = ArchDAG.from_edges([0, 2, 1], [(0, 1), (1, 2)])            # a path a-b-c
    triangle = ArchDAG.from_edges([0, 2, 1], [(0, 1), (1, 2), (0, 2)])  # a 3-clique
    # 4 vertices: a triangle 0-1-2 plus a pendant 2-3
    # clustering: v0 = v1 = 1, v2 = 1/3 (1 of its 3 neighbour pairs linked), v3 = 0 -> 7/12
    # distances: 01 02 12 = 1, 23 = 1, 03 = 13 = 2 -> 8/6
    kite = ArchDAG.from_edges([0, 2, 3, 1], [(0, 1), (1, 2), (0, 2), (2, 3)])
    props = graph_properties([chain, triangle, kite])
    assert props["clustering"] == pytest.approx([0.0, 1.0, 7 / 12])
    assert props["path_length"] == pytest.approx([4 / 3, 1.0, 8 / 6])


def test_correlations_and_plot(tmp_path):
    props = {"clustering": np.array([0.0, 0.5, 1.0, np.nan]), "path_length": np.array([3.0, 2.0, 1.0, 1.5])}
    acc = [70.0, 71.0, 72.0, 90.0]
    corr = property_correlations(props, acc)
    assert corr["clustering"].r == pytest.approx(1.0) and corr["clustering"].n == 3  # the NaN is left out
    assert corr["path_length"].n == 4 and corr["path_length"].r < 0
    png = plot_properties(props, acc, tmp_path / "props.png", "toy")
    assert Image.open(png).size[0] > 500


def test_enas_properties_correlate_with_accuracy(enas_bench):
    props = graph_properties(enas_bench.dags[:2000])
    corr = property_correlations(props, enas_bench.column()[:2000])
    # on the whole table: clustering r = -0.38, path length r = +0.27 (see the issue notes)
    assert corr["clustering"].r < -0.2 and corr["path_length"].r > 0.1
    assert corr["clustering"].p < 1e-10


def test_draw_writes_png(tmp_path):
    space = EnasSpace()
    dag = space.sample(np.random.default_rng(0))
    png = save_dags_png([dag, dag], space, ["a", "b"], tmp_path / "d.png", suptitle="two")
    assert Image.open(png).size[1] > 200


def test_drawing_keeps_every_edge_and_label_in_view():
    """The ENAS cell with every skip edge (0 -> 6 is the longest) drawn on one axis."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from naslib_oe.analysis.draw import draw_dag

    space = EnasSpace()
    dag = space.to_dag([[0]] + [[i % 6] + [1] * i for i in range(1, 6)])
    assert dag.adj[0, 6]
    fig = Figure(figsize=(9, 4))
    ax = fig.subplots()
    arcs = draw_dag(dag, space, ax)
    renderer = FigureCanvasAgg(fig).get_renderer()
    frame = ax.get_window_extent(renderer)
    assert len(ax.patches) == len(arcs) == int(dag.adj.sum())
    for patch in ax.patches:
        box = patch.get_window_extent(renderer)
        assert frame.x0 <= box.x0 and box.x1 <= frame.x1 and frame.y0 <= box.y0 and box.y1 <= frame.y1
    labels = [t.get_window_extent(renderer) for t in ax.texts]
    assert len(labels) == dag.n_nodes
    for a, b in zip(labels, labels[1:]):  # neighbouring names never overlap
        assert a.x1 <= b.x0


# --- latent space, embeddings, interpolation, report --------------------------------------
@pytest.fixture(scope="module")
def toy_enas_model(enas_bench, tmp_path_factory):
    torch.manual_seed(0)
    model = GraphVAE(enas_bench.space, VAEConfig(hidden=32, latent=6, op_embedding_dim=3))
    train_vae(model, enas_bench.dags[:300], TrainConfig(epochs=1, lr=3e-3, device="cpu"), progress=False)
    path = tmp_path_factory.mktemp("toy") / "model.pt"
    model.save(path)
    return model.eval(), path


def test_smoothness_hand_made():
    z = torch.tensor([[0.0], [0.1], [10.0], [10.1]])
    s = smoothness(z, [70.0, 70.0, 80.0, 80.0])
    assert s.neighbour_diff == 0.0  # every nearest neighbour has the same accuracy
    assert s.random_diff > 0 and s.ratio == 0.0


def test_latent_map_and_embedding_geometry(toy_enas_model, enas_bench):
    model, _ = toy_enas_model
    z = model.embed(enas_bench.dags[:60]).numpy()
    xy = latent_map(z)
    assert xy.shape == (60, 2) and np.isfinite(xy).all()
    assert np.allclose(latent_map(z), xy)  # seeded
    points, cosine = embedding_geometry(model)
    assert points.shape == (8, 2) and cosine.shape == (8, 8)
    assert np.allclose(np.diag(cosine), 1.0) and np.allclose(cosine, cosine.T)


def test_interpolation_ends_at_the_endpoints_decodes(toy_enas_model, enas_bench):
    model, _ = toy_enas_model
    a, b = enas_bench.dags[0], enas_bench.dags[1]
    path = interpolate(model, a, b, steps=5)
    assert len(path) == 5
    ends = model.decode(model.embed([a, b])).to_dags()
    assert path[0] == ends[0] and path[-1] == ends[1]


def test_report_references_only_existing_files(toy_enas_model, tmp_path, data_dir):
    _, ckpt = toy_enas_model
    run = tmp_path / "run"
    run.mkdir()
    (run / "trajectory.jsonl").write_text(
        '{"arch": "[[0], [1, 1], [2, 0, 1], [3, 1, 0, 0], [4, 0, 0, 1, 0], [5, 1, 1, 0, 0, 1]]", '
        '"val_acc": 74.0, "surrogate": true}\n')
    cfg = tmp_path / "enas.yaml"
    cfg.write_text("search_space: enas\nsearch:\n  oe_dvae:\n    model: {hidden: 32, latent: 6, op_embedding_dim: 3}\n")
    report = analyze(cfg, [ckpt, ckpt], tmp_path / "out", run_dir=run, n_points=150)
    text = report.read_text()
    images = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)
    assert len(images) == 6  # latent maps, 2 embeddings, properties, interpolation, best
    assert all((report.parent / img).is_file() for img in images)
    assert "| average clustering coefficient | -0.376 |" in text  # the whole ENAS table
