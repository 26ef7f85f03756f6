"""The README and the documentation site show the real API: every ```python block of README.md
and of every page under docs/ runs as written; every ```py block (the PyTorch examples) runs
when PyTorch is installed (always in CI). A block not meant to run says what it is instead
(```text, ```sh, ```pycon): an unmarked fence is an error, so no example escapes by accident."""

import glob
import os
import re

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PAGES = [os.path.join(ROOT, "README.md")] + sorted(glob.glob(os.path.join(ROOT, "docs", "**", "*.md"), recursive=True))
FENCE = re.compile(r"^( *)```(\S*)[^\n]*\n(.*?)^\1```", flags=re.S | re.M)
NOT_RUN = {"text", "sh", "bash", "console", "pycon", "yaml", "toml", "json", "html", "dot"}


def _blocks(language):
    found = []
    for page in PAGES:
        text = open(page, encoding="utf-8").read()
        for match in FENCE.finditer(text):
            if match.group(2) == language:
                line = text.count("\n", 0, match.start()) + 1
                source = "\n" * line + re.sub(rf"(?m)^{match.group(1)}", "", match.group(3))
                found.append(pytest.param(page, source, id=f"{os.path.relpath(page, ROOT)}:{line}"))
    return found


PYTHON_BLOCKS = _blocks("python")
TORCH_BLOCKS = _blocks("py")


def _run(page, source, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # blocks may write files (pictures, models)
    exec(compile(source, page, "exec"), {"__name__": "docs"})  # line numbers are the page's


def test_the_pages_have_examples():
    assert len(PAGES) >= 15
    assert len(PYTHON_BLOCKS) >= 20 and len(TORCH_BLOCKS) >= 2


@pytest.mark.parametrize("page, source", PYTHON_BLOCKS)
def test_python_block_runs(page, source, tmp_path, monkeypatch):
    _run(page, source, tmp_path, monkeypatch)


@pytest.mark.parametrize("page, source", TORCH_BLOCKS)
def test_pytorch_block_runs(torch, page, source, tmp_path, monkeypatch):
    _run(page, source, tmp_path, monkeypatch)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: os.path.relpath(p, ROOT))
def test_every_fence_says_whether_it_runs(page):
    languages = [m.group(2) for m in FENCE.finditer(open(page, encoding="utf-8").read())]
    unmarked = [lang for lang in languages if lang not in NOT_RUN | {"python", "py"}]
    assert not unmarked, f"{page}: fences without a known language {unmarked}; use python, py, or one of {sorted(NOT_RUN)}"


def test_pickle_is_documented_with_its_warning():
    # issue 21 item 23: wherever pickling is documented, say that unpickling untrusted data runs code
    mentioning = [p for p in PAGES if re.search(r"\bpickl", open(p, encoding="utf-8").read())]
    assert mentioning
    for page in mentioning:
        text = open(page, encoding="utf-8").read()
        assert "untrusted" in text and "nn.load" in text, page


def test_the_mlp_graph_size_is_stated_truly():
    # issue 21 item 24: one figure for MLP(2, [16, 16, 1])'s loss on one sample, as explore counts it
    import nn
    from autograd import explore, topological_order
    from autograd.explorer import GraphTooLargeError

    model = nn.MLP(2, [16, 16, 1], seed=0)
    loss = (model([0.5, -0.3]) - 1.0) ** 2
    nodes = topological_order(loss)
    params = {id(p) for p in model.parameters()}
    counts = (len(nodes), len(params), sum(1 for v in nodes if v.parents),
              sum(1 for v in nodes if not v.parents and id(v) not in params))
    assert counts == (471, 337, 100, 34)
    with pytest.raises(GraphTooLargeError, match="471 values and 100 ops"):
        explore(loss)
    pictures = open(os.path.join(ROOT, "docs", "guides", "pictures.md"), encoding="utf-8").read()
    assert "has 471\nvalues (337 parameters, 100 op results and 34 constants) and 100 ops" in pictures
    everything = "".join(open(p, encoding="utf-8").read() for p in PAGES)
    assert "1,000 values" not in everything
    neurons = explore(loss, collapse="neuron")
    kinds = [node["kind"] for node in neurons.data["nodes"]]
    assert (len(kinds), kinds.count("neuron"), len(neurons.frames)) == (37, 33, 346)
    explorer = open(os.path.join(ROOT, "docs", "guides", "explorer.md"), encoding="utf-8").read()
    assert "471 values, 37 boxes (33 neurons;" in explorer and "346 frames" in explorer


def _api_references():
    for page in sorted(glob.glob(os.path.join(ROOT, "docs", "api", "*.md"))):
        text = open(page, encoding="utf-8").read()
        for match in re.finditer(r"^::: (\S+)\n((?:    .*\n)*)", text, flags=re.M):
            members = re.search(r"members: \[(.*)\]", match.group(2))
            names = [m.strip() for m in members.group(1).split(",")] if members else []
            yield pytest.param(match.group(1), names, id=f"{os.path.basename(page)}:{match.group(1)}")


@pytest.mark.parametrize("target, members", list(_api_references()))
def test_api_reference_names_exist(target, members):
    # The API pages name what mkdocstrings documents; a renamed or moved object fails `make docs`
    # (strict), and fails here first, without mkdocs installed.
    import importlib

    parts = target.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attr in parts[cut:]:
            obj = getattr(obj, attr)
        break
    missing = [name for name in members if not hasattr(obj, name)]
    assert not missing, f"{target} has no {missing}"


def test_the_readmes_links_lead_somewhere():
    # The docs pages' links are checked by the strict site build; the README is not part of the
    # site, so its relative links (docs pages, notebooks, pictures, source files) are checked here.
    readme = open(PAGES[0], encoding="utf-8").read()
    targets = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", readme)
    local = [t for t in targets if not re.match(r"[a-z]+:", t)]
    assert len(local) >= 20
    missing = [t for t in local if not os.path.exists(os.path.join(ROOT, t))]
    assert not missing, f"README.md links to missing files: {missing}"
