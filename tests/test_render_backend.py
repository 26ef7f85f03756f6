"""Which program draws: DAGRAD_DOT, else the system dot, else the pip-installed graphviz-pure;
formats from file extensions; errors that name the user's file and what to install."""

import importlib
import os
import shutil
import subprocess
import sys
import textwrap
import time
import xml.etree.ElementTree as ET

import pytest

import autograd
import nn
from autograd import Value, render, to_dot
from autograd.render import GraphvizNotFoundError
from autograd.render import backend as backend_module

SVG = "{http://www.w3.org/2000/svg}"
PURE = next(iter(backend_module._pip_candidates()), None)


@pytest.fixture(autouse=True)
def fresh_cache(monkeypatch):
    monkeypatch.setattr(backend_module, "_cache", {})


@pytest.fixture
def pure():
    """graphviz-pure's path; it is a dependency of dagrad, so in CI it must be there."""
    if PURE is None:
        if os.environ.get("CI"):
            pytest.fail("graphviz-pure is not installed next to Python nor on PATH")
        pytest.skip("graphviz-pure is not installed (pip install graphviz-pure)")
    return PURE


def without_system_dot(monkeypatch, tmp_path):
    """PATH without any `dot` (as /work/shared/tools/without-dot does), and no DAGRAD_DOT."""
    empty = tmp_path / "path-without-dot"
    empty.mkdir(exist_ok=True)
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.delenv("DAGRAD_DOT", raising=False)


def fake_dot(tmp_path, name, *, version="9.9.9", formats="svg png", exit_code=0, stderr=""):
    """A stand-in program that answers -V and -T? like dot and prints a fixed SVG."""
    if os.name == "nt":
        pytest.skip("the stand-in dot is a POSIX shell script")
    path = tmp_path / name
    path.write_text(textwrap.dedent(f"""\
        #!/bin/sh
        case "$1" in
          -V) echo "{name} - graphviz version {version} (0)" >&2; exit 0;;
          '-T?') echo 'Format: "?" not recognized. Use one of: {formats}' >&2; exit 1;;
        esac
        cat > /dev/null
        if [ {exit_code} -ne 0 ]; then echo "{stderr}" >&2; exit {exit_code}; fi
        echo '<svg xmlns="http://www.w3.org/2000/svg"><text>drawn by {name}</text></svg>'
        """))
    path.chmod(0o755)
    return str(path)


def neuron():
    x1, w1 = Value(2.0, label="x1"), Value(-3.0, label="w1")
    out = (x1 * w1 + 1).tanh()
    out.label = "out"
    out.backward()
    return out


# -- the order ------------------------------------------------------------------------------------


def test_without_system_dot_the_pip_program_is_used_even_off_path(monkeypatch, tmp_path, pure):
    without_system_dot(monkeypatch, tmp_path)  # the venv's bin is not on PATH, as in a Jupyter kernel
    described = autograd.render_backend()
    assert described.startswith("graphviz-pure ") and described.endswith(f"({pure})")
    version = described.split()[1]
    assert version[0].isdigit() and version.count(".") >= 1
    svg = ET.parse(render(neuron(), tmp_path / "n.svg")).getroot()
    assert "out" in [t.text for t in svg.iter(f"{SVG}text")]


def test_system_dot_comes_before_the_pip_program(monkeypatch, tmp_path):
    without_system_dot(monkeypatch, tmp_path)
    fake_dot(tmp_path / "path-without-dot", "dot", version="2.43.0")
    assert autograd.render_backend() == f"dot 2.43.0 ({tmp_path / 'path-without-dot' / 'dot'})"
    assert "drawn by dot" in autograd.to_svg(neuron())


def test_dagrad_dot_comes_first(monkeypatch, tmp_path):
    without_system_dot(monkeypatch, tmp_path)
    fake_dot(tmp_path / "path-without-dot", "dot")
    mine = fake_dot(tmp_path, "my-dot", version="1.2.3")
    monkeypatch.setenv("DAGRAD_DOT", mine)
    assert autograd.render_backend() == f"my-dot 1.2.3 ({mine})"
    assert "drawn by my-dot" in autograd.to_svg(neuron())


def test_dagrad_dot_that_cannot_run_is_an_error_not_a_fallback(monkeypatch, tmp_path):
    monkeypatch.setenv("DAGRAD_DOT", str(tmp_path / "no-such-dot"))
    with pytest.raises(GraphvizNotFoundError, match=r"render_backend: DAGRAD_DOT='.*no-such-dot' is not a program .*not found.*pip install graphviz-pure"):
        autograd.render_backend()


