import numpy as np
import pytest
import torch
from torch.nn import functional as F

from naslib_oe.errors import CheckpointError

from naslib_oe.metrics import exact_matches, reconstruction_accuracy, reconstruction_at_mean
from naslib_oe.models import GraphVAE, OperationEmbedding, VAEConfig
from naslib_oe.spaces import ArchDAG, EnasSpace, NB101Space, NB201Space

SMALL = dict(hidden=24, latent=6, op_embedding_dim=4)


def small_model(space, seed=0, **kw):
    torch.manual_seed(seed)
    model = GraphVAE(space, VAEConfig(**{**SMALL, **kw})).double()
    if model.decoder.edge_position is not None:  # non-zero, so that the references see them
        torch.nn.init.normal_(model.decoder.edge_position, std=0.5)
        torch.nn.init.normal_(model.decoder.vertex_position, std=0.5)
    return model


# --- a per-graph reference of D-VAE's decoder, written straight from the algorithm ----------
def _edge_prob(dec, z, h_src, h_new, src, dst):
    w = torch.cat([dec.edge_src.weight, dec.edge_new.weight], 1)  # D-VAE's Linear(2h, 4h) on [h_src; h_new]
    hidden = F.linear(torch.cat([h_src, h_new], -1), w, dec.edge_src.bias)
    if dec.edge_position is not None:  # our option: both vertices' positions enter the hidden layer
        hidden = hidden + dec.edge_position[0, dst] + dec.edge_position[1, src]
    if dec.latent_to_edge is not None:  # our option: and z itself
        hidden = hidden + dec.latent_to_edge(z)
    return torch.sigmoid(dec.edge_out(torch.relu(hidden)))[0, 0]


def _state(dec, x, preds, states):
    msg = sum((dec.message(states[u], u) for u in preds), torch.zeros(1, dec.hidden, dtype=x.dtype))
    return dec.gru(x, msg)


def _type_logits(dec, z, h, v):
    hidden = dec.add_vertex[0](h)
    if dec.vertex_position is not None:
        hidden = hidden + dec.vertex_position[v]
    if dec.latent_to_type is not None:
        hidden = hidden + dec.latent_to_type(z)
    return dec.add_vertex[2](torch.relu(hidden))


def reference_log_likelihood(dec, z, dag):
    x = dec.embedding(torch.tensor(dag.ops))
    states = {0: dec.gru(x[0:1], torch.tanh(dec.latent_to_hidden(z[None])))}
    ll = torch.zeros((), dtype=z.dtype)
    for v in range(1, dag.n_nodes):
        ll = ll + torch.log_softmax(_type_logits(dec, z, states[v - 1], v), -1)[0, dag.ops[v]]
        preds = []
        h = _state(dec, x[v:v + 1], preds, states)
        for vi in range(v - 1, -1, -1):
            p = _edge_prob(dec, z, states[vi], h, vi, v)
            ll = ll + (torch.log(p) if dag.adj[vi, v] else torch.log(1 - p))
            if dag.adj[vi, v]:
                preds.append(vi)
                h = _state(dec, x[v:v + 1], preds, states)
        states[v] = h
    return ll


def reference_greedy(dec, z, max_nodes, predict_output_edges):
    ops, edges = [0], []
    states = {0: dec.gru(dec.embedding(torch.tensor([0])), torch.tanh(dec.latent_to_hidden(z[None])))}
    for v in range(1, max_nodes):
        t = 1 if v == max_nodes - 1 else int(_type_logits(dec, z, states[v - 1], v).argmax())
        ops.append(t)
        loose = [u for u in range(v) if not any(s == u for s, _ in edges)]
        if t == 1 and not predict_output_edges:  # D-VAE: the output takes every vertex without successors
            edges += [(u, v) for u in loose]
            break
        x = dec.embedding(torch.tensor([t]))
        preds = []
        h = _state(dec, x, preds, states)
        for vi in range(v - 1, -1, -1):
            if _edge_prob(dec, z, states[vi], h, vi, v) > 0.5 or (t == 1 and vi in loose):
                preds.append(vi)
                h = _state(dec, x, preds, states)
        edges += [(u, v) for u in preds]
        states[v] = h
        if t == 1:
            break
    return ArchDAG.from_edges(ops, edges)


