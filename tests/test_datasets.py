"""Dataset layer: vendored files, preparation counts, options and user-facing errors."""
from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pluggy
import pytest

from fairbench import hookspecs
from fairbench.contract import Dataset, DatasetSpec
from fairbench.datasets import (_files, load_acs_employment, load_acs_income, load_adult, load_compas,
                                load_csv, load_german, load_hsls, load_synthetic_4gmm, load_waterbirds,
                                load_waterbirds_pca)
from fairbench.datasets import plugin as dataset_plugin
from fairbench.errors import DataError, UnavailableError, UserInputError

FIXTURES = Path(__file__).resolve().parent / "fixtures"
PUMS_DIR = FIXTURES / "pums"
PUMS_CA = PUMS_DIR / "2018" / "1-Year" / "psam_p06.csv"
HSLS_CSV = FIXTURES / "hsls_knn_impute_sample.csv"


def _loader(name: str):
    """The loader the dataset plugin registers under ``name`` (the one place names meet loaders)."""
    return {spec.name: spec.loader for spec in dataset_plugin.builtin_specs()}[name]


@pytest.fixture(autouse=True)
def _no_user_data_dir(monkeypatch):
    monkeypatch.delenv(_files.DATA_DIR_ENV, raising=False)


@pytest.fixture(scope="module")
def adult():
    return load_adult()


@pytest.fixture(scope="module")
def compas():
    return load_compas()


@pytest.fixture(scope="module")
def german():
    return load_german()


@pytest.fixture(scope="module")
def acs_employment():
    return load_acs_employment()


# --- vendored files -------------------------------------------------------------------------

def test_vendored_checksums_match_table():
    assert _files.verify_all() == _files.VENDORED_SHA256
    shipped = {entry.name for entry in _files.data_root().iterdir() if entry.is_file() and entry.name != "PROVENANCE.md"}
    assert shipped == set(_files.VENDORED_SHA256)


def test_vendored_table_matches_shared_provenance():
    shared = Path("/work/shared/datasets")
    if not shared.is_dir():
        pytest.skip("shared dataset folder not present")
    for name, digest in _files.VENDORED_SHA256.items():
        matches = list(shared.rglob(name))
        assert matches and hashlib.sha256(matches[0].read_bytes()).hexdigest() == digest


@pytest.fixture
def vendored_copy(tmp_path, monkeypatch):
    for name in _files.VENDORED_SHA256:
        (tmp_path / name).write_bytes(_files.data_root().joinpath(name).read_bytes())
    monkeypatch.setattr(_files, "data_root", lambda: tmp_path)
    return tmp_path


def test_corrupted_copy_raises_data_error_naming_file(vendored_copy):
    target = vendored_copy / "adult.data.gz"
    payload = bytearray(target.read_bytes())
    payload[100] ^= 0xFF
    target.write_bytes(bytes(payload))
    with pytest.raises(DataError, match=r"adult\.data\.gz.*corrupt"):
        load_adult()
    load_compas()  # the other files are still fine


def test_missing_vendored_file_raises_data_error(vendored_copy):
    (vendored_copy / "german.data.gz").unlink()
    with pytest.raises(DataError, match=r"german\.data\.gz.*missing"):
        load_german()


# --- preparation: rows and groups -----------------------------------------------------------

def _check_contract(data: Dataset):
    assert isinstance(data, Dataset)
    assert set(np.unique(data.a)) <= {0, 1} and set(np.unique(data.y)) <= {0, 1}
    assert data.a.dtype == np.int64 and data.y.dtype == np.int64
    assert all(pd.api.types.is_numeric_dtype(t) for t in data.X.dtypes)
    for column in data.categorical:
        values = data.X[column].dropna()
        assert (values >= 0).all() and (values == values.round()).all()
    if data.sensitive_column is not None:
        np.testing.assert_array_equal(data.X[data.sensitive_column].to_numpy(), data.a)


def test_adult_alghamdi_preparation(adult):
    _check_contract(adult)
    assert adult.n_rows == 46447 and adult.is_test is None
    assert (adult.a == 1).sum() == 4685 and (adult.a == 0).sum() == 41762  # Black / White
    assert adult.y.sum() == 11173
    assert list(adult.X.columns) == ["age", "education-num", "marital-status", "relationship", "race", "gender",
                                     "capital-gain", "capital-loss", "hours-per-week"]
    assert adult.categorical == ("marital-status", "relationship")
    assert adult.info["categories"]["relationship"][0] == "Husband"


def test_adult_onehot_matches_alghamdi_width():
    data = load_adult(encode="onehot")
    assert data.X.shape == (46447, 19 + 1)  # Alghamdi: 21 columns incl. race and income
    assert data.categorical == ()


