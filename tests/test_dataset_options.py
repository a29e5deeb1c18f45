"""`--dataset-option KEY=VALUE`: every loader option is reachable from the CLI, listed by
`fairbench list --dataset NAME`, converted to the default's type, and a misspelled key fails
with the list of valid keys."""
from __future__ import annotations

import dataclasses
import functools

import pytest

from fairbench.cli import main
from fairbench.contract import DatasetSpec
from fairbench.dataset_options import loader_options, resolve
from fairbench.datasets.plugin import builtin_specs
from fairbench.errors import UserInputError
from fairbench.plugins import build_registry

BUILTIN = {spec.name: spec for spec in builtin_specs()}
# (dataset, option) for every named parameter of every built-in loader; csv's path is csv:PATH itself
ALL_OPTIONS = [(name, o.name) for name, spec in BUILTIN.items() for o in loader_options(spec)
               if (name, o.name) != ("csv", "path")]


def run_cli(capsys, *argv):
    try:
        code = main([str(a) for a in argv])
    except SystemExit as exc:  # argparse's errors (our Parser: one line, code 2)
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


class Reached(BaseException):  # not an Exception: main() turns those into exit codes
    """Raised by a recording loader: the options got there, nothing needs to load."""


def _value_for(option) -> str:
    default = option.default
    if isinstance(default, bool):
        return "true"
    if isinstance(default, int):
        return "7"
    if isinstance(default, float):
        return "0.25"
    return "some-text"


@pytest.fixture
def recording_registry(monkeypatch):
    """Every built-in dataset with a loader that records its keyword arguments, then stops the run."""
    calls = []

    def recorder(real):
        @functools.wraps(real)  # keeps the signature the options are checked against
        def loader(**options):
            calls.append(options)
            raise Reached()
        return loader

    builtins = build_registry(entry_points=False)
    registry = dataclasses.replace(builtins, datasets={s.name: dataclasses.replace(s, loader=recorder(s.loader))
                                                       for s in builtins.datasets.values()})
    monkeypatch.setattr("fairbench.runner.get_registry", lambda: registry)
    monkeypatch.setattr("fairbench.plugins.get_registry", lambda: registry)
    return calls


def test_every_builtin_option_is_checked_somewhere():
    assert len(ALL_OPTIONS) >= 40  # guards the parametrisation below against silently shrinking
    assert ("acs-employment", "year") in ALL_OPTIONS and ("synthetic-4gmm", "n") in ALL_OPTIONS
    assert ("acs-income", "state") in ALL_OPTIONS and ("acs-employment", "race") in ALL_OPTIONS


@pytest.mark.parametrize("dataset,option", ALL_OPTIONS)
def test_every_builtin_option_reaches_the_loader(dataset, option, recording_registry, tmp_path):
    spec_option = next(o for o in loader_options(BUILTIN[dataset]) if o.name == option)
    value = _value_for(spec_option)
    target = "csv:data.csv" if dataset == "csv" else dataset
    with pytest.raises(Reached):
        main(["compare", "--dataset", target, "--dataset-option", f"{option}={value}", "--output", str(tmp_path)])
    (options,) = recording_registry
    assert option in options
    assert str(options[option]).lower() == value  # converted to the default's type, same value


@pytest.mark.parametrize("dataset", sorted(BUILTIN))
def test_list_dataset_shows_every_option(capsys, dataset):
    code, out, _ = run_cli(capsys, "list", "--dataset", dataset)
    assert code == 0
    assert BUILTIN[dataset].source in out.replace("\n    ", " ")
    table = out.split("Options (--dataset-option KEY=VALUE", 1)[1]
    for option in loader_options(BUILTIN[dataset]):
        assert f"\n  {option.name} " in table, option.name


def test_list_unknown_dataset_lists_the_valid_ones(capsys):
    code, _, err = run_cli(capsys, "list", "--dataset", "adlt")
    assert code == 2 and "unknown dataset 'adlt'" in err and "acs-employment" in err


def test_misspelled_option_lists_the_valid_keys(capsys, tmp_path):
    code, _, err = run_cli(capsys, "compare", "--dataset", "synthetic-4gmm", "--dataset-option", "size=500",
                           "--output", tmp_path)
    assert code == 2
    (line,) = [line for line in err.splitlines() if line.startswith("fairbench: error")]
    assert "no option 'size'" in line
    assert "drop_sensitive, n, minority_fraction, mu, psi, sigma, seed" in line


