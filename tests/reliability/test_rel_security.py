"""Security: code is imported only from built-ins and installed entry points, nothing fairbench
reads is unpickled behind the user's back, shipped data is checksum-verified, and no default path
touches the network."""
from __future__ import annotations

import ast
import importlib
import importlib.metadata
import pickle
import socket
import sqlite3
import sys
from pathlib import Path

import pytest

import fairbench
from fairbench.datasets import _files
from fairbench.errors import DataError, UnavailableError, UserInputError
from fairbench.plugins import DEFAULT_PLUGINS, ENTRY_POINT_GROUP, LOAD_ENV, build_registry
from fairbench.runner import compare
from fairbench.store import STORE_NAME
from rel_support import FAST, dataset, frame, registry_with

PACKAGE = Path(fairbench.__file__).resolve().parent
MODULE = "fb_rel_marker_mod"


@pytest.fixture
def marker(tmp_path, monkeypatch):
    """An importable module that leaves a file behind if anything ever imports it."""
    flag = tmp_path / "IMPORTED"
    code_dir = tmp_path / "code"
    code_dir.mkdir()
    (code_dir / f"{MODULE}.py").write_text(f"open({str(flag)!r}, 'w').write('imported')\ndef make(*a, **k): pass\n")
    monkeypatch.syspath_prepend(str(code_dir))
    yield flag
    assert not flag.exists(), "a name taken from input was imported"
    assert MODULE not in sys.modules