def reference_encode(enc, x, dag):
    """D-VAE's bidirectional encoder on one graph: GRU over predecessors, then over successors."""
    def sweep(gru, message, order, neighbours):
        states = {}
        for v in order:
            msg = sum((message(states[u], u) for u in neighbours(v)), torch.zeros(1, enc.hidden, dtype=x.dtype))
            states[v] = gru(x[v:v + 1], msg)
        return states
    n = dag.n_nodes
    fwd = sweep(enc.gru_fwd, enc.msg_fwd, range(n), lambda v: [u for u in range(v) if dag.adj[u, v]])
    bwd = sweep(enc.gru_bwd, enc.msg_bwd, range(n - 1, -1, -1), lambda v: [u for u in range(v + 1, n) if dag.adj[v, u]])
    return enc.unify(torch.cat([fwd[n - 1], bwd[0]], -1))[0]


@pytest.mark.parametrize("space", [EnasSpace(), NB101Space()], ids=["enas", "nb101"])
def test_encoder_matches_reference(space):
    model = small_model(space)
    dags = space.sample_many(6, np.random.default_rng(4))  # NB101: mixed sizes, padded batch
    batch = space.collate(dags)
    x = model.embedding(batch.ops)
    expected = torch.stack([reference_encode(model.encoder, x[i], d) for i, d in enumerate(dags)])
    torch.testing.assert_close(model.encoder(x, batch), expected)


def reference_dagnn(enc, x, dag):
    """DAGNN on one graph, straight from the paper: per layer, vertices in topological order
    attend over their predecessors' same-layer states; the backward stack over successors;
    the readout is the max over vertices of every layer's states, concatenated."""
    n = dag.n_nodes

    def layer(cell, inputs, order, neighbours):
        out = {}
        for v in order:
            preds = neighbours(v)
            if preds:
                scores = torch.cat([cell.query(inputs[v]) + cell.key(out[u]) for u in preds])
                weights = torch.softmax(scores, 0)
                message = sum(w * out[u] for w, u in zip(weights, preds))
            else:
                message = torch.zeros(enc.forward_layers[0].gru.hidden_size, dtype=x.dtype)
            out[v] = cell.gru(inputs[v][None], message[None])[0]
        return out

    def stack(layers, order, neighbours):
        inputs, states = {v: x[v] for v in range(n)}, []
        for cell in layers:
            inputs = layer(cell, inputs, order, neighbours)
            states.append(inputs)
        return states

    states = stack(enc.forward_layers, range(n), lambda v: [u for u in range(v) if dag.adj[u, v]])
    if enc.backward_layers is not None:
        states += stack(enc.backward_layers, range(n - 1, -1, -1),
                        lambda v: [u for u in range(n - 1, v, -1) if dag.adj[v, u]])
    pooled = [torch.stack([s[v] for v in range(n)]).amax(0) for s in states]
    return enc.readout(torch.cat(pooled))


@pytest.mark.parametrize("space", [EnasSpace(), NB101Space(), NB201Space()], ids=["enas", "nb101", "nb201"])
@pytest.mark.parametrize("options", [{}, {"bidirectional": False, "dagnn_layers": 3}], ids=["default", "one-way"])
def test_dagnn_encoder_matches_reference(space, options):
    model = small_model(space, encoder="dagnn", **options)
    dags = space.sample_many(6, np.random.default_rng(4))  # NB101: mixed sizes, padded batch
    batch = space.collate(dags)
    x = model.embedding(batch.ops)
    expected = torch.stack([reference_dagnn(model.encoder, x[i], d) for i, d in enumerate(dags)])
    torch.testing.assert_close(model.encoder(x, batch), expected)