def test_compas_alghamdi_preparation(compas):
    _check_contract(compas)
    assert compas.n_rows == 5278
    assert (compas.a == 1).sum() == 3175 and (compas.a == 0).sum() == 2103  # African-American / Caucasian
    assert compas.y.sum() == 5278 - 2647  # y = 1 - is_recid
    assert list(compas.X.columns) == ["age", "c_charge_degree", "race", "gender", "priors_count", "length_of_stay"]
    two_year = load_compas(label="two_year_recid")
    assert two_year.y.sum() == 5278 - 2483


def test_german_preparation(german):
    _check_contract(german)
    assert german.n_rows == 1000 and german.y.sum() == 700
    assert german.a.sum() == 310 and german.sensitive_column == "sex"
    by_age = load_german(sensitive="age")
    assert by_age.a.sum() == 190 and by_age.sensitive_column == "age_le_25"
    assert german.info["categories"]["purpose"][-1].startswith("A410")


@pytest.mark.parametrize("name, options, sensitive, proxies", [
    ("adult", {}, "race", ()),
    ("compas", {}, "race", ()),
    ("german", {}, "sex", ("status_sex",)),
    ("german", {"sensitive": "age"}, "age_le_25", ("age",)),
    ("synthetic-4gmm", {"n": 200}, "a", ()),
    ("acs-employment", {"keep_rac1p": True}, "race", ("RAC1P",)),
])
def test_drop_sensitive_removes_column(name, options, sensitive, proxies):
    load = _loader(name)
    kept = load(**options)
    dropped = load(drop_sensitive=True, **options)
    assert kept.sensitive_column == sensitive and sensitive in kept.X.columns
    assert dropped.sensitive_column is None
    assert set(kept.X.columns) - set(dropped.X.columns) == {sensitive, *proxies}
    np.testing.assert_array_equal(kept.a, dropped.a)
    assert dropped.info["dropped_with_sensitive"] == [sensitive, *proxies]


def test_options_from_the_command_line_are_strings_and_unknown_ones_ignored():
    data = load_synthetic_4gmm(n="300", minority_fraction="0.2", seed="3", drop_sensitive="true", colour="blue")
    assert data.n_rows == 300 and data.a.sum() == 60 and data.sensitive_column is None
    with pytest.raises(UserInputError, match="drop_sensitive"):
        load_adult(drop_sensitive="maybe")
    with pytest.raises(UserInputError, match="label"):
        load_compas(label="decile_score")


# --- acs-employment (vendored) --------------------------------------------------------------

def test_acs_employment_vendored(acs_employment):
    _check_contract(acs_employment)
    assert acs_employment.n_rows == 70131 and acs_employment.info["year"] == 2018
    assert (acs_employment.a == 0).sum() == 56960
    assert not {"id", "split", "year", "prediction", "predicted_probability", "employed", "RAC1P"} & set(acs_employment.X.columns)
    assert len(acs_employment.X.columns) == 16
    black = load_acs_employment(race="black", year=2015)
    assert set(np.unique(black.a)) == {0, 1} and black.n_rows < 68785
    with pytest.raises(UserInputError, match="year"):
        load_acs_employment(year=2019)


# --- synthetic ------------------------------------------------------------------------------

def test_synthetic_is_deterministic_by_seed():
    first, again, other = load_synthetic_4gmm(seed=5), load_synthetic_4gmm(seed=5), load_synthetic_4gmm(seed=6)
    pd.testing.assert_frame_equal(first.X, again.X)
    np.testing.assert_array_equal(first.y, again.y)
    assert not first.X.equals(other.X)
    _check_contract(first)
    assert first.n_rows == 4000 and first.a.sum() == 400
    assert first.y[first.a == 1].sum() == 200 and first.y[first.a == 0].sum() == 1800


def test_synthetic_geometry_and_counterfactuals():
    data = load_synthetic_4gmm(n=20000, mu=2.0, psi=1.0, sigma=0.5, seed=1)
    x, a, y = data.X[["x1", "x2"]].to_numpy(), data.a, data.y
    for (yy, aa), (cx, cy) in {(1, 0): (2, -1), (0, 0): (-2, 1), (1, 1): (2, 1), (0, 1): (-2, -1)}.items():
        mean = x[(y == yy) & (a == aa)].mean(axis=0)
        assert np.allclose(mean, (cx, cy), atol=0.1)
    counterfactual = data.info["counterfactual_y"]
    assert counterfactual.shape == (20000,)
    np.testing.assert_array_equal(counterfactual, data.info["majority_bayes_rule"](x))
    assert 0 < data.info["minority_noise_rate"] < 0.5
    flipped = load_synthetic_4gmm(n=20000, mu=1.0, psi=2.0, sigma=0.5, seed=1)
    assert flipped.info["minority_noise_rate"] > 0.5  # psi > mu: the majority rule mislabels the minority
    import pickle
    assert pickle.loads(pickle.dumps(data)).info["majority_bayes_rule"](x[:5]).tolist() == counterfactual[:5].tolist()


