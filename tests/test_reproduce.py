"""`fairbench reproduce`: the plan is the committed reproduction, shared cells are fitted once,
and the dry run's counts are what a run then computes."""
from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from fairbench import reproduction
from fairbench.reproduction import Step

ROOT = Path(__file__).resolve().parents[1]


def _parsed(words):
    from fairbench.cli import build_parser
    from fairbench.experiments.cli import experiment_arguments

    name, cfg, options = experiment_arguments(build_parser().parse_args(words))
    fields = {k: v for k, v in vars(cfg).items() if k not in ("registry", "cache", "on_cells", "quiet", "jobs")}
    return name, fields, options


def test_every_committed_experiment_folder_is_a_step_of_the_plan(monkeypatch):
    """Each results/<dataset>/<name>/COMMAND.txt means what a plan runs at 10 seeds, and the paper's
    plan has no step without a committed folder (the beyond plan's folders are checked once committed)."""
    committed = {}
    for path in sorted(ROOT.glob("results/*/*/COMMAND.txt")):
        words = shlex.split(path.read_text().strip())
        if words[:2] == ["fairbench", "experiment"]:
            committed[(path.parent.parent.name, path.parent.name)] = words[1:]
    paper = {(d, s.name) for s in reproduction.STEPS for d in s.datasets}
    steps = {(d, s.name): s for p in reproduction.PLANS.values() for s in p.steps for d in s.datasets}
    assert paper <= set(committed) <= set(steps)
    for (dataset, name), step in steps.items():
        if (dataset, name) not in committed:
            continue
        words = committed[(dataset, name)]
        seeds = int(words[words.index("--seeds") + 1])
        assert seeds == min(10, step.max_seeds.get(dataset, 10)), (dataset, name)
        ours = ["experiment", step.experiment, "--dataset", dataset, "--seeds", str(seeds),
                *([] if step.default_place(reproduction.DEFAULT_ROOT) else ["--output", f"results/{dataset}/{name}"]), *shlex.split(step.arguments)]
        assert _parsed(ours) == _parsed(words), (dataset, name)


@pytest.mark.parametrize("dataset", ["german", "compas"])
def test_the_plan_asks_for_exactly_the_committed_cells(monkeypatch, dataset):
    """The plan's cell keys are the keys in the committed cells.csv files: re-running the
    reproduction recomputes the committed cells, no more and no other."""
    monkeypatch.chdir(ROOT)
    for p in reproduction.plan(seeds=10, datasets=[dataset], cache=False):
        if p.own_cells:
            continue
        committed = set()
        for csv in sorted(p.output.rglob("cells.csv")):
            committed |= set(pd.read_csv(csv, usecols=["key"])["key"])
        assert set(p.keys) == committed, p.label


class CountingLogReg(LogisticRegression):
    """The firm's learner with a fit counter (class-level: clones count too)."""

    fits = 0

    def fit(self, X, y, sample_weight=None):
        type(self).fits += 1
        return super().fit(X, y, sample_weight=sample_weight)


@pytest.fixture
def spy_learner(monkeypatch):
    """Every learner the harness builds for a cell is a counting logistic regression (the cell keys
    still name the registered logreg, whose parameters these are)."""
    from fairbench import tasks

    CountingLogReg.fits = 0
    real = tasks.make_learner
    monkeypatch.setattr(tasks, "make_learner",
                        lambda name, seed, *a, **k: CountingLogReg(max_iter=1000) if name == "logreg" else real(name, seed, *a, **k))
    return CountingLogReg


TINY = (
    Step("flips", "flips", ("toy-small",),
         "--learner logreg --no-tune --validation-fraction 0.2 --alpha 0.3 --budget-fractions 0,0.5,1 "
         "--interventions random,rb-prob"),
    Step("firm", "firm", ("toy-small",),
         "--learner logreg --no-tune --validation-fraction 0.2 --alpha 0.3 --budget-fractions 0,0.5,1 "
         "--interventions rb-prob,group-threshold"),
)