def test_a_dot_that_does_not_answer_V_is_skipped(monkeypatch, tmp_path, pure):
    without_system_dot(monkeypatch, tmp_path)
    broken = tmp_path / "path-without-dot" / "dot"
    broken.write_text("#!/bin/sh\nexit 3\n")
    broken.chmod(0o755)
    assert autograd.render_backend().startswith("graphviz-pure ")


def test_no_program_at_all_names_every_way_to_install_one(monkeypatch, tmp_path):
    without_system_dot(monkeypatch, tmp_path)
    empty = str(tmp_path / "path-without-dot")
    monkeypatch.setattr(backend_module.sys, "executable", os.path.join(empty, "python"))
    monkeypatch.setattr(backend_module.sysconfig, "get_path", lambda *args, **kwargs: empty)
    with pytest.raises(GraphvizNotFoundError) as caught:
        autograd.render_backend()
    message = str(caught.value)
    for way in ("pip install graphviz-pure", "apt-get install graphviz", "brew install graphviz",
                "conda install graphviz", "DAGRAD_DOT", "autograd.to_dot"):
        assert way in message


def test_the_backend_is_probed_once(monkeypatch, tmp_path):
    without_system_dot(monkeypatch, tmp_path)
    fake_dot(tmp_path / "path-without-dot", "dot")
    calls = []
    real_call = backend_module._call
    monkeypatch.setattr(backend_module, "_call", lambda args, *rest: calls.append(args[1]) or real_call(args, *rest))
    for _ in range(3):
        autograd.to_svg(neuron())
    assert calls == ["-V", "-T?", "-Tsvg", "-Tsvg", "-Tsvg"]


# -- formats ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, magic",
    [("g.svg", b"<?xml"), ("G.PNG", b"\x89PNG\r\n\x1a\n"), ("g.jpg", b"\xff\xd8\xff"), ("g.jpeg", b"\xff\xd8\xff"), ("g.dot", b"digraph")],
)
def test_the_format_comes_from_the_extension(tmp_path, pure, monkeypatch, name, magic):
    monkeypatch.setenv("DAGRAD_DOT", pure)
    path = render(neuron(), tmp_path / name)
    with open(path, "rb") as f:
        assert f.read(len(magic)) == magic


def test_format_overrides_the_extension(tmp_path, pure, monkeypatch):
    monkeypatch.setenv("DAGRAD_DOT", pure)
    path = render(neuron(), tmp_path / "picture.txt", format="png")
    assert open(path, "rb").read(4) == b"\x89PNG"
    path = render(neuron(), tmp_path / "picture.svg", format="dot")
    assert open(path, encoding="utf-8").read() == to_dot(neuron())


def test_unknown_extension_names_the_file_and_the_formats(tmp_path):
    target = tmp_path / "graph.gif"
    with pytest.raises(ValueError) as caught:
        render(neuron(), target)
    message = str(caught.value)
    assert message.startswith(f"render {target}: cannot tell the format from the extension '.gif'")
    for extension in (".svg", ".png", ".pdf", ".jpg", ".dot"):
        assert extension in message
    with pytest.raises(ValueError, match=r"extension '\(none\)'"):
        render(neuron(), tmp_path / "graph")
    assert os.listdir(tmp_path) == []


def test_pdf_with_graphviz_pure_is_a_clear_error(tmp_path, pure, monkeypatch):
    monkeypatch.setenv("DAGRAD_DOT", pure)
    target = tmp_path / "graph.pdf"
    with pytest.raises(ValueError, match=rf"render {target}: graphviz-pure cannot write 'pdf'; it writes svg, png, jpeg, dot \(for pdf install Graphviz"):
        render(neuron(), target)
    assert os.listdir(tmp_path) == []


def test_a_failing_program_is_reported_with_the_users_path(monkeypatch, tmp_path):
    broken = fake_dot(tmp_path, "flaky-dot", exit_code=2, stderr="Error: something broke")
    monkeypatch.setenv("DAGRAD_DOT", broken)
    target = tmp_path / "out" / "graph.svg"
    with pytest.raises(RuntimeError) as caught:
        render(neuron(), target)
    assert str(caught.value) == f"render {target}: flaky-dot 9.9.9 failed: Error: something broke"
    assert ".tmp" not in str(caught.value)
    assert not target.exists()


# -- every label renders, with every program we have ------------------------------------------------


def programs():
    found = [p for p in [shutil.which("dot"), PURE] if p]
    return found or [None]


