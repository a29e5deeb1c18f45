"""Comma-separated command-line values."""
import argparse

import pytest

from fairbench.argtypes import names, number_list
from fairbench.cli import main


def test_names_drop_blanks_and_spaces():
    assert names(" rb-prob, ,random,") == ["rb-prob", "random"]


def test_number_list_converts_and_names_the_bad_item():
    floats = number_list(float, "expected numbers separated by commas")
    assert floats("0.1, 1,") == [0.1, 1.0]
    with pytest.raises(argparse.ArgumentTypeError, match=r"expected numbers separated by commas, got 'x'"):
        floats("0.1,x")


def test_experiment_rejects_a_non_number_alpha_in_one_line(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["experiment", "alpha", "--alphas", "0.1,half"])
    assert exit_.value.code == 2
    assert "expected numbers separated by commas, got 'half'" in capsys.readouterr().err
