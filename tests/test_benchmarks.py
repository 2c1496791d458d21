import pickle

import numpy as np
import pytest

from naslib_oe.benchmarks import (ArchitectureNotInBenchmark, DataFormatError, EnasBenchmark, Metric,
                                  MetricNotAvailable, NB101Benchmark, NB201Benchmark, load_benchmark)
from naslib_oe.spaces import EnasSpace, NB101Space, NB201Space
from tests.nb201_formats import write_api_file, write_naslib_pickle

OPT_C10 = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|"


# --- ENAS -----------------------------------------------------------------------------
def test_enas_table_and_known_accuracies(enas_bench):
    space = EnasSpace()
    assert len(enas_bench.records) == 20020 and len(enas_bench) == 20015
    first = space.from_string("[[1], [4, 0], [5, 0, 0], [0, 1, 1, 1], [2, 1, 1, 1, 1], [3, 0, 0, 0, 0, 1]]")
    assert enas_bench.query(first) == pytest.approx(73.02)
    assert enas_bench.query(first, "VAL_ACCURACY", "cifar10") == pytest.approx(73.02)
    assert enas_bench.best()[1] == pytest.approx(75.02)
    # the 5 repeats are a fact the table states (naslib-oe data, run summaries), not a warning on every load
    assert enas_bench.notes == [f"ENAS: 5 repeated architectures in {enas_bench.source} were merged (their values averaged)"]


def test_enas_dvae_split(enas_bench):
    train, test = enas_bench.dvae_split()
    assert (len(train), len(test)) == (17118, 1902)
    lines = sorted(r.line for r in train + test)
    assert lines == list(range(1001, 20021))  # the first 1,000 lines are skipped, none lost
    again = enas_bench.dvae_split()
    assert [r.line for r in again[0][:50]] == [r.line for r in train[:50]]
    assert [r.line for r in enas_bench.dvae_split(seed=1)[0][:50]] != [r.line for r in train[:50]]


def test_enas_has_no_test_accuracy(enas_bench):
    dag = enas_bench.dags[0]
    with pytest.raises(MetricNotAvailable, match="TEST_ACCURACY"):
        enas_bench.query(dag, Metric.TEST_ACCURACY)


def test_query_outside_table_names_the_architecture(enas_bench):
    space = EnasSpace()
    rng = np.random.default_rng(0)
    dag = next(d for d in (space.sample(rng) for _ in range(100)) if d not in enas_bench)
    with pytest.raises(ArchitectureNotInBenchmark, match=r"enas architecture \[\[") as err:
        enas_bench.query(dag)
    assert space.to_string(dag) in str(err.value)


def test_enas_malformed_line(tmp_path):
    bad = tmp_path / "enas.txt"
    bad.write_text("[[1], [4, 0], [5, 0, 0], [0, 1, 1, 1], [2, 1, 1, 1, 1], [3, 0, 0, 0, 0, 1]], 0.73\n"
                   "[[1], [4, 0], [5, 0]], 0.7\n")
    with pytest.raises(DataFormatError, match=r"enas.txt:2:"):
        EnasBenchmark.load(bad)
    bad.write_text("[[1], [4, 0], [5, 0, 0], [0, 1, 1, 1], [2, 1, 1, 1, 1], [3, 0, 0, 0, 0, 1]], 73\n")
    with pytest.raises(DataFormatError, match=r"enas.txt:1:.*fraction"):
        EnasBenchmark.load(bad)


# --- NAS-Bench-201 ---------------------------------------------------------------------
def test_nb201_known_optima(nb201_bench):
    space = NB201Space()
    assert len(nb201_bench) == 15625
    dag, acc = nb201_bench.best(Metric.TEST_ACCURACY, "cifar10")
    assert acc == pytest.approx(94.37333, abs=1e-4)
    assert space.to_string(dag) == OPT_C10
    assert nb201_bench.nb201_index[nb201_bench.index_of(dag)] == 6111
    assert nb201_bench.best("TEST_ACCURACY", "cifar100")[1] == pytest.approx(73.51333, abs=1e-4)
    assert nb201_bench.best("TEST_ACCURACY", "imagenet16")[1] == pytest.approx(47.31111, abs=1e-4)


def test_nb201_query_row_values(nb201_bench):
    dag = NB201Space().to_dag("|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|")
    assert nb201_bench.query(dag) == pytest.approx(81.9)
    assert nb201_bench.query(dag, Metric.TEST_ACCURACY) == pytest.approx(85.863333)
    assert nb201_bench.query(dag, Metric.VAL_ACCURACY, "cifar100") == pytest.approx(53.68)
    assert nb201_bench.query(dag, Metric.TEST_ACCURACY, "ImageNet16-120", epochs=12) == pytest.approx(17.0)
    with pytest.raises(MetricNotAvailable, match="TRAIN_TIME"):
        nb201_bench.query(dag, Metric.TRAIN_TIME)
    with pytest.raises(ValueError, match="unknown dataset"):
        nb201_bench.query(dag, dataset="mnist")
    col = nb201_bench.column(Metric.VAL_ACCURACY, "cifar10")
    assert col.shape == (15625,) and not np.isnan(col).any()


def test_nb201_invalid_architecture_query(nb201_bench):
    dag = NB101Space().sample(np.random.default_rng(0))
    with pytest.raises(ArchitectureNotInBenchmark, match="not a valid nasbench201"):
        nb201_bench.query(dag)


def test_nb201_malformed_csv(tmp_path, data_dir):
    lines = (data_dir / "nb201" / "nb201_table.csv").read_text().splitlines()[:4]
    lines[3] = lines[3].replace("nor_conv", "conv", 1)
    bad = tmp_path / "nb201.csv"
    bad.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataFormatError, match=r"nb201.csv:4: malformed row"):
        NB201Benchmark.load(bad)
    bad.write_text("a,b\n1,2\n")
    with pytest.raises(DataFormatError, match="header lacks"):
        NB201Benchmark.load(bad)


