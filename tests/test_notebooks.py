"""The notebooks as files: stored without outputs, exercises with checks and folded answers,
sources named, the static still of the player present, every link to a notebook alive.

(Running them is nbmake's job: `pytest notebooks/` executes each one, and their assertions keep
every number they state true.)
"""

import base64
import glob
import json
import os
import re

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NOTEBOOKS = sorted(glob.glob(os.path.join(ROOT, "notebooks", "0*.ipynb")))


def cells(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)["cells"]


def text(cell):
    return "".join(cell["source"])


def test_the_seven_notebooks_in_their_order():
    names = [os.path.basename(p) for p in NOTEBOOKS]
    assert names == ["01_build_your_own_value.ipynb", "02_backprop_by_hand.ipynb", "03_watching_backprop.ipynb",
                     "04_gradient_graphs.ipynb", "05_training_an_mlp.ipynb", "06_gradient_checking.ipynb",
                     "07_outgrow_to_pytorch.ipynb"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=os.path.basename)
def test_stored_without_outputs(path):
    for cell in cells(path):
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None, text(cell)[:80]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=os.path.basename)
def test_exercises_have_a_check_and_a_folded_answer(path):
    all_cells = cells(path)
    open_answers = [c for c in all_cells if c["cell_type"] == "code" and re.search(r"= \.\.\.\s+# ✎", text(c))]
    checks = [c for c in all_cells if c["cell_type"] == "code" and "check(" in text(c) and "assert check(" not in text(c)]
    answers = [c for c in all_cells if "answer" in c["metadata"].get("tags", [])]
    assert open_answers and checks and answers
    for answer in answers:
        assert answer["metadata"]["jupyter"] == {"source_hidden": True, "outputs_hidden": True}
        assert re.search(r"assert check(_value_class)?\(", text(answer))   # the reference answer passes the check


@pytest.mark.parametrize("path", NOTEBOOKS, ids=os.path.basename)
def test_sources_are_named_not_numbered(path):
    for cell in cells(path):
        assert not re.search(r"tutorial 00\d", text(cell), re.IGNORECASE), text(cell)[:80]


def test_the_player_still_is_an_attached_png():
    [cell] = [c for c in cells(os.path.join(ROOT, "notebooks", "03_watching_backprop.ipynb")) if "attachments" in c]
    assert "attachment:player_w5.png" in text(cell)
    png = base64.b64decode(cell["attachments"]["player_w5.png"]["image/png"])
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) < 200_000


def test_links_to_notebooks_point_at_files():
    pages = [os.path.join(ROOT, "README.md")] + glob.glob(os.path.join(ROOT, "docs", "**", "*.md"), recursive=True)
    linked = 0
    for page in pages:
        with open(page, encoding="utf-8") as f:
            for target in re.findall(r"\]\(([^)\s]*notebooks/[^)\s]*\.ipynb)\)", f.read()):
                linked += 1
                resolved = os.path.normpath(os.path.join(os.path.dirname(page), target))
                assert os.path.exists(resolved), f"{page}: {target}"
    assert linked >= 7