@pytest.mark.parametrize("program", programs())
@pytest.mark.parametrize("label", ["]", "]]", "[x]", "a]]>b", "<&>", "\\N", "line1\nline2"])
def test_labels_that_broke_graphviz_243_render(monkeypatch, tmp_path, program, label):
    if program is None:
        pytest.fail("no dot program at all: graphviz-pure is a dependency")
    monkeypatch.setenv("DAGRAD_DOT", program)
    svg = ET.fromstring(autograd.to_svg(Value(1.0, label=label) * 2))
    texts = "".join(t.text or "" for t in svg.iter(f"{SVG}text"))
    assert "".join(label.split()) in "".join(texts.split())


@pytest.mark.parametrize("program", programs())
def test_an_overlong_label_is_shortened_in_the_picture_only(monkeypatch, program):
    if program is None:
        pytest.fail("no dot program at all: graphviz-pure is a dependency")
    monkeypatch.setenv("DAGRAD_DOT", program)
    label = "x" * 20_000  # Graphviz fails on labels over about 16 KB
    v = Value(1.0, label=label)
    svg = ET.fromstring(autograd.to_svg(v * 2))
    texts = [t.text or "" for t in svg.iter(f"{SVG}text")]
    shown = [t for t in texts if t.startswith("xxx")]
    assert len(shown) == 1 and shown[0] == "x" * 199 + "…"  # 200 characters
    assert v.label == label  # the Value keeps its whole label


# -- speed and lightness ----------------------------------------------------------------------------


def test_collapsed_mlp_renders_fast_with_about_one_box_per_neuron(monkeypatch, tmp_path, pure):
    without_system_dot(monkeypatch, tmp_path)
    model = nn.MLP(2, [16, 16, 1], seed=0)
    loss = (1 - model([0.5, -0.3])).relu()
    loss.backward()
    started = time.perf_counter()
    svg = ET.fromstring(autograd.to_svg(loss, collapse="neuron"))
    seconds = time.perf_counter() - started
    nodes = [g for g in svg.iter(f"{SVG}g") if g.get("class") == "node"]
    # 33 neurons (the float inputs are constants inside them) + the loss's constant 1, the
    # values 1 - y and relu(1 - y) and their two op circles, and the legend of the edges' colours
    assert len(nodes) == 33 + 3 + 2 + 1
    assert seconds < 2.0, f"collapse='neuron' took {seconds:.2f} s"


def test_import_autograd_starts_no_program_and_imports_no_graphviz():
    code = "import sys, autograd; print('subprocess' in sys.modules, 'graphviz' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "False"]


def test_draw_dot_and_its_jupyter_display_use_the_backend_too(monkeypatch, tmp_path, pure):
    without_system_dot(monkeypatch, tmp_path)  # graphviz's own Digraph would look for `dot` on PATH
    g = autograd.draw_dot(neuron(), collapse=None, color="grad")
    svg = ET.fromstring(g._repr_mimebundle_()["image/svg+xml"])
    assert "out" in [t.text for t in svg.iter(f"{SVG}text")]
    assert g.pipe(format="png")[:4] == b"\x89PNG"
    written = g.render(tmp_path / "picture", format="svg")  # graphviz's API: the source, then picture.svg
    assert written == str(tmp_path / "picture.svg") and ET.parse(written).getroot().tag == f"{SVG}svg"
    assert (tmp_path / "picture").read_text(encoding="utf-8") == g.source


# -- programs that misbehave --------------------------------------------------------------------------


def script_dot(tmp_path, name, *, on_V='echo "dot - graphviz version 9.9.9 (0)" >&2; exit 0', draw):
    """A stand-in dot whose answer to -V and to -T<format> are the given shell commands."""
    if os.name == "nt":
        pytest.skip("the stand-in dot is a POSIX shell script")
    path = tmp_path / name
    path.write_text(textwrap.dedent(f"""\
        #!/bin/sh
        PATH=/usr/bin:/bin
        case "$1" in
          -V) {on_V};;
          '-T?') echo 'Format: "?" not recognized. Use one of: svg png' >&2; exit 1;;
        esac
        cat > /dev/null
        {draw}
        """))
    path.chmod(0o755)
    return str(path)