# --- csv ------------------------------------------------------------------------------------

def _write(tmp_path, text, name="data.csv"):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_csv_loads_with_text_columns_and_keeps_feature_nan(tmp_path):
    path = _write(tmp_path, "age,city,group,outcome\n30,Haifa,B,yes\n41,,A,no\n,Tel Aviv,B,no\n25,Haifa,A,yes\n")
    data = load_csv(path=path, label="outcome", sensitive="group", protected_value="B", favorable_value="yes")
    _check_contract(data)
    assert data.a.tolist() == [1, 0, 1, 0] and data.y.tolist() == [1, 0, 0, 1]
    assert data.categorical == ("city",) and data.info["categories"]["city"] == ["Haifa", "Tel Aviv"]
    assert np.isnan(data.X.loc[1, "city"]) and np.isnan(data.X.loc[2, "age"])
    assert list(load_csv(path=path, label="outcome", sensitive="group", protected_value="B",
                         favourable_value="yes", drop_sensitive=True).X.columns) == ["age", "city"]


def test_csv_forced_categorical_keeps_numeric_order(tmp_path):
    path = _write(tmp_path, "zone,a,y\n10,0,1\n2,1,0\n2,0,0\n")
    data = load_csv(path=path, categorical="zone")
    assert data.X["zone"].tolist() == [1, 0, 0] and data.info["categories"]["zone"] == [2, 10]


def test_csv_zero_one_defaults_and_test_column(tmp_path):
    path = _write(tmp_path, "x,a,y,part\n1,0,1,train\n2,1,0,test\n3,1,1,train\n4,0,0,test\n")
    data = load_csv(path=path, test_column="part")
    assert data.a.tolist() == [0, 1, 1, 0] and data.y.tolist() == [1, 0, 1, 0]
    assert data.is_test.tolist() == [False, True, False, True] and "part" not in data.X.columns


@pytest.mark.parametrize("text, options, error, pattern", [
    (None, {}, DataError, r"missing\.csv: file not found"),
    ("", {}, DataError, r"file is empty"),
    ("x,a,y\n", {}, DataError, r"header but no data rows"),
    ("x,a,y\n1,0,1\n2,1,0\n", {"label": "target"}, DataError,
     r"label column 'target' not found.*available columns: 'x', 'a', 'y'"),
    ("x,a,y\n1,0,1\n2,1,0\n", {"sensitive": "race"}, DataError, r"sensitive column 'race' not found"),
    ("x,a,y\n1,0,1\n2,1,1\n", {}, DataError, r"label column 'y' must be binary .* a single value: 1"),
    ("x,a,y\n1,0,1\n2,1,2\n3,1,3\n", {}, DataError, r"label column 'y' must be binary .* 3 values: 1, 2, 3"),
    ("x,g,y\n1,u,1\n2,v,0\n3,w,1\n", {"sensitive": "g"}, DataError,
     r"sensitive column 'g' must be binary .* 3 values: 'u', 'v', 'w'"),
    ("x,g,y\n1,M,1\n2,F,0\n", {"sensitive": "g", "protected_value": "X"}, DataError,
     r"protected_value='X' does not occur in sensitive column 'g'; its values are 'F', 'M'"),
    ("x,a,y\n1,0,good\n2,1,bad\n", {"favorable_value": "great"}, DataError,
     r"favorable_value='great' does not occur in label column 'y'"),
    ("x,g,y\n1,M,1\n2,F,0\n", {"sensitive": "g"}, UserInputError, r"option protected_value= is required"),
    ("x,a,y\n1,0,1\n2,1,\n3,1,0\n", {}, DataError, r"label column 'y' has 1 missing value\(s\) \(first on line 3\)"),
    ("x,a,y\n1,,1\n2,1,0\n3,0,0\n", {}, DataError, r"sensitive column 'a' has 1 missing value"),
])
def test_csv_errors_name_the_problem(tmp_path, text, options, error, pattern):
    path = str(tmp_path / "missing.csv") if text is None else _write(tmp_path, text)
    with pytest.raises(error, match=pattern) as caught:
        load_csv(path=path, **options)
    assert "\n" not in str(caught.value)


