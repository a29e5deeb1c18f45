"""Fault injection: broken plugins, hangs, killed and interrupted runs, unusable output folders and
concurrent writers.  A fault costs at most the cells it touches; it is recorded in those cells (or
named in one error line) and never loses or duplicates a stored result."""
from __future__ import annotations

import errno
import re
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import rel_driver
from fairbench import Intervention, hookimpl
from fairbench.errors import DataError, UserInputError
from fairbench.plugins import build_registry
from fairbench.runner import compare
from fairbench.store import STORE_NAME, ResultStore
from rel_support import FAST, assert_one_line_error, dataset, frame, intervention, registry_with, run_cli

HERE = Path(__file__).resolve().parent
COLS = ["intervention", "seed", "knob_value", "status", "error", "eqod", "sp", "n_flips", "n_candidates"]


# --- broken plugins: the fault stays in its own cells ---------------------------------------------------

class Broken:
    """A firm-side method that misbehaves in one named way."""

    def __init__(self, mode: str):
        self.mode = mode

    def fit(self, X, y, a, learner=None):
        if self.mode == "fit":
            raise RuntimeError("boom in fit\nsecond line of the message")
        return self

    def transform(self, X, a):
        return {
            "transform": lambda: (_ for _ in ()).throw(ValueError("boom in transform")),
            "rows": lambda: X[:-1],
            "columns": lambda: X[:, :1] if len(X) > 100 else X,
            "nan": lambda: np.full_like(X, np.nan),
        }.get(self.mode, lambda: X)()

    def predict(self, X, a):
        n = len(X)
        return {"proba": np.full(n, 0.7), "2d": np.zeros((n, 2), int), "nan": np.full(n, np.nan),
                "rows": np.zeros(n + 1, int)}.get(self.mode, np.zeros(n, int))


class BadScores:
    def __init__(self, mode: str):
        self.mode = mode

    def score(self, view):
        n = len(view.candidates)
        if self.mode == "raise":
            raise KeyError("no such column")
        return {"nan": np.full(n, np.nan), "inf": np.full(n, np.inf), "short": np.zeros(n - 1), "text": ["x"] * n,
                "none": None, "2d": np.zeros((n, 2))}[self.mode]


def _broken_registry():
    ivs = [intervention(f"pre-{m}", "pre", lambda m=m: Broken(m)) for m in ("fit", "transform", "rows", "columns", "nan")]
    ivs += [intervention(f"in-{m}", "in", lambda m=m: Broken(m), grid=(0.0,)) for m in ("proba", "2d", "nan", "rows")]
    ivs += [intervention(f"lab-{m}", "labels", lambda m=m: BadScores(m))
            for m in ("raise", "nan", "inf", "short", "text", "none", "2d")]
    ivs.append(Intervention(name="make-fails", stage="pre", knob="w", grid=(0.0,),
                            make=lambda knob=None, random_state=0, **p: 1 / 0))
    return registry_with({"d": dataset(frame(300))}, ivs)


EXPECTED = {  # regular expressions every message of the intervention's cells must match
    "pre-fit": r"^RuntimeError: boom in fit$",
    "pre-transform": r"^ValueError: boom in transform$",
    # 300 rows: 60 test, and of the 240 others 48 validation (compare's default 0.2), 192 train
    "pre-rows": r"'pre-rows' transform\(train\) returned 191 rows, expected 192",
    "pre-columns": r"'pre-columns' transform returned shapes \(192, 1\) \(train\) and \(60, 3\) \(test\)",
    "pre-nan": r"'pre-nan' transform\(train\) returned NaN or inf values",
    "in-proba": r"'in-proba' predict\(test\) returned an array of shape \(60,\) \(values e.g. \[0.7, 0.7, 0.7\]\); "
                r"expected a 1-D array of one 0/1 label per row",
    "in-2d": r"'in-2d' predict\(test\) returned an array of shape \(60, 2\)",
    "in-nan": r"'in-nan' predict\(test\) returned NaN or inf values",
    "in-rows": r"'in-rows' predict\(test\) returned 61 rows, expected 60",
    "lab-raise": r"^KeyError: 'no such column'$",
    "lab-nan": r"'lab-nan' returned (\d+) non-finite scores; every candidate needs a finite score",
    "lab-inf": r"'lab-inf' returned (\d+) non-finite scores",
    "lab-short": r"'lab-short' returned scores of shape \((\d+),\), expected \((\d+),\): one per candidate",
    "lab-text": r"'lab-text' returned scores that are not numbers .*expected one finite float per candidate",
    "lab-none": r"'lab-none' returned scores of shape \(\), expected \((\d+),\)",
    "lab-2d": r"'lab-2d' returned scores of shape \((\d+), 2\), expected \((\d+),\)",
    "make-fails": r"'make-fails' \(plugin 'reliability-test-\d+'\) failed to build: ZeroDivisionError",
}