def alive(pid: int) -> bool:
    """Whether process `pid` still runs (a zombie waiting for its reaper does not count)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            return "\nState:\tZ" not in f.read()
    except FileNotFoundError:
        return False


def test_a_program_printing_bytes_that_are_not_utf8_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setenv("DAGRAD_DOT", script_dot(tmp_path, "latin-dot", draw=r"printf '\377\376<svg>caf\351</svg>'"))
    target = tmp_path / "g.svg"
    message = r"latin-dot 9.9.9 \(.*latin-dot\) printed SVG that is not UTF-8 text \(byte 0xff at position 0\); is it a dot program\?"
    with pytest.raises(RuntimeError, match="render .*g.svg: " + message):
        render(neuron(), target)
    assert not target.exists()  # nothing written unchecked
    with pytest.raises(RuntimeError, match="to_svg: " + message):
        autograd.to_svg(neuron())
    with pytest.raises(RuntimeError, match="explore: " + message):
        autograd.explore(neuron())
    with pytest.raises(RuntimeError, match=r"render .*g.png: latin-dot .* printed something that is not a png picture \(it starts b'\\xff\\xfe<svg>"):
        render(neuron(), tmp_path / "g.png")
    assert os.listdir(tmp_path) == ["latin-dot"]


def test_a_timed_out_program_is_stopped_with_every_process_it_started(monkeypatch, tmp_path):
    pids = tmp_path / "pids"
    slow = script_dot(tmp_path, "slow-dot", draw=f"sleep 30 & echo $! > {pids}; echo $$ >> {pids}; wait")
    monkeypatch.setenv("DAGRAD_DOT", slow)
    start = time.monotonic()
    with pytest.raises(TimeoutError, match=r"render .*g.svg: slow-dot took longer than 0.5 s to lay out the graph \(stopped\); "
                                           r"draw less .* or pass a larger timeout= to render \(it was 0.5 s\)") as caught:
        render(neuron(), tmp_path / "g.svg", timeout=0.5)
    assert "collapse" not in str(caught.value)   # no nn neurons here: collapsing would not help
    assert time.monotonic() - start < 10
    child, shell = (int(line) for line in pids.read_text().split())
    deadline = time.monotonic() + 5
    while (alive(child) or alive(shell)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(child) and not alive(shell)   # the program's own child was stopped too
    assert sorted(os.listdir(tmp_path)) == ["pids", "slow-dot"]   # no file, no temporary file


def test_timeout_advice_names_only_what_the_caller_has(monkeypatch, tmp_path):
    monkeypatch.setenv("DAGRAD_DOT", script_dot(tmp_path, "slow-dot", draw="sleep 30"))
    loss = (nn.MLP(2, [3, 1], seed=0)([0.5, -0.3]) - 1.0) ** 2
    with pytest.raises(TimeoutError, match=r"pass a larger timeout= to explore \(it was 0.5 s\), or show less: "
                                           r"explore\(root, around=some_value, depth=1\)$"):
        autograd.explore(neuron(), timeout=0.5)
    with pytest.raises(TimeoutError, match=r"explore\(root, around=some_value, depth=1\), or one box per nn neuron: "
                                           r'explore\(root, collapse="neuron"\)$'):
        autograd.explore(loss, timeout=0.5)
    with pytest.raises(TimeoutError, match=r'pass a larger timeout= to explore \(it was 0.5 s\), or fewer boxes: collapse="layer"'):
        autograd.explore(loss, collapse="neuron", timeout=0.5)
    with pytest.raises(TimeoutError, match=r"or collapse='neuron' \(one box per nn neuron\)\) or pass a larger timeout= to draw_dot"):
        autograd.draw_dot(loss, timeout=0.5).pipe(format="svg")
    pictures = importlib.import_module("autograd.render")  # the package attribute `render` is the function
    monkeypatch.setattr(pictures, "DISPLAY_TIMEOUT", 0.5)
    note = pictures.repr_mimebundle(loss)["text/plain"]
    assert note.endswith("(graph not drawn: TimeoutError: display: slow-dot took longer than 0.5 s to lay out the graph (stopped); "
                         "draw it with autograd.to_svg(value, timeout=120) or autograd.draw_dot(value, collapse='neuron') (one box per nn neuron))")


def test_a_program_that_hangs_on_V_is_reported_as_a_timeout(monkeypatch, tmp_path):
    monkeypatch.setattr(backend_module, "PROBE_TIMEOUT", 0.5)
    monkeypatch.setenv("DAGRAD_DOT", script_dot(tmp_path, "stuck-dot", on_V="sleep 30", draw="exit 1"))
    with pytest.raises(TimeoutError, match=r"to_svg: DAGRAD_DOT='.*stuck-dot' \(.*\) did not answer '-V' within 0.5 s \(stopped\)"):
        autograd.to_svg(neuron())
    without_system_dot(monkeypatch, tmp_path)
    script_dot(tmp_path / "path-without-dot", "dot", on_V="sleep 30", draw="exit 1")
    monkeypatch.setattr(backend_module, "_pip_candidates", lambda: [])
    with pytest.raises(GraphvizNotFoundError, match=r"\(.*path-without-dot/dot did not answer '-V' within 0.5 s\)"):
        autograd.to_svg(neuron())