@pytest.mark.parametrize("embedding", ["learned", "onehot"])
def test_dagnn_trains_with_either_embedding_and_our_decoder(embedding, tmp_path):
    from naslib_oe.training import TrainConfig, train_vae

    space = NB201Space()
    model = small_model(space, encoder="dagnn", op_embedding=embedding, positions=True, latent_skip=True).float()
    dags = space.sample_many(64, np.random.default_rng(0))
    history = train_vae(model, dags, TrainConfig(epochs=3, batch_size=16, lr=3e-3, device="cpu"), out_dir=tmp_path,
                        progress=False)
    assert history[-1]["loss"] < history[0]["loss"]
    loaded = GraphVAE.load(tmp_path / "model.safetensors", space)
    assert loaded.config.encoder == "dagnn"
    torch.testing.assert_close(loaded.embed(dags[:5]), model.embed(dags[:5]))


def test_loss_is_one_graph_for_torch_compile():
    """No data-dependent shapes in the loss: it compiles whole (and syncs with no device)."""
    space = EnasSpace()
    model = small_model(space).float()
    batch = space.collate(space.sample_many(4, np.random.default_rng(0)))
    explained = torch._dynamo.explain(model.loss_with_noise)(batch, model.sample_noise(4))
    assert (explained.graph_count, explained.graph_break_count) == (1, 0), explained.break_reasons


DECODER_OPTIONS = pytest.mark.parametrize(
    "space, options", [(EnasSpace(), {}), (NB101Space(), {}), (NB201Space(), {"positions": True}),
                       (NB101Space(), {"positions": True}), (EnasSpace(), {"positions": True, "latent_skip": True}),
                       (NB101Space(), {"latent_skip": True})],
    ids=["enas", "nb101", "nb201-pos", "nb101-pos", "enas-pos-skip", "nb101-skip"])


@DECODER_OPTIONS
def test_teacher_forced_likelihood_matches_reference(space, options):
    model = small_model(space, **options)
    dags = space.sample_many(5, np.random.default_rng(0))  # NB101: mixed sizes exercise the padding masks
    batch = space.collate(dags)
    z = torch.randn(len(dags), SMALL["latent"], dtype=torch.double)
    vertex_ll, edge_ll = model.decoder.log_likelihood(z, batch)
    expected = torch.stack([reference_log_likelihood(model.decoder, z[i], d) for i, d in enumerate(dags)])
    torch.testing.assert_close(vertex_ll + edge_ll, expected)


def test_loss_is_nll_plus_beta_kl():
    space = NB201Space()
    model = small_model(space)
    batch = space.collate(space.sample_many(3, np.random.default_rng(1)))
    gen = torch.Generator().manual_seed(5)
    terms = model.loss(batch, gen)
    mu, logvar = model.encode(batch)
    z = model.reparameterize(mu, logvar, torch.Generator().manual_seed(5))
    nll = -sum(reference_log_likelihood(model.decoder, z[i], d) for i, d in enumerate(batch.to_dags()))
    kl = 0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar).sum()
    torch.testing.assert_close(terms.recon, nll)
    torch.testing.assert_close(terms.kl, kl)
    torch.testing.assert_close(terms.total, nll + 0.005 * kl)


@DECODER_OPTIONS
def test_greedy_decode_matches_reference(space, options):
    model = small_model(space, seed=3, **options)
    z = torch.randn(20, SMALL["latent"], dtype=torch.double) * 3
    decoded = model.decode(z).to_dags()
    assert decoded == [reference_greedy(model.decoder, z[i], space.max_nodes, space.predict_output_edges)
                       for i in range(len(z))]


