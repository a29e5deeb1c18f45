"""What a new user meets in the first hour: empty comma lists, `fairbench list` in a terminal, the
end of `compare`'s output, the PyPI name clash, and the API agreeing with the CLI."""
from __future__ import annotations

import argparse
import inspect
import os
import re
import shlex

import pytest

import fairbench
from fairbench.cli import build_parser, main


def run_cli(capsys, *argv):
    try:
        code = main([str(a) for a in argv])
    except SystemExit as exc:  # argparse errors leave through our Parser: one line, exit 2
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


# --- every comma-list option given as an empty string -------------------------------------------

def _subparsers(parser, path=()):
    """(command words, parser) for every command and sub-command."""
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _subparsers(sub, (*path, name))


def comma_list_options():
    found = []
    for path, parser in _subparsers(build_parser()):
        for action in parser._actions:
            if getattr(action.type, "comma_list", False):
                found.append((path, action.option_strings[-1]))
    return found


COMMA_LISTS = comma_list_options()


def test_the_comma_list_options_are_all_found():
    options = {option for _, option in COMMA_LISTS}
    assert options == {"--interventions", "--budgets", "--alphas", "--budget-fractions", "--knowledge"}
    assert (("compare",), "--interventions") in COMMA_LISTS and (("experiment", "knowledge"), "--knowledge") in COMMA_LISTS
    assert len(COMMA_LISTS) >= 14  # compare's two and the experiments'


@pytest.mark.parametrize("path,option", COMMA_LISTS, ids=[" ".join(p) + " " + o for p, o in COMMA_LISTS])
@pytest.mark.parametrize("empty", ["", " , "])
def test_empty_comma_list_is_one_line_error(capsys, tmp_path, path, option, empty):
    code, out, err = run_cli(capsys, *path, option, empty, "--output", tmp_path)
    assert code == 2
    (line,) = err.strip().splitlines()
    assert line.startswith("fairbench: error: argument " + option) and "empty value" in line
    if option == "--interventions":
        assert "valid interventions:" in line and "rb-prob" in line and "threshold-optimizer" in line
    assert not any(tmp_path.iterdir())  # nothing ran


def test_api_refuses_an_empty_intervention_list(tmp_path, registry):
    with pytest.raises(fairbench.errors.UserInputError, match="empty list.*rb-prob"):
        fairbench.compare("toy-small", interventions=[], registry=registry, output=tmp_path, write=False)


def test_other_argparse_errors_are_one_line_too(capsys):
    code, _, err = run_cli(capsys, "compare", "--seeds", "three")
    assert code == 2 and err.startswith("fairbench: error: argument --seeds") and len(err.strip().splitlines()) == 1


# --- fairbench list fits a terminal ---------------------------------------------------------------