def test_csv_needs_a_path():
    with pytest.raises(UserInputError, match="csv:PATH"):
        load_csv()


# --- acs-income and PUMS files --------------------------------------------------------------

def _expected_income(frame):
    kept = frame[(frame.AGEP > 16) & (frame.PINCP > 100) & (frame.WKHP > 0) & (frame.PWGTP >= 1)]
    return kept, (kept.PINCP > 50000).astype(int).to_numpy(), (kept.RAC1P != 1).astype(int).to_numpy()


def test_acs_income_from_pums_fixture():
    raw = pd.read_csv(PUMS_CA)
    kept, y, a = _expected_income(raw)
    data = load_acs_income(data_dir=str(PUMS_DIR))
    _check_contract(data)
    assert data.n_rows == len(kept) == 98
    np.testing.assert_array_equal(data.y, y)
    np.testing.assert_array_equal(data.a, a)
    assert list(data.X.columns) == ["AGEP", "COW", "SCHL", "MAR", "OCCP", "POBP", "RELP", "WKHP", "SEX", "race"]
    assert data.info["state"] == "CA" and data.info["year"] == 2018


def test_acs_income_via_env_var_path_and_zip(tmp_path, monkeypatch):
    monkeypatch.setenv(_files.DATA_DIR_ENV, str(PUMS_DIR))
    assert dataset_plugin.acs.income_availability() is None
    assert load_acs_income().n_rows == 98
    import zipfile
    with zipfile.ZipFile(tmp_path / "csv_pca.zip", "w") as archive:
        archive.write(PUMS_CA, "psam_p06.csv")
    assert load_acs_income(path=str(tmp_path / "csv_pca.zip"), race="black").a.sum() > 0


def test_acs_employment_from_pums_fixture():
    raw = pd.read_csv(PUMS_CA)
    data = load_acs_employment(data_dir=str(PUMS_DIR), state="CA")
    _check_contract(data)
    assert data.n_rows == len(raw) == 240
    np.testing.assert_array_equal(data.y, (raw.ESR == 1).astype(int).to_numpy())


def test_acs_income_missing_gives_unavailable_with_hint(tmp_path):
    hint = dataset_plugin.acs.income_availability()
    assert "psam_p06.csv" in hint and "FAIRBENCH_DATA_DIR" in hint and "\n" not in hint
    with pytest.raises(UnavailableError) as caught:
        load_acs_income()
    assert str(caught.value) == hint
    with pytest.raises(UnavailableError, match="psam_p36.csv"):
        load_acs_income(state="NY", data_dir=str(tmp_path))


def test_pums_file_missing_columns(tmp_path):
    pd.read_csv(PUMS_CA).drop(columns=["WKHP"]).to_csv(tmp_path / "psam_p06.csv", index=False)
    with pytest.raises(DataError, match="WKHP"):
        load_acs_income(data_dir=str(tmp_path))


# --- hsls -----------------------------------------------------------------------------------

def test_hsls_fixture():
    data = load_hsls(path=str(HSLS_CSV))
    _check_contract(data)
    raw = pd.read_csv(HSLS_CSV, index_col=0)
    clean = raw[(raw > -7).all(axis=1)]
    assert data.n_rows == len(clean) == 134
    white_or_asian = np.isin(np.floor(clean.studentrace.to_numpy() * 7 + 1e-6), (1, 7))
    np.testing.assert_array_equal(data.a, (~white_or_asian).astype(int))
    np.testing.assert_array_equal(data.y, clean.grade9thbin.to_numpy())
    assert not {"studentrace", "studentgender", "grade9thbin", "grade12thbin", "racebin"} & set(data.X.columns)
    assert data.X.min().min() == 0.0 and data.X.max().max() == 1.0


def test_hsls_found_in_data_dir_and_pickle_only_when_named(tmp_path):
    shutil.copy(HSLS_CSV, tmp_path / "hsls_knn_impute.csv")
    assert load_hsls(data_dir=str(tmp_path)).n_rows == 134
    pickled = tmp_path / "only_pickle"
    pickled.mkdir()
    pd.read_csv(HSLS_CSV, index_col=0).to_pickle(pickled / "hsls_knn_impute.pkl")
    with pytest.raises(UnavailableError, match="hsls_knn_impute.csv"):
        load_hsls(data_dir=str(pickled))
    assert load_hsls(path=str(pickled / "hsls_knn_impute.pkl")).n_rows == 134


def test_hsls_missing_gives_unavailable_with_hint():
    hint = dataset_plugin.hsls.availability()
    with pytest.raises(UnavailableError) as caught:
        load_hsls()
    assert str(caught.value) == hint and "path=FILE" in hint