def test_each_plugin_fault_fails_only_its_cells_with_a_named_message(tmp_path):
    result = compare("d", interventions=["random", *EXPECTED], budgets=[0, 5], registry=_broken_registry(),
                     output=tmp_path, **FAST)
    cells = result.cells
    good = cells[cells["intervention"].isin(["baseline", "random"])]
    assert (good["status"] == "ok").all() and len(good) == 3
    for name, needle in EXPECTED.items():
        part = cells[cells["intervention"] == name]
        assert len(part) >= 1 and (part["status"] == "error").all(), (name, part[["status", "message"]])
        for message in part["message"]:
            assert re.search(needle, message), (name, message)
            assert "\n" not in message and "Traceback" not in message
        assert part["error"].isna().all() and part["eqod"].isna().all()  # a failed cell reports no number
    assert not result.ok and any("pre-fit" in line for line in result.failures)


def test_failed_cells_give_exit_code_3_and_name_the_plugin(capsys, tmp_path, monkeypatch):
    import fairbench.runner

    registry = _broken_registry()
    monkeypatch.setattr(fairbench.runner, "get_registry", lambda: registry)
    code, out, err = run_cli(capsys, "compare", "--dataset", "d", "--interventions", "random,pre-fit,lab-nan",
                             "--budgets", "0,5", "--seeds", "1", "--learner", "logreg", "--no-tune", "--quiet",
                             "--jobs", "1", "--output", tmp_path)
    assert code == 3 and "Traceback" not in err
    assert "failed: pre-fit: 2 cell(s) RuntimeError: boom in fit" in err
    assert "failed: lab-nan: 2 cell(s)" in err and "random" in out


def test_broken_plugin_registration_and_missing_dependency(tmp_path):
    class BadRegistration:
        __name__ = "bad-registration"

        @hookimpl
        def fairbench_register_interventions(self, register):
            raise ImportError("cannot import name 'thing' from 'half_installed'")

    needs = intervention("needs-missing", "pre", lambda: Broken("ok"), requires=("fairbench_no_such_module_xyz",),
                         install_hint="pip install fairbench-no-such-module")
    good = registry_with({"d": dataset(frame(300))}, [needs])
    registry = build_registry(extra=(BadRegistration(), *[p for p in [_plugin_of(good)]]), entry_points=False)
    assert any("bad-registration" in p and "half_installed" in p for p in registry.problems)
    result = compare("d", interventions=["random", "needs-missing"], budgets=[0, 5], registry=registry,
                     output=tmp_path, **FAST)
    assert (result.cells["status"] == "ok").all()
    assert result.unavailable == ["unavailable: needs-missing needs fairbench_no_such_module_xyz: "
                                  "pip install fairbench-no-such-module"]
    assert any("bad-registration" in p for p in result.problems)


def _plugin_of(registry):
    """The test plugin object behind a registry_with registry (to reuse it in another registry)."""
    from rel_support import _Plugin

    name = next(n for n in registry.plugins if n.startswith("reliability-test-"))
    interventions = [iv for iv in registry.interventions.values() if iv.plugin == name]
    datasets = {n: ds.loader for n, ds in registry.datasets.items() if ds.plugin == name}
    return _Plugin(name + "-copy", datasets, interventions)