def test_list_rows_fit_and_reasons_follow_the_table(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("COLUMNS", "120")
    monkeypatch.delenv("FAIRBENCH_DATA_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    code, out, _ = run_cli(capsys, "list")
    assert code == 0
    datasets = out[out.index("\nDatasets\n"):]
    assert max(len(line) for line in datasets.splitlines()) <= 120
    hsls = next(line for line in datasets.splitlines() if line.startswith("hsls "))
    assert hsls.rstrip().endswith("no (see below)")
    assert re.search(r"^hsls: hsls needs Alghamdi", datasets, re.M)  # the reason, under the table
    assert "fairbench list --dataset NAME" in datasets


def test_list_wraps_reasons_to_a_narrow_terminal(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.delenv("FAIRBENCH_DATA_DIR", raising=False)
    out = run_cli(capsys, "list")[1]
    reasons = out[out.index("\nhsls: "):].splitlines()[1:]
    assert reasons and max(len(line) for line in reasons) <= 80


def test_unavailable_intervention_reason_goes_below(capsys, monkeypatch):
    import fairbench.plugins

    real = fairbench.plugins.Registry.unavailable_reason
    monkeypatch.setattr(fairbench.plugins.Registry, "unavailable_reason",
                        lambda self, iv: "lfr needs jax: pip install jax" if iv.name == "lfr" else real(self, iv))
    out = run_cli(capsys, "list")[1]
    row = next(line for line in out.splitlines() if line.startswith("lfr "))
    assert row.rstrip().endswith("no (see below)")
    assert "\nlfr: lfr needs jax: pip install jax\n" in out


# --- the end of compare's output ------------------------------------------------------------------

def test_compare_ends_with_its_files_and_the_report_command(capsys, tmp_path, monkeypatch):
    out_dir = tmp_path / "my run"
    code, out, err = run_cli(capsys, "compare", "--dataset", "german", "--interventions", "random", "--budgets", "0,5",
                             "--seeds", "1", "--learner", "logreg", "--no-tune", "--quiet", "--output", out_dir)
    assert code == 0, err
    table_end = out.index("cells computed")
    assert out.index("intervention") < table_end  # the per-knob table first
    tail = out[table_end:]
    for name in ("cells.sqlite", "cells.csv", "fronts.csv", "fronts_eqod.png", "flips_sp.png", "fronts.txt"):
        line = next(l for l in tail.splitlines() if l.strip().startswith(str(out_dir / name)))
        assert (out_dir / name).exists() and len(line.split(name, 1)[1].strip()) > 5  # says what it holds
    command = tail.strip().splitlines()[-1].split(": ", 1)[1]
    assert command == shlex.join(["fairbench", "report", str(out_dir), "--output", str(out_dir / "report")])
    code, report_out, err = run_cli(capsys, *shlex.split(command)[1:])  # the printed command works as printed
    assert code == 0, err
    assert (out_dir / "report" / "comparison.md").exists()


# --- the PyPI name clash --------------------------------------------------------------------------

def test_plugins_reports_another_distribution_of_the_fairbench_package(capsys, monkeypatch, tmp_path):
    code, _, err = run_cli(capsys, "plugins")
    assert code == 0 and "also provides the import package" not in err
    info = tmp_path / "FairBench-0.3.9.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: FairBench\nVersion: 0.3.9\n")
    (info / "top_level.txt").write_text("fairbench\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    code, _, err = run_cli(capsys, "plugins")
    assert code == 0
    (line,) = [l for l in err.splitlines() if "also provides" in l]
    assert "FairBench 0.3.9" in line and "'fairbench'" in line and "pip uninstall FairBench" in line


# --- the API agrees with the CLI ------------------------------------------------------------------

def test_compare_has_a_real_signature_with_the_clis_defaults():
    params = inspect.signature(fairbench.compare).parameters
    assert "args" not in params and "kwargs" not in params
    defaults = {name: p.default for name, p in params.items()}
    args = build_parser().parse_args(["compare"])
    assert defaults["dataset"] == args.dataset and defaults["seeds"] == args.seeds
    assert defaults["alpha"] == args.alpha and defaults["learner"] == args.learner
    assert defaults["jobs"] is None and args.jobs is None  # both: every core
    assert defaults["quiet"] is False and args.quiet is False  # both: a progress bar
    assert "every core" in fairbench.compare.__doc__


def test_no_jobs_means_every_core(monkeypatch):
    from fairbench import runner

    monkeypatch.undo()  # conftest pins one worker for in-process tests; the real default is every core
    assert runner.resolve_jobs(None) == runner.resolve_jobs(0) == (os.cpu_count() or 1)
    assert runner.resolve_jobs(3) == 3
    with pytest.raises(fairbench.errors.UserInputError, match="jobs must be"):
        runner.resolve_jobs(-1)


def test_quiet_hides_the_progress_bar(tmp_path, registry, capsys):
    kw = dict(interventions=["random"], budgets=[0, 5], seeds=1, learner="logreg", tune=False, registry=registry,
              write=False)
    fairbench.compare("toy-small", output=tmp_path / "a", **kw)
    assert "100%" in capsys.readouterr().err  # the bar, as the CLI shows it by default
    fairbench.compare("toy-small", output=tmp_path / "b", quiet=True, **kw)
    assert "100%" not in capsys.readouterr().err