def test_misspelled_option_in_an_experiment_and_in_the_api(capsys, tmp_path):
    code, _, err = run_cli(capsys, "experiment", "flips", "--dataset", "german", "--dataset-option", "sensitiv=age",
                           "--output", tmp_path)
    assert code == 2 and "no option 'sensitiv'" in err and "sensitive" in err
    import fairbench

    with pytest.raises(UserInputError, match="no option 'encdoe'.*encode"):
        fairbench.load_dataset("adult", encdoe="onehot")


@pytest.mark.parametrize("text", ["n", "=5", ""])
def test_option_without_key_and_value_is_refused(capsys, text):
    code, _, err = run_cli(capsys, "compare", "--dataset-option", text)
    assert code == 2 and "--dataset-option takes KEY=VALUE" in err and len(err.strip().splitlines()) == 1


def test_option_given_twice_or_beside_its_flag_is_refused(capsys, tmp_path):
    code, _, err = run_cli(capsys, "compare", "--dataset", "adult", "--drop-sensitive",
                           "--dataset-option", "drop_sensitive=false", "--output", tmp_path)
    assert code == 2 and "'drop_sensitive' is given by --drop-sensitive and --dataset-option" in err
    code, _, err = run_cli(capsys, "compare", "--dataset", "adult", "--dataset-option", "encode=codes",
                           "--dataset-option", "encode=onehot", "--output", tmp_path)
    assert code == 2 and "'encode' is given by --dataset-option twice" in err
    code, _, err = run_cli(capsys, "compare", "--dataset", "csv:x.csv", "--dataset-option", "path=y.csv",
                           "--output", tmp_path)
    assert code == 2 and "--dataset csv:PATH" in err


def test_text_values_take_the_type_of_the_default():
    spec = BUILTIN["synthetic-4gmm"]
    assert resolve(spec, {"n": "500", "mu": "1.5", "drop_sensitive": "yes", "seed": 3}) == {
        "n": 500, "mu": 1.5, "drop_sensitive": True, "seed": 3}
    assert resolve(BUILTIN["acs-employment"], {"year": "all", "race": "black"}) == {"year": "all", "race": "black"}
    with pytest.raises(UserInputError, match="drop_sensitive='maybe' is not a boolean"):
        resolve(spec, {"drop_sensitive": "maybe"})


def test_a_loader_that_names_no_options_takes_any():
    spec = DatasetSpec(name="free", loader=lambda **options: options, description="", sensitive="", protected="",
                       favourable="", source="")
    assert loader_options(spec) is None
    assert resolve(spec, {"anything": "1"}) == {"anything": "1"}


def test_options_change_what_loads(tmp_path):
    """Real loaders, options from the command line's text: ACS year=all and race=black, synthetic size."""
    from fairbench.runner import load

    assert load("synthetic-4gmm", n="600").n_rows == 600
    one_year = load("acs-employment")
    all_years = load("acs-employment", year="all")
    assert all_years.n_rows > 3 * one_year.n_rows
    black = load("acs-employment", race="black")
    assert black.n_rows < one_year.n_rows  # other races dropped
    assert load("german", sensitive="age").info["stats"] != load("german").info["stats"]


def test_compare_runs_with_a_plugin_datasets_option(capsys, tmp_path):
    """label-bias's loader wants an int n; the CLI's text '400' arrives as 400."""
    pytest.importorskip("fairbench_dataset_example")
    code, out, err = run_cli(capsys, "compare", "--dataset", "label-bias", "--dataset-option", "n=400",
                             "--interventions", "random", "--budgets", "0,5", "--seeds", "1", "--learner", "logreg",
                             "--quiet", "--jobs", "1", "--output", tmp_path)
    assert code == 0, err
    import pandas as pd

    cells = pd.read_csv(tmp_path / "cells.csv")
    assert (cells["status"] == "ok").all()


def test_an_experiments_reproduce_line_passes_a_datasets_own_label_option_back():
    """compas has its own `label` option; the reproduce line must not turn it into csv's --label."""
    from fairbench.cli import build_parser, dataset_options
    from fairbench.experiments._common import RunConfig

    line = RunConfig(dataset="compas", dataset_options={"label": "two_year_recid"}).command("flips", [])
    assert "--dataset-option label=two_year_recid" in line and "--label" not in line.replace("--dataset-option label", "")
    import shlex

    args = build_parser().parse_args(shlex.split(line)[1:])
    assert dataset_options(args)["label"] == "two_year_recid"