def test_entry_point_that_fails_to_import_is_skipped_and_named(monkeypatch, tmp_path):
    import fairbench.plugins

    class FakeEntryPoint:
        name, dist = "half-installed", None

        def load(self):
            raise ModuleNotFoundError("No module named 'half_installed_dep'")

    monkeypatch.setattr(fairbench.plugins, "_wanted_entry_points", lambda: [FakeEntryPoint()])
    registry = build_registry(extra=(_plugin_of(registry_with({"d": dataset(frame(300))})),))
    assert any("'half-installed'" in p and "half_installed_dep" in p and "skipped" in p for p in registry.problems)
    result = compare("d", interventions=["random"], budgets=[0, 5], registry=registry, output=tmp_path, **FAST)
    assert (result.cells["status"] == "ok").all()


# --- hangs: the per-cell timeout ends them and the run goes on ------------------------------------------

class Hang:
    def __init__(self, swallow: bool):
        self.swallow = swallow

    def _wait(self):
        while True:
            try:
                time.sleep(0.05)
            except Exception:  # a plugin that swallows every Exception must still be stopped
                if not self.swallow:
                    raise

    def fit(self, X, y, a):
        self._wait()

    def score(self, view):
        self._wait()


def test_hanging_plugins_time_out_and_the_run_continues(tmp_path):
    ivs = [intervention("hang-pre", "pre", lambda: Hang(False), grid=(0.0,)),
           intervention("hang-swallow", "pre", lambda: Hang(True), grid=(0.0,)),
           intervention("hang-labels", "labels", lambda: Hang(False))]
    registry = registry_with({"d": dataset(frame(300))}, ivs)
    start = time.monotonic()
    result = compare("d", interventions=["hang-pre", "hang-swallow", "hang-labels", "random"], budgets=[0, 5],
                     cell_timeout=1.0, registry=registry, output=tmp_path, **FAST)
    elapsed = time.monotonic() - start
    cells = result.cells.set_index(["intervention", "knob_value"])
    for name in ("hang-pre", "hang-swallow", "hang-labels"):
        part = result.cells[result.cells["intervention"] == name]
        assert (part["status"] == "timeout").all(), part[["status", "message"]]
        assert part["message"].str.contains("cell exceeded the 1 s time limit").all()
    assert (result.cells[result.cells["intervention"].isin(["baseline", "random"])]["status"] == "ok").all()
    assert elapsed < 30, elapsed
    assert any("timeout" in f or "time limit" in f for f in result.failures)
    # a timed-out cell is stored as such: the next run reuses it instead of hanging again
    again = compare("d", interventions=["hang-pre", "random"], budgets=[0, 5], cell_timeout=1.0, registry=registry,
                    output=tmp_path, **FAST)
    assert again.computed == 0 and cells.loc[("hang-pre", 0.0), "status"] == "timeout"
    # --fresh retries it
    fresh = compare("d", interventions=["hang-pre"], budgets=[0], cell_timeout=0.5, registry=registry,
                    output=tmp_path, fresh=True, **FAST)
    assert fresh.computed == 2


def test_timeout_alarm_never_leaks_out_of_a_cell(tmp_path):
    """After a run with a timeout, no SIGALRM handler or timer is left behind."""
    previous = signal.getsignal(signal.SIGALRM)
    registry = registry_with({"d": dataset(frame(300))}, [intervention("hang-pre", "pre", lambda: Hang(False), grid=(0.0,))])
    compare("d", interventions=["hang-pre", "random"], budgets=[0, 5], cell_timeout=0.5, registry=registry,
            output=tmp_path, **FAST)
    assert signal.getsignal(signal.SIGALRM) == previous
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_cell_timeout_on_the_command_line(capsys, tmp_path, monkeypatch):
    import fairbench.runner

    registry = registry_with({"d": dataset(frame(300))}, [intervention("hang-pre", "pre", lambda: Hang(False), grid=(0.0,))])
    monkeypatch.setattr(fairbench.runner, "get_registry", lambda: registry)
    code, _, err = run_cli(capsys, "compare", "--dataset", "d", "--interventions", "hang-pre,random", "--budgets", "0,5",
                           "--seeds", "1", "--learner", "logreg", "--no-tune", "--quiet", "--jobs", "1",
                           "--cell-timeout", "0.5", "--output", tmp_path)
    assert code == 3 and "failed: hang-pre: 1 cell(s) cell exceeded the 0.5 s time limit" in err