def test_nb201_naslib_pickle(tmp_path, nb201_bench):
    space = NB201Space()
    cells = {space.to_string(d): {"cifar10": 90.0 + i, "cifar100": 70.0 + i} for i, d in enumerate(nb201_bench.dags[:3])}
    path = write_naslib_pickle(tmp_path / "nb201_cifar10_full_training.pickle", cells)
    bench = NB201Benchmark.from_naslib_pickle(path)
    assert len(bench) == 3 and any("NASLib pickle" in note for note in bench.notes)
    dag = nb201_bench.dags[2]
    assert bench.query(dag) == pytest.approx(92.0)
    assert bench.query(dag, Metric.TEST_ACCURACY) == pytest.approx(92.0)  # NASLib's convention
    assert bench.query(dag, Metric.VAL_ACCURACY, epochs=12) == pytest.approx(92.0 * 12 / 200)
    assert bench.query(dag, Metric.VAL_ACCURACY, "cifar100") == pytest.approx(72.0)
    assert bench.query(dag, Metric.TRAIN_TIME) == pytest.approx(123.0)
    with pytest.raises(MetricNotAvailable, match="ImageNet16-120"):
        bench.query(dag, dataset="ImageNet16-120")
    with pytest.raises(ArchitectureNotInBenchmark):
        bench.query(nb201_bench.dags[5])
    wrapped = tmp_path / "wrapped.pickle"
    wrapped.write_bytes(pickle.dumps({"nb201_data": pickle.loads(path.read_bytes())}))
    assert NB201Benchmark.from_naslib_pickle(wrapped).query(dag) == pytest.approx(92.0)


def test_nb201_official_api_file(tmp_path):
    space = NB201Space()
    dags = space.sample_many(3, np.random.default_rng(0))
    cells = [(space.to_string(d), {"cifar10": (80.0 + i, 85.0 + i), "cifar100": (60.0, 61.0 + i),
                                   "ImageNet16-120": (30.0, 31.0)}) for i, d in enumerate(dags)]
    bench = NB201Benchmark.from_api_file(write_api_file(tmp_path / "NAS-Bench-201-mini.pth", cells), progress=False)
    assert len(bench) == 3 and bench.nb201_index.tolist() == [0, 1, 2]
    assert bench.query(dags[1], Metric.VAL_ACCURACY, "cifar10") == pytest.approx(81.0)
    assert bench.query(dags[1], Metric.TEST_ACCURACY, "cifar10") == pytest.approx(86.0)
    assert bench.query(dags[2], Metric.TEST_ACCURACY, "cifar100") == pytest.approx(63.0)
    assert bench.query(dags[0], Metric.VAL_ACCURACY, "ImageNet16-120", epochs=12) == pytest.approx(29.0)
    with pytest.raises(FileNotFoundError, match="no NAS-Bench-201 API file"):
        NB201Benchmark.from_api_file(tmp_path / "missing.pth")


# --- NAS-Bench-101 ----------------------------------------------------------------------
def test_nb101_sample(nb101_bench):
    assert len(nb101_bench) == 292
    space = NB101Space()
    rng = np.random.default_rng(0)
    dag = next(d for d in (space.sample(rng) for _ in range(100)) if d not in nb101_bench)
    with pytest.raises(ArchitectureNotInBenchmark, match='nasbench101 architecture {"matrix"'):
        nb101_bench.query(dag)
    best, acc = nb101_bench.best()
    assert 94.0 < acc < 95.0 and nb101_bench.query(best) == acc
    with pytest.raises(MetricNotAvailable):
        nb101_bench.query(best, Metric.TEST_ACCURACY)
    assert nb101_bench.query(best, Metric.PARAMETERS) > 0


def test_nb101_naslib_pickle(tmp_path):
    from tests.test_spaces import KNOWN_NB101

    space = NB101Space()
    data = {}
    for i, (md5, matrix, ops) in enumerate(KNOWN_NB101):
        fixed = {"module_adjacency": np.array(matrix), "module_operations": ops, "trainable_parameters": 1000 + i}
        repeats = [{"final_validation_accuracy": v, "final_test_accuracy": v - 0.01, "final_training_time": 100.0,
                    "final_train_accuracy": 1.0} for v in (0.90 + i / 100, 0.91 + i / 100, 0.92 + i / 100)]
        data[md5] = (fixed, {108: repeats, 36: [dict(r, final_validation_accuracy=0.5) for r in repeats]})
    path = tmp_path / "nb101_mini.pkl"
    path.write_bytes(pickle.dumps(data))
    bench = NB101Benchmark.from_naslib_pickle(path)
    dag = space.to_dag({"matrix": KNOWN_NB101[1][1], "ops": KNOWN_NB101[1][2]})
    assert bench.query(dag) == pytest.approx(92.0)
    assert bench.query(dag, Metric.TEST_ACCURACY) == pytest.approx(91.0)
    assert bench.query(dag, Metric.VAL_ACCURACY, epochs=36) == pytest.approx(50.0)
    assert bench.query(dag, Metric.PARAMETERS) == 1001
    path.write_bytes(pickle.dumps({"abc": ({"module_adjacency": [[0]]}, {})}))
    with pytest.raises(DataFormatError, match="entry 'abc'"):
        NB101Benchmark.from_naslib_pickle(path)


def test_load_benchmark_by_name():
    assert isinstance(load_benchmark("nb101"), NB101Benchmark)
    assert isinstance(load_benchmark("nasbench201"), NB201Benchmark)