def test_shapes_and_stochastic_decoding_is_seeded():
    space = EnasSpace()
    model = small_model(space).float()
    batch = space.collate(space.sample_many(7, np.random.default_rng(0)))
    mu, logvar = model.encode(batch)
    assert mu.shape == logvar.shape == (7, SMALL["latent"])
    z = torch.randn(10000, SMALL["latent"])
    out = model.decode(z, stochastic=True, generator=torch.Generator().manual_seed(0))  # one call, 10k graphs
    assert out.ops.shape == (10000, 8) and out.adj.shape == (10000, 8, 8) and out.n_nodes.shape == (10000,)
    assert bool((out.adj.triu(1) == out.adj).all())
    again = model.decode(z, stochastic=True, generator=torch.Generator().manual_seed(0))
    assert torch.equal(out.ops, again.ops) and torch.equal(out.adj, again.adj)


def test_gcn_encoder_shapes():
    space = NB101Space()
    model = small_model(space, encoder="gcn").float()
    batch = space.collate(space.sample_many(4, np.random.default_rng(0)))
    mu, _ = model.encode(batch)
    assert mu.shape == (4, SMALL["latent"])
    assert torch.isfinite(model.loss(batch).total)
    with pytest.raises(ValueError, match="unknown encoder"):
        GraphVAE(space, VAEConfig(encoder="gin"))


def test_learned_and_onehot_differ_only_in_the_embedding():
    space = NB201Space()
    learned = small_model(space, op_embedding="learned", op_embedding_dim=space.num_ops)
    onehot = small_model(space, op_embedding="onehot")
    a, b = learned.state_dict(), onehot.state_dict()
    assert a.keys() == b.keys() and all(a[k].shape == b[k].shape for k in a)
    trainable = lambda m: {n for n, p in m.named_parameters() if p.requires_grad}  # noqa: E731
    assert trainable(learned) - trainable(onehot) == {"embedding.table.weight"}
    eye = torch.eye(space.num_ops + 1, space.num_ops, dtype=torch.double)
    assert torch.equal(onehot.embedding.table.weight, eye)
    batch = space.collate(space.sample_many(8, np.random.default_rng(0)))
    for model in (learned, onehot):
        opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=0.1)
        before = model.embedding.table.weight.clone()
        model.loss(batch).total.backward()
        opt.step()
        assert torch.equal(model.embedding.table.weight, before) == (model is onehot)
    assert OperationEmbedding(5, 3).vectors.shape == (5, 3)


def test_checkpoint_round_trip_and_mismatch(tmp_path):
    space = NB201Space()
    model = small_model(space).float()
    path = model.save(tmp_path / "m.safetensors")
    assert path.read_bytes()[:4] != b"PK\x03\x04"  # safetensors, not a pickle zip
    loaded = GraphVAE.load(path)
    assert loaded.config == model.config and loaded.space.name == "nasbench201"
    for (name, a), (_, b) in zip(model.state_dict().items(), loaded.state_dict().items()):
        assert torch.equal(a, b), name
    z = torch.randn(5, SMALL["latent"])
    assert torch.equal(model.decode(z).ops, loaded.decode(z).ops)
    with pytest.raises(CheckpointError, match="trained on the nasbench201 space, not on enas"):
        GraphVAE.load(path, space="enas")
    header = model.header()
    header["vocab"] = header["vocab"][::-1]
    torch.save({**header, "state_dict": model.state_dict()}, tmp_path / "bad.pt")  # the old container, plain values
    with pytest.raises(CheckpointError, match="vocabulary"):
        GraphVAE.load(tmp_path / "bad.pt")
    torch.save({"weights": 1}, tmp_path / "other.pt")
    with pytest.raises(CheckpointError, match="not a naslib_oe GraphVAE checkpoint"):
        GraphVAE.load(tmp_path / "other.pt")
    with pytest.raises(ValueError, match="unknown model settings"):
        VAEConfig.from_dict({"hiden": 3})


class _Payload:
    """An object whose unpickling would run code."""

    def __reduce__(self):
        return (print, ("unpickled!",))