@pytest.mark.slow
def test_timeout_applies_in_parallel_workers(tmp_path):
    registry = registry_with({"d": dataset(frame(300))}, [intervention("hang-pre", "pre", lambda: Hang(True), grid=(0.0,))])
    result = compare("d", interventions=["hang-pre", "random"], seeds=2, budgets=[0, 5], cell_timeout=1.0, jobs=2,
                     registry=registry, output=tmp_path, learner="logreg", tune=False, write=False)
    assert (result.cells[result.cells["intervention"] == "hang-pre"]["status"] == "timeout").all()
    assert (result.cells[result.cells["intervention"] == "random"]["status"] == "ok").all()


# --- killed, interrupted and concurrent runs ------------------------------------------------------------

@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The driver's comparison run once, uninterrupted, in this process."""
    out = tmp_path_factory.mktemp("reference")
    import fairbench.cli
    import fairbench.runner

    registry = rel_driver.build()
    saved = fairbench.runner.get_registry
    fairbench.runner.get_registry = lambda: registry
    try:
        assert fairbench.cli.main(rel_driver.argv(out)) == 0
    finally:
        fairbench.runner.get_registry = saved
    return _stored(out)


def _stored(out: Path) -> pd.DataFrame:
    with ResultStore(out) as store:
        rows = store.rows()
    frame_ = pd.DataFrame(rows)
    return frame_.sort_values("key").reset_index(drop=True)


def _count(out: Path) -> int:
    path = out / STORE_NAME
    if not path.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5) as db:
            return db.execute("SELECT COUNT(*) FROM cells").fetchone()[0]
    except sqlite3.Error:
        return 0