def test_shared_cells_are_fitted_once_and_the_dry_run_counts_what_a_run_computes(firm_registry, tmp_path,
                                                                                  spy_learner):
    def planned(steps):
        return reproduction.plan(seeds=2, root=tmp_path / "results", cache=tmp_path / "cache", steps=steps,
                                 registry=firm_registry, jobs=1)

    plan = planned(TINY)
    counts = reproduction.counts(plan)
    flips, firm = counts.rows
    assert firm["shared"] > 0  # the baseline and rb-prob's cells at the common budgets
    assert counts.distinct == flips["cells"] + firm["cells"] - firm["shared"]
    assert counts.to_compute == counts.distinct and counts.stored == 0

    first = reproduction.run(plan[:1], root=tmp_path / "results", progress=False, pages=False)
    spy_learner.fits = 0
    second = reproduction.run(plan[1:], root=tmp_path / "results", progress=False, pages=False)
    fits_firm_after_flips = spy_learner.fits
    assert first.ok and second.ok, first.failures + second.failures
    assert first.computed["toy-small/flips"] + second.computed["toy-small/firm"] == counts.to_compute
    assert second.computed["toy-small/firm"] == firm["to_compute"] == firm["cells"] - firm["shared"]

    # the firm step alone, with a cache of its own, fits its shared cells too
    spy_learner.fits = 0
    alone = reproduction.plan(seeds=2, root=tmp_path / "alone", cache=tmp_path / "cache-alone", steps=TINY[1:],
                              registry=firm_registry, jobs=1)
    assert reproduction.run(alone, root=tmp_path / "alone", progress=False, pages=False).computed == \
        {"toy-small/firm": firm["cells"]}
    assert spy_learner.fits > fits_firm_after_flips

    # everything stored: the dry run says so, and a second run computes nothing and fits nothing
    spy_learner.fits = 0
    replan = planned(TINY)
    assert reproduction.counts(replan).to_compute == 0
    rerun = reproduction.run(replan, root=tmp_path / "results", progress=False, pages=False)
    assert sum(rerun.computed.values()) == 0 and spy_learner.fits == 0


def test_a_rerun_with_everything_stored_rewrites_no_folder_unless_something_changed(firm_registry, tmp_path,
                                                                                 spy_learner, monkeypatch):
    from fairbench import build_stamp

    root = tmp_path / "results"

    def rerun():
        plan = reproduction.plan(seeds=2, root=root, cache=tmp_path / "cache", steps=TINY, registry=firm_registry,
                                 jobs=1)
        result = reproduction.run(plan, root=root, progress=False, pages=False)
        assert result.ok, result.failures
        return result

    first = rerun()
    assert first.up_to_date == [] and sum(first.computed.values()) > 0
    flips_md = root / "toy-small" / "flips" / "flips.md"
    written = flips_md.stat().st_mtime_ns
    spy_learner.fits = 0
    assert rerun().up_to_date == ["toy-small/flips", "toy-small/firm"] and spy_learner.fits == 0
    assert flips_md.stat().st_mtime_ns == written

    flips_md.unlink()  # an output deleted since: that folder is rebuilt from the stored cells
    again = rerun()
    assert again.up_to_date == ["toy-small/firm"] and flips_md.is_file() and sum(again.computed.values()) == 0
    (root / "toy-small" / "firm" / "firm.md").write_text("edited\n")  # an output edited since
    assert rerun().up_to_date == ["toy-small/flips"]

    # other code (or other versions of the rendering libraries): every folder is rebuilt
    monkeypatch.setattr(build_stamp, "code_fingerprint", lambda: "other code")
    assert rerun().up_to_date == []
    assert rerun().up_to_date == ["toy-small/flips", "toy-small/firm"]


def test_a_step_with_its_own_cells_is_rerun_only_when_its_folder_changed(tmp_path):
    """toy makes its cells from the code alone: an unchanged folder is kept, a changed one redone."""
    root = tmp_path / "results"
    toy = (Step("toy", "toy", ("toy-2d",), "--flips 3 --dataset-option test_size=1000"),)

    def rerun():
        plan = reproduction.plan(seeds=1, root=root, cache=tmp_path / "cache", steps=toy, jobs=1)
        result = reproduction.run(plan, root=root, progress=False, pages=False)
        assert result.ok, result.failures
        return result.up_to_date

    assert rerun() == [] and (root / "toy-2d" / "toy" / "toy.png").is_file()
    assert rerun() == ["toy-2d/toy"]
    (root / "toy-2d" / "toy" / "toy.png").unlink()
    assert rerun() == [] and (root / "toy-2d" / "toy" / "toy.png").is_file()