def test_loading_never_unpickles_code_and_names_bad_files(tmp_path, capsys):
    model = small_model(NB201Space())
    torch.save({**model.header(), "state_dict": model.state_dict(), "extra": _Payload()}, tmp_path / "evil.pt")
    with pytest.raises(CheckpointError, match="refusing to unpickle"):
        GraphVAE.load(tmp_path / "evil.pt")
    assert "unpickled!" not in capsys.readouterr().out
    good = model.save(tmp_path / "m.safetensors").read_bytes()
    (tmp_path / "cut.safetensors").write_bytes(good[: len(good) // 2])
    (tmp_path / "junk.safetensors").write_bytes(b"\x00" * 100)
    for name in ("cut.safetensors", "junk.safetensors"):
        with pytest.raises(CheckpointError, match=name):
            GraphVAE.load(tmp_path / name)
    with pytest.raises(CheckpointError, match="no such model file"):
        GraphVAE.load(tmp_path / "missing.safetensors")


def test_fp16_storage_round_trips_within_half_precision(tmp_path):
    model = small_model(NB201Space()).float()
    half = GraphVAE.load(model.save(tmp_path / "h.safetensors", dtype=torch.float16))
    assert (tmp_path / "h.safetensors").stat().st_size < 0.6 * model.save(tmp_path / "f.safetensors").stat().st_size
    for (name, a), (_, b) in zip(model.state_dict().items(), half.state_dict().items()):
        assert b.dtype == a.dtype, name  # cast back to the model's precision
        torch.testing.assert_close(b, a.half().float(), rtol=0, atol=0, msg=name)


def toy_fit(space, dags, steps, **config):
    """A small VAE fit to ``dags`` with z = mu, so that decoding ``mu`` gives them back."""
    torch.manual_seed(0)
    model = GraphVAE(space, VAEConfig(hidden=32, latent=4, op_embedding_dim=4, beta=0.0, **config))
    batch = space.collate(dags)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(steps):
        opt.zero_grad()
        mu, _ = model.encode(batch)
        vertex_ll, edge_ll = model.decoder.log_likelihood(mu, batch)  # deterministic: z = mu
        (-(vertex_ll + edge_ll).sum()).backward()
        opt.step()
    return model, batch


def test_nb201_cells_are_learnable_only_with_positions():
    """In every NB201 cell vertex 3 (cell edge 1->2) takes vertex 1 and vertex 4 (0->3) does
    not, and vertices 1, 2 and 4 all read the input alone. With repeated operations (1 = 2,
    3 = 4 below) D-VAE's decoder sees equal inputs where the truth differs: for the edge slots
    1->3 / 1->4 and 1->3 / 2->3, and for the types of vertices 2 and 3 (predicted from the
    equal states of 1 and 2). Only the position vectors let it learn both cells exactly."""
    space = NB201Space()
    same_ops = [space.to_dag("|avg_pool_3x3~0|+|avg_pool_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|none~1|skip_connect~2|"),
                space.to_dag("|none~0|+|none~0|nor_conv_1x1~1|+|nor_conv_1x1~0|skip_connect~1|none~2|")]
    nll = {}
    for positions in (False, True):
        model, batch = toy_fit(space, same_ops, 200, positions=positions)
        with torch.no_grad():
            vertex_ll, edge_ll = model.decoder.log_likelihood(model.encode(batch)[0], batch)
        nll[positions] = (-vertex_ll.mean().item(), -edge_ll.mean().item())
    assert nll[False][1] > 1.0  # at least two edge slots at p = 1/2: 2 log 2 nats
    assert max(nll[True]) < 0.05, nll


@pytest.mark.parametrize("latent_skip", [False, True])
def test_latent_skip_lets_every_decision_read_z(latent_skip):
    """With D-VAE's path from z (the input vertex's state) cut, the likelihood no longer depends
    on z at all, unless the type and edge MLPs read z directly."""
    space = EnasSpace()
    model = small_model(space, latent_skip=latent_skip)
    torch.nn.init.zeros_(model.decoder.latent_to_hidden.weight)
    torch.nn.init.zeros_(model.decoder.latent_to_hidden.bias)
    batch = space.collate(space.sample_many(3, np.random.default_rng(0)))
    z = torch.randn(2, 3, SMALL["latent"], dtype=torch.double)
    with torch.no_grad():
        (v0, e0), (v1, e1) = (model.decoder.log_likelihood(z[i], batch) for i in range(2))
    assert (not torch.allclose(v0, v1) and not torch.allclose(e0, e1)) == latent_skip


def test_perfectly_trained_toy_model_reproduces_its_graphs():
    space = NB101Space()
    dags = space.sample_many(4, np.random.default_rng(2))
    model, batch = toy_fit(space, dags, 300)
    with torch.no_grad():
        assert model.decode(model.encode(batch)[0]).to_dags() == dags


@pytest.mark.parametrize("space, steps", [(EnasSpace(), 25), (NB101Space(), 60)], ids=["enas", "nb101"])
def test_generation_log_prob_matches_decoding_frequencies(space, steps):
    dags = space.sample_many(3, np.random.default_rng(5))
    model, batch = toy_fit(space, dags, steps)  # part-trained: match probabilities between 0 and 1
    with torch.no_grad():
        z = model.encode(batch)[0]
        p = model.decoder.generation_log_prob(z, batch).exp()
        draws = 4000
        decoded = model.decode(z.repeat(draws, 1), stochastic=True, generator=torch.Generator().manual_seed(0))
    freq = exact_matches(decoded, batch[torch.arange(3).repeat(draws)]).view(draws, 3).double().mean(0)
    assert ((p > 0.05) & (p < 0.95)).any(), p  # the check below is informative
    torch.testing.assert_close(freq, p.double(), atol=float(4 * (0.25 / draws) ** 0.5), rtol=0)
    # a graph the decoder cannot produce: the output vertex skipping a vertex without successors
    broken = dags[0].adj.copy()
    loose = [u for u in range(dags[0].n_nodes - 1) if not broken[u, :-1].any()]
    broken[loose[0], -1] = False
    impossible = space.collate([ArchDAG(dags[0].ops, broken)])
    assert model.decoder.generation_log_prob(z[:1], impossible).item() == float("-inf")


def test_reconstruction_by_likelihood_agrees_with_literal_decoding():
    space = EnasSpace()
    dags = space.sample_many(3, np.random.default_rng(5))
    model, _ = toy_fit(space, dags, 25)
    with torch.no_grad():
        model.to_logvar.weight.zero_()
        model.to_logvar.bias.fill_(-6.0)  # a narrow posterior: z stays near mu, where p(G | z) is moderate
    kwargs = dict(encode_times=20, decode_times=50, seed=1)
    by_likelihood = reconstruction_accuracy(model, dags, method="likelihood", **kwargs)
    by_decoding = reconstruction_accuracy(model, dags, method="decode", **kwargs)
    assert 0.05 < by_decoding < 0.95
    assert abs(by_likelihood - by_decoding) < 0.05
    assert reconstruction_accuracy(model, dags, method="likelihood", **kwargs) == by_likelihood  # seeded
    with pytest.raises(ValueError, match="reconstruction method"):
        reconstruction_accuracy(model, dags, method="exact")
    # D-VAE's evaluation decodes the posterior mean: the exact expectation agrees with decoding mu
    at_mean = reconstruction_at_mean(model, dags)
    batch = space.collate(dags)
    with torch.no_grad():
        mu = model.encode(batch)[0].repeat(400, 1)
        decoded = model.decode(mu, stochastic=True, generator=torch.Generator().manual_seed(0))
    by_decoding_mu = exact_matches(decoded, space.collate(dags * 400)).double().mean().item()
    assert 0.05 < at_mean < 0.95 and abs(at_mean - by_decoding_mu) < 0.04, (at_mean, by_decoding_mu)
