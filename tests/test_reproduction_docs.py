"""docs/reproduction.md and docs/leaderboard.md stay what the committed results and commands say."""
from __future__ import annotations

import importlib.util
import itertools
import re
from pathlib import Path

import pytest

from fairbench.report import leaderboard_markdown

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "reproduction.md"
LEADERBOARD = ROOT / "docs" / "leaderboard.md"


def _builder():
    spec = importlib.util.spec_from_file_location("build_reproduction", ROOT / "scripts" / "build_reproduction.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_page_is_the_template_filled_with_the_committed_tables():
    assert _builder().main(["--check"]) == 0, "docs/reproduction.md is stale: run python scripts/build_reproduction.py"


def test_template_has_no_unfilled_placeholder():
    template = (ROOT / "docs" / "templates" / "reproduction.md").read_text()
    prose = "\n".join(line for line in template.splitlines() if not line.startswith("    "))  # code blocks out
    prose = re.sub(r"`[^`]*`", "", prose)  # inline code (environment variables) out
    assert not re.findall(r"\b[A-Z]+(?:_[A-Z]+)+\b", prose)


def test_every_included_table_names_the_command_in_its_folder():
    template = (ROOT / "docs" / "templates" / "reproduction.md").read_text()
    included = re.findall(r"<!-- include (\S+) -->", template)
    assert len(included) >= 15
    for path in included:
        folder = (ROOT / path).parent
        command = (folder / "COMMAND.txt").read_text().strip()
        assert command in (ROOT / path).read_text(), path
        assert command in PAGE.read_text(), path


def test_every_image_on_the_page_exists():
    for link in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", PAGE.read_text()):
        assert (PAGE.parent / link).resolve().is_file(), link


def test_builder_demotes_headings_and_rejects_a_missing_file(tmp_path):
    from fairbench.errors import UserInputError
    from fairbench.reproduction_page import build

    (tmp_path / "r.md").write_text("# title\n\nProduced by\n\n    cmd\n\n| a |\n|---|\n| 1 |\n")
    page = build("## section\n<!-- include r.md -->\ntext", tmp_path)
    assert "#### title" in page and "## section" in page and "| 1 |" in page and page.endswith("text\n")
    with pytest.raises(UserInputError, match="missing.md"):
        build("<!-- include missing.md -->", tmp_path)
    assert "Not part of this run: `missing.md`" in build("<!-- include missing.md -->", tmp_path, missing_ok=True)


def test_builder_reads_the_results_of_another_root(tmp_path):
    from fairbench.reproduction_page import build

    (tmp_path / "elsewhere" / "adult").mkdir(parents=True)
    (tmp_path / "elsewhere" / "adult" / "t.md").write_text("| b |\n|---|\n| 2 |\n")
    page = build("<!-- include results/adult/t.md -->", tmp_path, results=tmp_path / "elsewhere")
    assert "| 2 |" in page


def test_leaderboard_is_what_fairbench_report_writes(monkeypatch):
    page = LEADERBOARD.read_text()
    command = re.search(r"^    (fairbench report .+)$", page, re.M).group(1)
    words = command.split()
    dirs = list(itertools.takewhile(lambda word: not word.startswith("--"), words[2:]))
    monkeypatch.chdir(ROOT)
    assert all(Path(d).is_dir() for d in dirs), command
    assert leaderboard_markdown(dirs, command=command) == page


def test_the_beyond_page_includes_every_folder_of_the_beyond_plan():
    from fairbench.reproduction import BEYOND_STEPS
    from fairbench.reproduction_page import BEYOND, includes

    template = (ROOT / BEYOND.template).read_text()
    expected = [f"results/{d}/{s.name}/{s.experiment}.md" for s in BEYOND_STEPS for d in s.datasets]
    assert includes(template) == expected
    prose = re.sub(r"`[^`]*`", "", "\n".join(line for line in template.splitlines() if not line.startswith("    ")))
    assert not re.findall(r"\b[A-Z]+(?:_[A-Z]+)+\b", prose)


def test_the_beyond_page_is_the_template_filled_with_the_committed_tables():
    """Every committed beyond-plan table is on the page; one not committed yet is named there."""
    from fairbench.reproduction_page import BEYOND, includes

    page = (ROOT / BEYOND.page).read_text()
    for path in includes((ROOT / BEYOND.template).read_text()):
        if (ROOT / path).is_file():
            assert (ROOT / path).read_text().strip().splitlines()[-1] in page, path
        else:
            assert f"`{path}` was not produced" in page, path
    for link in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", page):
        assert (ROOT / BEYOND.page).parent.joinpath(link).resolve().is_file(), link
    assert _builder().main(["--page", "beyond", "--check"]) == 0, \
        "docs/beyond-the-paper.md is stale: run python scripts/build_reproduction.py --page beyond"


def test_the_builder_names_its_page_in_the_first_line(tmp_path):
    from fairbench.reproduction_page import BEYOND, REPRODUCTION, build

    generated = REPRODUCTION.generated
    assert build("x", tmp_path).startswith(generated) and "--page" not in generated
    assert build("x", tmp_path, page=BEYOND).startswith(
        "<!-- generated by `python scripts/build_reproduction.py --page beyond` from docs/templates/beyond-the-paper.md")


def test_a_partial_page_leaves_out_the_figures_of_results_not_produced(tmp_path):
    from fairbench.reproduction_page import BEYOND, build

    (tmp_path / "results" / "a").mkdir(parents=True)
    (tmp_path / "results" / "a" / "here.png").write_bytes(b"png")
    template = "![here](../results/a/here.png)\n![gone](../results/b/gone.png)\n<!-- include results/b/gone.md -->"
    page = build(template, tmp_path, page=BEYOND, missing_ok=True)
    assert "here.png" in page and "gone.png" not in page and "`results/b/gone.md` was not produced" in page
    assert "gone.png" in build(template, tmp_path, missing_ok=True)  # a complete page keeps every line