def _start(out: Path, delay: float, *extra) -> subprocess.Popen:
    env = {**os.environ, "FB_REL_DELAY": str(delay), "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen([sys.executable, str(HERE / "rel_driver.py"), str(out), *extra], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for_cells(proc: subprocess.Popen, out: Path, at_least: int, timeout: float = 120) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        n = _count(out)
        if n >= at_least:
            return n
        if proc.poll() is not None:
            pytest.fail(f"the run ended before storing {at_least} cells: {proc.stderr.read()}")
        time.sleep(0.05)
    proc.kill()
    pytest.fail("the run stored no cells in time")


def _assert_same_cells(out: Path, reference: pd.DataFrame) -> None:
    stored = _stored(out)
    assert len(stored) == len(reference) and stored["key"].is_unique
    assert list(stored["key"]) == list(reference["key"])
    pd.testing.assert_frame_equal(stored[COLS], reference[COLS])
    exported = pd.read_csv(out / "cells.csv")
    assert len(exported) == len(reference)
    assert not exported.duplicated(["intervention", "seed", "knob_value"]).any()


def test_killed_run_resumes_to_the_same_cells(tmp_path, reference):
    out = tmp_path / "out"
    proc = _start(out, delay=0.6)
    stored_before = _wait_for_cells(proc, out, at_least=SEEDS_PLUS_ONE_TASK)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    stored = _count(out)
    assert stored_before <= stored < len(reference), "the run was not killed mid-way"
    resumed = subprocess.run([sys.executable, str(HERE / "rel_driver.py"), str(out)], capture_output=True, text=True,
                             env={**os.environ, "FB_REL_DELAY": "0"}, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert f"{len(reference) - stored} cells computed, {stored} reused" in resumed.stdout
    _assert_same_cells(out, reference)


SEEDS_PLUS_ONE_TASK = rel_driver.SEEDS + 3  # every baseline, then one (seed, strategy) task of 3 budgets


@pytest.mark.slow  # two processes, ~10 s
def test_interrupted_run_exits_130_and_resumes(tmp_path, reference):
    out = tmp_path / "out"
    proc = _start(out, delay=0.6)
    _wait_for_cells(proc, out, at_least=SEEDS_PLUS_ONE_TASK)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "interrupted; finished cells are saved" in err
    assert 0 < _count(out) < len(reference)
    resumed = subprocess.run([sys.executable, str(HERE / "rel_driver.py"), str(out)], capture_output=True, text=True,
                             env={**os.environ, "FB_REL_DELAY": "0"}, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    _assert_same_cells(out, reference)


@pytest.mark.slow  # two processes, ~10 s
def test_second_writer_is_refused_and_the_store_stays_consistent(tmp_path, reference, capsys, monkeypatch):
    import fairbench.runner

    out = tmp_path / "out"
    proc = _start(out, delay=0.4)
    _wait_for_cells(proc, out, at_least=1)
    registry = rel_driver.build()
    monkeypatch.setattr(fairbench.runner, "get_registry", lambda: registry)
    code, _, err = run_cli(capsys, *rel_driver.argv(out))
    assert_one_line_error(code, err, "another fairbench run is writing", str(out), "different --output")
    code, _, err = run_cli(capsys, *rel_driver.argv(out, "--fresh"))  # --fresh must not delete under a running writer
    assert_one_line_error(code, err, "another fairbench run is writing")
    _, first_err = proc.communicate(timeout=300)
    assert proc.returncode == 0, first_err
    _assert_same_cells(out, reference)


def test_lock_is_released_by_a_finished_or_failed_run(tmp_path):
    registry = registry_with({"d": dataset(frame(300))})
    with pytest.raises(UserInputError):
        compare("d", interventions=["random"], budgets=[0], registry=registry, output=tmp_path, cell_timeout=-1, **FAST)
    holder = ResultStore(tmp_path)
    holder.lock()
    try:
        with pytest.raises(UserInputError, match="another fairbench run is writing"):
            compare("d", interventions=["random"], budgets=[0], registry=registry, output=tmp_path, **FAST)
    finally:
        holder.close()
    result = compare("d", interventions=["random"], budgets=[0], registry=registry, output=tmp_path, **FAST)
    assert result.computed == 2


# --- unusable output folders and damaged stores -----------------------------------------------------------

@pytest.fixture
def small_registry():
    return registry_with({"d": dataset(frame(300))})


def _run_small(registry, out, **kw):
    return compare("d", interventions=["random", "rb-label"], seeds=2, budgets=[0, 5], registry=registry, output=out,
                   learner="logreg", tune=False, **{"write": False, **kw})


def test_output_folder_that_cannot_be_created(small_registry, tmp_path, capsys):
    blocker = tmp_path / "file.txt"
    blocker.write_text("not a folder")
    with pytest.raises(UserInputError, match="cannot create output directory .*file.txt/out"):
        _run_small(small_registry, blocker / "out")
    code, _, err = run_cli(capsys, "compare", "--dataset", "german", "--output", blocker / "out", "--seeds", "1")
    assert_one_line_error(code, err, "cannot create output directory")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_read_only_output_folder(small_registry, tmp_path):
    out = tmp_path / "ro"
    out.mkdir()
    out.chmod(0o555)
    try:
        with pytest.raises(UserInputError, match="is not writable; pass --output DIR"):
            _run_small(small_registry, out)
    finally:
        out.chmod(0o755)


def test_read_only_store_file(small_registry, tmp_path):
    """An existing store opened read-only by the system (simulated for root, who may write anywhere)."""
    _run_small(small_registry, tmp_path)
    real_connect = sqlite3.connect

    def read_only(path, *args, **kwargs):
        return real_connect(f"file:{path}?mode=ro", *args, uri=True, **kwargs)

    import fairbench.store

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(fairbench.store.sqlite3, "connect", read_only)
        with pytest.raises(UserInputError, match="it is not writable .*pass --output DIR"):
            _run_small(small_registry, tmp_path, alpha=0.5)


def test_full_disk_keeps_the_stored_cells_and_resumes(small_registry, tmp_path):
    """SQLite's max_page_count gives a genuine 'database or disk is full' after a few cells."""
    import fairbench.store

    original_init = fairbench.store.ResultStore.__init__

    def tiny_disk(self, directory):
        original_init(self, directory)
        pages = self._db.execute("PRAGMA page_count").fetchone()[0]
        self._db.execute(f"PRAGMA max_page_count = {pages + 1}")

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(fairbench.store.ResultStore, "__init__", tiny_disk)
        with pytest.raises(UserInputError, match="the disk is full .*free space or pass --output on another disk"):
            _run_small(small_registry, tmp_path / "full")
    kept = _count(tmp_path / "full")
    assert kept > 0
    resumed = _run_small(small_registry, tmp_path / "full")
    clean = _run_small(small_registry, tmp_path / "clean")
    assert resumed.reused == kept and resumed.computed == len(clean.cells) - kept
    pd.testing.assert_frame_equal(resumed.cells[COLS], clean.cells[COLS])


def test_full_disk_while_exporting_keeps_every_cell(small_registry, tmp_path, monkeypatch):
    import fairbench.export

    def no_space(result):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(result.output / "fronts_eqod.png"))

    monkeypatch.setattr(fairbench.export, "write_outputs", no_space)
    with pytest.raises(UserInputError, match="No space left on device.*every cell is kept in .*cells.sqlite"):
        _run_small(small_registry, tmp_path, write=True)
    monkeypatch.undo()
    again = _run_small(small_registry, tmp_path, write=True)
    assert again.computed == 0 and (tmp_path / "cells.csv").exists()


def test_store_that_is_not_a_database(small_registry, tmp_path, capsys):
    (tmp_path / STORE_NAME).write_bytes(b"this is not an sqlite file\n" * 100)
    with pytest.raises(DataError, match="not a fairbench store or is damaged.*move it away"):
        _run_small(small_registry, tmp_path)
    code, _, err = run_cli(capsys, "compare", "--dataset", "german", "--seeds", "1", "--output", tmp_path)
    assert_one_line_error(code, err, str(tmp_path / STORE_NAME), "not a fairbench store")


def test_store_with_a_foreign_table(small_registry, tmp_path):
    with sqlite3.connect(tmp_path / STORE_NAME) as db:
        db.execute("CREATE TABLE cells (id INTEGER, payload BLOB)")
    with pytest.raises(DataError, match="not a fairbench result store .*'id', 'payload'"):
        _run_small(small_registry, tmp_path)


def test_damaged_row_is_named_and_fresh_recomputes(small_registry, tmp_path):
    clean = _run_small(small_registry, tmp_path)
    with sqlite3.connect(tmp_path / STORE_NAME) as db:
        key = db.execute("SELECT key FROM cells LIMIT 1").fetchone()[0]
        db.execute("UPDATE cells SET row = ? WHERE key = ?", ("{not json", key))
    with pytest.raises(DataError, match=f"stored cell {key[:16]}... is damaged.*--fresh"):
        _run_small(small_registry, tmp_path)
    fresh = _run_small(small_registry, tmp_path, fresh=True)
    pd.testing.assert_frame_equal(fresh.cells[COLS], clean.cells[COLS])


# --- the last line of defence: an unexpected error is still one line ----------------------------------------

def test_unexpected_error_is_one_line_and_debug_shows_the_traceback(capsys, tmp_path, monkeypatch):
    import fairbench.runner

    def bug(**kwargs):
        raise RuntimeError("something nobody foresaw\nwith a second line")

    monkeypatch.setattr(fairbench.runner, "compare", bug)
    code, _, err = run_cli(capsys, "compare", "--dataset", "german", "--output", tmp_path)
    assert code == 1 and "Traceback" not in err and err.count("\n") == 1
    assert "fairbench: internal error: RuntimeError: something nobody foresaw" in err and "FAIRBENCH_DEBUG=1" in err
    monkeypatch.setenv("FAIRBENCH_DEBUG", "1")
    with pytest.raises(RuntimeError, match="something nobody foresaw"):
        run_cli(capsys, "compare", "--dataset", "german", "--output", tmp_path)


def test_system_refusal_names_the_path(capsys, tmp_path, monkeypatch):
    import fairbench.runner

    def refused(**kwargs):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), "/data/locked.csv")

    monkeypatch.setattr(fairbench.runner, "compare", refused)
    code, _, err = run_cli(capsys, "compare", "--dataset", "german", "--output", tmp_path)
    assert_one_line_error(code, err, "/data/locked.csv: Permission denied")
