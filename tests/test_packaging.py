"""The package as users get it (issue 24, item 4): `python -m build` makes an sdist and a wheel
(the wheel built from the sdist, so the sdist is complete), `twine check` passes, the metadata
carries the SPDX licence and the version from its one place (`autograd.__version__`), setuptools
warns about nothing, and the wheel installed (not editable) into a fresh venv draws a picture and
saves an explorer page: the JavaScript, CSS and py.typed files are really shipped.

Built without build isolation (the test extra installs setuptools>=77 and build), so no network.
The fresh venv gets dagrad's dependencies from this environment through a .pth file (graphviz)
and PATH (the graphviz-pure program), so nothing is downloaded and it takes a few seconds."""

import os
import subprocess
import sys
import tarfile
import zipfile

import pytest

import autograd
from autograd.render.backend import render_backend

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGES = ("autograd", "nn")


def _run(args, **kwargs):
    result = subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=300, **kwargs)
    assert result.returncode == 0, f"{args} failed:\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def dist(tmp_path_factory):
    out = tmp_path_factory.mktemp("dist")
    built = _run([sys.executable, "-m", "build", "--no-isolation", "--outdir", out, ROOT], cwd=ROOT)
    [wheel] = out.glob("*.whl")
    [sdist] = out.glob("*.tar.gz")
    return wheel, sdist, built.stdout + built.stderr


def test_build_makes_an_sdist_and_a_wheel_of_this_version(dist):
    wheel, sdist, _ = dist
    assert wheel.name == f"dagrad-{autograd.__version__}-py3-none-any.whl"
    assert sdist.name == f"dagrad-{autograd.__version__}.tar.gz"


def test_build_prints_no_setuptools_warning(dist):
    # The old `license = { text = "MIT" }` printed a wall of asterisks on every install.
    log = dist[2]
    assert "Deprecat" not in log and "*****" not in log, log


def test_twine_check_passes(dist):
    wheel, sdist, _ = dist
    result = _run([sys.executable, "-m", "twine", "check", "--strict", wheel, sdist])
    assert result.stdout.count("PASSED") == 2


def test_metadata_names_the_licence_and_the_version(dist):
    wheel, _, _ = dist
    with zipfile.ZipFile(wheel) as archive:
        info = f"dagrad-{autograd.__version__}.dist-info"
        metadata = archive.read(f"{info}/METADATA").decode()
        licence = archive.read(f"{info}/licenses/LICENSE").decode()
    assert f"\nVersion: {autograd.__version__}\n" in metadata
    assert "\nLicense-Expression: MIT\n" in metadata and "\nRequires-Python: >=3.10\n" in metadata
    assert licence.startswith("MIT License") and licence == open(os.path.join(ROOT, "LICENSE"), encoding="utf-8").read()


def _package_files(root):
    found = set()
    for package in PACKAGES:
        for folder, dirs, files in os.walk(os.path.join(root, package)):
            dirs[:] = [d for d in dirs if d != "__pycache__"]
            found |= {os.path.relpath(os.path.join(folder, f), root).replace(os.sep, "/") for f in files
                      if not f.endswith((".pyc", ".pyo"))}
    return found


def test_the_wheel_and_the_sdist_ship_every_file_of_the_packages(dist):
    wheel, sdist, _ = dist
    expected = _package_files(ROOT)
    assert {"autograd/explorer/explorer.js", "autograd/explorer/explorer.css", "autograd/py.typed"} <= expected
    with zipfile.ZipFile(wheel) as archive:
        in_wheel = {name for name in archive.namelist() if name.split("/")[0] in PACKAGES}
    with tarfile.open(sdist) as archive:
        prefix = f"dagrad-{autograd.__version__}/"
        in_sdist = {m.name[len(prefix):] for m in archive.getmembers() if m.isfile()}
    assert in_wheel == expected
    assert expected | {"LICENSE", "README.md", "pyproject.toml"} <= in_sdist


INSTALLED_CHECK = """
import os, sys
import autograd, nn
from autograd import Value, explore, render
assert autograd.__file__.startswith(sys.prefix), autograd.__file__   # the wheel, not the source tree
x, w = Value(2.0, label="x"), Value(-3.0, label="w")
y = (x * w + 1).tanh(); y.label = "y"
y.backward()
explore(y).save_html("page.html")
render(y, "graph.svg")
page = open("page.html", encoding="utf-8").read()
svg = open("graph.svg", encoding="utf-8").read()
model = nn.MLP(2, [3, 1], seed=0)
model.save("model.json")
assert nn.load("model.json").state_dict() == model.state_dict()
print(autograd.__version__, len(page), svg.count("<g id=\\"node"), autograd.render_backend().split()[0])
"""


def test_the_installed_wheel_draws_and_saves_an_explorer_page(dist, tmp_path):
    wheel, _, _ = dist
    # Nothing of the source tree may leak in (with PYTHONPATH set, pip would even find the tree's
    # dagrad.egg-info and call dagrad installed already).
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "DAGRAD_DOT", "VIRTUAL_ENV")}
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", venv], env=env)
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    _run([python, "-m", "pip", "install", "--no-deps", "--no-index", "--disable-pip-version-check", wheel], env=env)
    # dagrad's dependencies from this environment: graphviz (a module), graphviz-pure (a program)
    import graphviz

    site = _run([python, "-I", "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], env=env).stdout.strip()
    with open(os.path.join(site, "_dagrad_test_deps.pth"), "w") as pth:
        pth.write(os.path.dirname(os.path.dirname(graphviz.__file__)) + "\n")
    program = render_backend().split("(")[-1].rstrip(")")
    env["PATH"] = os.path.dirname(program) + os.pathsep + env.get("PATH", "")
    work = tmp_path / "work"
    work.mkdir()
    result = _run([python, "-I", "-c", INSTALLED_CHECK], cwd=work, env=env)
    version, page_size, nodes, backend = result.stdout.split()
    assert version == autograd.__version__
    x, w = autograd.Value(2.0, label="x"), autograd.Value(-3.0, label="w")
    y = (x * w + 1).tanh()
    y.label = "y"
    y.backward()
    assert int(nodes) == autograd.to_svg(y).count('<g id="node') >= 5  # the same picture as the source tree's
    assert backend in ("dot", "graphviz-pure")
    # the page inlines the explorer's shipped JS and CSS (no network request allowed)
    explorer_js = open(os.path.join(ROOT, "autograd", "explorer", "explorer.js"), encoding="utf-8").read()
    page = (work / "page.html").read_text(encoding="utf-8")
    assert explorer_js.strip()[:200] in page and int(page_size) == len(page)
    assert (venv / os.path.relpath(site, str(venv)) / "autograd" / "py.typed").exists()