# --- waterbirds -----------------------------------------------------------------------------

def _waterbirds_arrays(rows=240, features=100, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, rows)
    place = np.where(rng.random(rows) < 0.8, y, 1 - y)
    split = rng.choice([0, 1, 2], rows, p=[0.5, 0.2, 0.3])
    x = rng.normal(size=(rows, features)) + y[:, None] * 0.5 + place[:, None] * 0.3
    return x.astype(np.float32), y, place, split


def test_waterbirds_npz_and_csv(tmp_path):
    x, y, place, split = _waterbirds_arrays()
    np.savez(tmp_path / "waterbirds_resnet18_features.npz", features=x, y=y, place=place, split=split)
    data = load_waterbirds(data_dir=str(tmp_path))
    _check_contract(data)
    assert data.X.shape == (240, 100) and data.sensitive_column is None
    np.testing.assert_array_equal(data.is_test, split == 2)
    np.testing.assert_array_equal(data.a, place)
    table = pd.DataFrame(x, columns=[f"f{i}" for i in range(100)])
    table["img_filename"] = "bird.jpg"
    table["y"], table["place"] = y, place
    table["split"] = np.array(["train", "val", "test"])[split]
    table.to_csv(tmp_path / "features.csv", index=False)
    dropped_val = load_waterbirds(path=str(tmp_path / "features.csv"), val="drop")
    assert dropped_val.n_rows == int((split != 1).sum()) and dropped_val.X.shape[1] == 100


def test_waterbirds_pca_fit_on_train_only(tmp_path):
    x, y, place, split = _waterbirds_arrays(features=100)
    np.savez(tmp_path / "w.npz", features=x, y=y, place=place, split=split)
    data = load_waterbirds_pca(path=str(tmp_path / "w.npz"))
    assert data.X.shape == (240, 85) and list(data.X.columns[:2]) == ["pc1", "pc2"]
    train = data.X.to_numpy()[~data.is_test]
    assert np.allclose(train.mean(axis=0), 0, atol=1e-4)  # centred on the training rows only
    assert not np.allclose(data.X.to_numpy()[data.is_test].mean(axis=0), 0, atol=1e-4)
    small = load_waterbirds_pca(path=str(tmp_path / "w.npz"), n_components=5)
    assert small.X.shape[1] == 5


def test_waterbirds_missing_gives_unavailable_with_hint(tmp_path):
    with pytest.raises(UnavailableError, match="waterbirds_resnet18_features.npz"):
        load_waterbirds_pca()
    np.savez(tmp_path / "bad.npz", features=np.zeros((4, 3)), y=np.array([0, 1, 0, 1]))
    with pytest.raises(DataError, match="place, split"):
        load_waterbirds(path=str(tmp_path / "bad.npz"))


# --- plugin registration --------------------------------------------------------------------

def test_plugin_registers_every_dataset(adult, compas, german, acs_employment):
    manager = pluggy.PluginManager(hookspecs.PROJECT)
    manager.add_hookspecs(hookspecs)
    manager.register(dataset_plugin)
    specs: list[DatasetSpec] = []
    manager.hook.fairbench_register_datasets(register=specs.append)
    names = [spec.name for spec in specs]
    assert names == ["adult", "compas", "german", "synthetic-4gmm", "acs-employment", "acs-income", "hsls",
                     "waterbirds", "waterbirds-pca", "csv"]
    by_name = {spec.name: spec for spec in specs}
    for data in (adult, compas, german, acs_employment):
        assert by_name[data.name].rows == data.n_rows and by_name[data.name].availability() is None
    assert by_name["synthetic-4gmm"].rows == load_synthetic_4gmm().n_rows
    for name in ("acs-income", "hsls", "waterbirds", "waterbirds-pca"):
        line = by_name[name].availability()
        assert isinstance(line, str) and "\n" not in line and "data_dir" in line


# --- docs -----------------------------------------------------------------------------------

def test_docs_table_is_what_the_stats_script_prints(capsys):
    import importlib.util

    root = Path(__file__).resolve().parents[1]
    spec = importlib.util.spec_from_file_location("dataset_stats", root / "scripts" / "dataset_stats.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main([]) == 0
    printed = [line.replace("P(y=1|", "P(y=1\\|") for line in capsys.readouterr().out.splitlines()]
    docs = (root / "docs" / "datasets.md").read_text()
    assert "python scripts/dataset_stats.py" in docs
    for line in printed:
        assert line in docs, f"docs/datasets.md is stale; rerun scripts/dataset_stats.py: {line}"