class _Evil:
    """Unpickling this object creates a file: proof that a pickle was (or was not) loaded."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (open, (self.path, "w"))


def test_names_from_options_and_data_are_never_imported(marker, tmp_path, monkeypatch):
    registry = registry_with({"d": dataset(frame(200))})
    for kw in ({"interventions": [MODULE]}, {"interventions": [f"{MODULE}:make"]}, {"learner": MODULE},
               {"learner": f"{MODULE}.make"}):
        with pytest.raises(UserInputError, match="unknown"):
            compare("d", registry=registry, output=tmp_path / "o", **{**FAST, **kw})
    for name in (MODULE, f"{MODULE}:make", f"{MODULE}.make"):
        with pytest.raises(UserInputError, match="unknown dataset"):
            compare(name, registry=registry, output=tmp_path / "o", **FAST)
    # column names and values that look like modules are just data
    data = frame(200).rename(columns={"x0": MODULE, "x1": f"{MODULE}:make"})
    data["note"] = f"{MODULE}.make"
    path = tmp_path / "data.csv"
    data.to_csv(path, index=False)
    result = compare(f"csv:{path}", interventions=["random"], budgets=[0, 3], output=tmp_path / "csv", **FAST)
    assert (result.cells["status"] == "ok").all()
    # the plugin filter selects among installed entry points by name; it never imports the name itself
    monkeypatch.setenv(LOAD_ENV, f"{MODULE},{MODULE}:make")
    build_registry()


def test_names_inside_a_results_file_are_never_imported(marker, tmp_path):
    registry = registry_with({"d": dataset(frame(200))})
    compare("d", interventions=["random"], budgets=[0, 3], registry=registry, output=tmp_path, **FAST)
    with sqlite3.connect(tmp_path / STORE_NAME) as db:
        rows = db.execute("SELECT key, row FROM cells").fetchall()
        for key, row in rows:
            tampered = row.replace('"plugin": "', f'"plugin": "{MODULE}:make', 1).replace(
                '"intervention": "', f'"intervention": "{MODULE}', 1)
            db.execute("UPDATE cells SET row = ? WHERE key = ?", (tampered, key))
    again = compare("d", interventions=["random"], budgets=[0, 3], registry=registry, output=tmp_path, **FAST)
    assert again.computed == 0 and again.cells["intervention"].str.startswith(MODULE).all()


def test_registry_imports_only_builtins_and_installed_entry_points(monkeypatch):
    imported, loaded = [], []
    real_import = importlib.import_module
    real_load = importlib.metadata.EntryPoint.load

    def spy_import(name, *args, **kwargs):
        imported.append(name)
        return real_import(name, *args, **kwargs)

    def spy_load(self):
        loaded.append(self.value)
        return real_load(self)

    monkeypatch.setattr(importlib, "import_module", spy_import)
    monkeypatch.setattr(importlib.metadata.EntryPoint, "load", spy_load)
    monkeypatch.delenv(LOAD_ENV, raising=False)
    build_registry()
    assert set(imported) <= set(DEFAULT_PLUGINS)
    installed = {ep.value for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)}
    assert set(loaded) <= installed


# --- unpickling -----------------------------------------------------------------------------------------

UNSAFE_MODULES = {"pickle", "_pickle", "cPickle", "dill", "cloudpickle", "marshal", "shelve", "runpy"}
UNSAFE_CALLS = {("joblib", "load"), ("pd", "read_pickle"), ("pandas", "read_pickle"), ("importlib", "import_module"),
                ("yaml", "load"), ("torch", "load"), ("np", "load"), ("numpy", "load")}
UNSAFE_BARE = {"eval", "exec", "__import__", "read_pickle", "import_module"}
ALLOWED = {
    # unpickles only a .pkl path the user names explicitly (path=FILE); never one found by searching a folder
    ("datasets/hsls.py", "pd.read_pickle"),
    # imports exactly the module names in DEFAULT_PLUGINS, a constant (entry points load through EntryPoint.load)
    ("plugins.py", "importlib.import_module"),
    # imports scikit-learn's OpenMP helper and the modules a registered learner names in ``requires``
    # (declared in its plugin's code, validated by the registry), so the thread cap reaches them
    ("threads.py", "importlib.import_module"),
}


def test_no_unpickling_or_dynamic_code_in_fairbench():
    """An AST scan of the package: no pickle-like module is imported, and every call that could unpickle
    or run code taken from data is in ALLOWED (np.load only with allow_pickle=False)."""
    found = set()
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
                for name in names:
                    assert name.split(".")[0] not in UNSAFE_MODULES, f"{rel}:{node.lineno}: imports {name}"
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            if isinstance(func, ast.Name) and func.id in UNSAFE_BARE:
                call = func.id
            elif isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) \
                    and (func.value.id, func.attr) in UNSAFE_CALLS:
                call = f"{func.value.id}.{func.attr}"
            else:
                continue
            if call in ("np.load", "numpy.load"):
                keywords = {k.arg: k.value for k in node.keywords}
                flag = keywords.get("allow_pickle")
                assert isinstance(flag, ast.Constant) and flag.value is False, f"{rel}:{node.lineno}: {call} may unpickle"
                continue
            assert (rel, call) in ALLOWED, f"{rel}:{node.lineno}: {call}(...) may unpickle or run code from data"
            found.add((rel, call))
    assert found == ALLOWED  # the allow-list holds no stale entry


def test_a_pickle_in_the_data_folder_is_never_loaded(tmp_path):
    flag = tmp_path / "UNPICKLED"
    (tmp_path / "hsls_knn_impute.pkl").write_bytes(pickle.dumps(_Evil(flag)))
    from fairbench.datasets.hsls import load_hsls

    with pytest.raises(UnavailableError):
        load_hsls(data_dir=tmp_path)
    assert not flag.exists()


def test_a_pickle_in_the_result_store_is_never_loaded(tmp_path):
    flag = tmp_path / "UNPICKLED"
    registry = registry_with({"d": dataset(frame(200))})
    compare("d", interventions=["random"], budgets=[0, 3], registry=registry, output=tmp_path / "out", **FAST)
    with sqlite3.connect(tmp_path / "out" / STORE_NAME) as db:
        db.execute("UPDATE cells SET row = ?", (pickle.dumps(_Evil(flag)),))
    with pytest.raises(DataError, match="is damaged"):
        compare("d", interventions=["random"], budgets=[0, 3], registry=registry, output=tmp_path / "out", **FAST)
    assert not flag.exists()


# --- checksums and network ------------------------------------------------------------------------------

def test_every_shipped_data_file_is_pinned_and_verified():
    shipped = {p.name for p in (PACKAGE / "datasets" / "data").iterdir() if p.is_file() and p.suffix != ".md"}
    assert shipped == set(_files.VENDORED_SHA256), "a shipped data file without a pinned sha256"
    _files.verify_all()


def test_a_tampered_data_file_is_refused(tmp_path, monkeypatch):
    from importlib import resources

    name = "german.data.gz"
    copy = tmp_path / "data"
    copy.mkdir()
    original = resources.files("fairbench.datasets").joinpath("data", name).read_bytes()
    (copy / name).write_bytes(original[:-1] + bytes([original[-1] ^ 1]))
    monkeypatch.setattr(_files, "data_root", lambda: copy)
    from fairbench.datasets.uci import load_german

    with pytest.raises(DataError, match=f"vendored data file {name} is corrupt: sha256 .* reinstall fairbench"):
        load_german()
    (copy / name).unlink()
    with pytest.raises(DataError, match=f"{name} is missing from the fairbench install"):
        load_german()


def test_default_paths_never_touch_the_network(tmp_path, monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    import fairbench.datasets.acs as acs

    monkeypatch.setattr(acs, "_from_folktables", no_network)
    monkeypatch.delenv(_files.DATA_DIR_ENV, raising=False)
    from fairbench.datasets.uci import load_german

    load_german()
    with pytest.raises(UnavailableError, match="source=folktables|PUMS"):
        acs.load_acs_income(data_dir=tmp_path)
    registry = registry_with({"d": dataset(frame(200))})
    compare("d", interventions=["random"], budgets=[0, 3], registry=registry, output=tmp_path / "o", **FAST)