def test_a_build_stamp_holds_only_while_the_folder_is_what_was_built(tmp_path):
    from fairbench import build_stamp

    folder = tmp_path / "step"
    (folder / "sub").mkdir(parents=True)
    (folder / "table.md").write_text("a\n")
    (folder / "sub" / "fig.png").write_bytes(b"png")
    built = build_stamp.identity("fairbench experiment flips", ["k2", "k1", "k1"])
    assert built == build_stamp.identity("fairbench experiment flips", ["k1", "k2"])  # a set of keys
    assert build_stamp.current(folder, built) is None  # no stamp yet
    build_stamp.write(folder, built, ["lfr: infeasible"])
    assert build_stamp.current(folder, built) == ["lfr: infeasible"]
    (folder / "cells.sqlite").write_bytes(b"store")  # the store and its lock are not outputs
    (folder / "cells.sqlite-wal").write_bytes(b"wal")
    (folder / ".fairbench.lock").write_text("1\n")
    assert build_stamp.current(folder, built) == ["lfr: infeasible"]
    assert build_stamp.current(folder, build_stamp.identity("fairbench experiment flips", ["k1"])) is None
    assert build_stamp.current(folder, build_stamp.identity("fairbench experiment firm", ["k1", "k2"])) is None
    (folder / "new.csv").write_text("x\n")
    assert build_stamp.current(folder, built) is None  # an output added
    (folder / "new.csv").unlink()
    (folder / "sub" / "fig.png").write_bytes(b"PNG")
    assert build_stamp.current(folder, built) is None  # an output changed
    build_stamp.write(folder, built)
    (folder / build_stamp.STAMP_FILE).write_text("{not json")
    assert build_stamp.current(folder, built) is None  # a damaged stamp rebuilds
    build_stamp.remove(folder)
    assert not (folder / build_stamp.STAMP_FILE).exists()
    build_stamp.write(tmp_path / "never-written", built)  # a step that wrote no folder is not stamped
    assert not (tmp_path / "never-written").exists()


def test_unknown_step_or_dataset_lists_the_valid_ones():
    from fairbench.errors import UserInputError

    with pytest.raises(UserInputError, match="valid: flips, firm, firm-library-defaults"):
        reproduction.plan(only=["flip"])
    with pytest.raises(UserInputError, match="valid: adult, compas, german"):
        reproduction.plan(datasets=["adlt"])


def test_cli_reproduce_smoke(tmp_path):
    """The CI smoke test: German, 2 seeds, flips and firm into a temporary folder; the report,
    the leaderboard and the reproduction page build from it."""
    out = tmp_path / "results"
    command = [sys.executable, "-m", "fairbench.cli", "reproduce", "--seeds", "2", "--datasets", "german",
               "--only", "flips,firm", "--output", str(out), "--cache", str(tmp_path / "cache"), "--quiet"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "german/flips" in done.stdout and "to compute" in done.stdout
    for name in ("german/flips/flips.md", "german/firm/firm.md", "report/comparison.md"):
        assert (out / name).is_file(), name
    leaderboard = (out / "docs" / "leaderboard.md").read_text()
    assert "german" in leaderboard.lower() and str(out / "german" / "firm") in leaderboard
    page = (out / "docs" / "reproduction.md").read_text()
    flips_table = (out / "german" / "flips" / "flips.md").read_text().strip().splitlines()[-1]
    assert flips_table in page and "Not part of this run: `results/adult/flips/flips.md`" in page
    # a second run finds every cell stored and only rebuilds the pages
    dry = subprocess.run(command + ["--dry-run"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert dry.returncode == 0 and ", 0 to compute" in dry.stdout, dry.stdout[-1000:]


def test_the_plans_have_distinct_folders_and_the_beyond_plan_dry_runs(capsys):
    """Every (dataset, folder) belongs to one plan; ``--plan beyond --dry-run`` plans its steps only."""
    from fairbench.cli import main

    folders = [(d, s.name) for p in reproduction.PLANS.values() for s in p.steps for d in s.datasets]
    assert len(folders) == len(set(folders))
    assert main(["reproduce", "--plan", "beyond", "--seeds", "2", "--datasets", "german", "--dry-run",
                 "--no-cache"]) == 0
    out = capsys.readouterr().out
    assert "german/levelling" in out and "german/flips" not in out
    with pytest.raises(SystemExit):
        main(["reproduce", "--plan", "nope", "--dry-run"])
