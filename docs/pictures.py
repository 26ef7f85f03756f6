"""Regenerate every picture the README and the docs site show: `make docs` (or `.venv/bin/python docs/pictures.py`
once dagrad, graphviz-pure and matplotlib are installed; no system Graphviz needed).

- the graph pictures (SVG, drawn by `autograd.render`);
- demo_decision_boundary.png: the demo's trained model (`nn.demo`, drawn with matplotlib);
- explorer.png: the step-through explorer's page at the step that gives dE/dw5, a screenshot by
  headless Chromium (/usr/bin/chromium or `chromium` on the PATH); without Chromium it is
  skipped with a note saying so, and the picture already in docs/ is kept;
- live_training.png: the training view's replay page of make demo's network (`fit(live=True)`),
  the same way.
"""

import os
import shutil
import subprocess
import sys
import tempfile

import autograd
from autograd import Value, write_atomically

import nn

HERE = os.path.dirname(os.path.abspath(__file__))


def neuron():
    """micrograd's classic neuron: tanh(x1*w1 + x2*w2 + b), after backward."""
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    n = x1 * w1 + x2 * w2 + b
    n.label = "n"
    out = n.tanh()
    out.label = "out"
    out.backward()
    return out, w1


def two_layers():
    """Two tiny layers with dotted parameter labels, as nn names them, for clusters."""
    x = [Value(0.5, label="x0"), Value(-1.0, label="x1")]
    hidden = []
    for j in range(2):
        w = [Value(0.3 * (i + 1) - 0.2 * j, label=f"layer0.neuron{j}.w{i}") for i in range(2)]
        b = Value(0.1, label=f"layer0.neuron{j}.b")
        hidden.append((autograd.dot(w, x) + b).tanh())
    v = [Value(0.7, label="layer1.neuron0.w0"), Value(-0.4, label="layer1.neuron0.w1")]
    out = autograd.dot(v, hidden) + Value(0.2, label="layer1.neuron0.b")
    out.label = "out"
    out.backward()
    return out


def mlp():
    """An nn.MLP(2, [6, 6, 1]) with relu, its hinge loss on one sample of class -1, after backward."""
    model = nn.MLP(2, [6, 6, 1], seed=3)
    x = [Value(0.8, label="x0"), Value(-0.4, label="x1")]
    score = model(x)
    score.label = "score"
    loss = (1 + score).relu()  # hinge loss max(0, 1 - t * score) for the target t = -1
    loss.label = "loss"
    loss.backward()
    return model, x, score, loss


def decision_boundary(path: str) -> str:
    """The demo's model, trained as `make demo` trains it, over the plane with its points."""
    from nn import demo

    model, X, y, _ = demo.train(progress=False)
    return demo.plot_decision_boundary(model, X, y, path)


def two_two_two():
    """The 2-2-2 sigmoid network of Matt Mazur's tutorial (notebook 03): its loss E and the weight w5."""
    i1 = Value(0.05, label="i1", requires_grad=False)
    i2 = Value(0.10, label="i2", requires_grad=False)
    w1, w2, w3, w4, w5, w6, w7, w8 = (Value(x, label=f"w{k}") for k, x in
                                      enumerate([0.15, 0.20, 0.25, 0.30, 0.40, 0.45, 0.50, 0.55], start=1))
    b1, b2 = Value(0.35, label="b1"), Value(0.60, label="b2")
    net_h1 = w1 * i1 + w2 * i2 + b1; net_h1.label = "net_h1"  # noqa: E702
    net_h2 = w3 * i1 + w4 * i2 + b1; net_h2.label = "net_h2"  # noqa: E702
    out_h1 = net_h1.sigmoid(); out_h1.label = "out_h1"  # noqa: E702
    out_h2 = net_h2.sigmoid(); out_h2.label = "out_h2"  # noqa: E702
    net_o1 = w5 * out_h1 + w6 * out_h2 + b2; net_o1.label = "net_o1"  # noqa: E702
    net_o2 = w7 * out_h1 + w8 * out_h2 + b2; net_o2.label = "net_o2"  # noqa: E702
    out_o1 = net_o1.sigmoid(); out_o1.label = "out_o1"  # noqa: E702
    out_o2 = net_o2.sigmoid(); out_o2.label = "out_o2"  # noqa: E702
    E_o1 = 0.5 * (0.01 - out_o1) ** 2; E_o1.label = "E_o1"  # noqa: E702
    E_o2 = 0.5 * (0.99 - out_o2) ** 2; E_o2.label = "E_o2"  # noqa: E702
    E = E_o1 + E_o2; E.label = "E_total"  # noqa: E702
    return E, w5


def chromium() -> str:
    """The headless browser for the screenshot: Debian's /usr/bin/chromium, else `chromium` on
    the PATH; "" when there is none."""
    if os.access("/usr/bin/chromium", os.X_OK):
        return "/usr/bin/chromium"
    return shutil.which("chromium") or ""


def explorer_screenshot(path: str, size=(1280, 860)) -> str:
    """The explorer's page for the 2-2-2 network, at the step where w5 gets dE/dw5, as a PNG.
    Returns the path, or "" (with a note) when there is no Chromium to take it."""
    E, w5 = two_two_two()
    player = autograd.explore(E, title="Mazur's 2-2-2 sigmoid network")
    step = next(s for s in autograd.backward_steps(E) if any(c.parent is w5 for c in s.contributions))
    return page_screenshot(player.save_html, path, size, f"#frame={player.frame_of(step.node, w5)}")


def live_screenshot(path: str, size=(1280, 920)) -> str:
    """The training view's replay page of make demo's network, at its last epoch, as a PNG."""
    import warnings

    X, labels = nn.datasets.make_moons(100, noise=0.1, seed=0)
    model = nn.MLP(2, [16, 16, 1], activation="relu", seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # outside Jupyter live=True records and warns
        history = nn.fit(model, X, nn.datasets.to_signed(labels), loss="hinge", optimizer=nn.Adam(model.parameters(), lr=0.02),
                         epochs=100, l2=1e-4, live=True, progress=False)
    return page_screenshot(lambda page: history.save_html(page, title="make demo's network, trained live"), path, size, "")


def page_screenshot(save_page, path: str, size, fragment: str) -> str:
    """Write a page with `save_page(html_path)` and screenshot it (at `fragment`) into `path`;
    "" (with a note) when there is no Chromium."""
    browser = chromium()
    if not browser:
        print(f"skipped {os.path.basename(path)}: no Chromium (/usr/bin/chromium; apt-get install chromium); kept the old one")
        return ""
    with tempfile.TemporaryDirectory(prefix="dagrad-docs-") as tmp:
        page = save_page(os.path.join(tmp, "page.html"))
        shot = os.path.join(tmp, "page.png")
        subprocess.run(
            [browser, "--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", f"--user-data-dir={tmp}/profile",
             "--virtual-time-budget=3000", f"--window-size={size[0]},{size[1]}", f"--screenshot={shot}",
             f"file://{page}{fragment}"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120, check=False,
        )
        if not os.path.exists(shot) or not os.path.getsize(shot):
            raise RuntimeError(f"{browser} wrote no screenshot of {page}")
        with open(shot, "rb") as f:
            return write_atomically(path, f.read())


def main() -> None:
    print("drawing with", autograd.render_backend())
    out, w1 = neuron()
    print(autograd.render(out, os.path.join(HERE, "neuron.svg")))
    print(autograd.render(out, os.path.join(HERE, "neuron_chain_rule.svg"), edge_derivatives=True, highlight=w1))
    print(autograd.render(two_layers(), os.path.join(HERE, "clusters.svg"), clusters="prefix", cluster_depth=1))
    model, x, score, loss = mlp()
    print(autograd.render(loss, os.path.join(HERE, "mlp_neurons.svg"), collapse="neuron", color="grad", number_format=".3g"))
    print(autograd.render(loss, os.path.join(HERE, "mlp_layers.svg"), collapse="layer", color="grad", number_format=".3g"))
    # One first-layer neuron, drawn within the loss's graph: its inputs' other uses are counted.
    first = next(n for n in autograd.topological_order(loss) if n.op == "relu" and n.parents[0].parents[0].op == "dot"
                 and n.parents[0].parents[0].parents[0].label == "layers.0.neurons.1.w.0")
    first.label = "layers.0.neurons.1.out"
    print(autograd.render(first, os.path.join(HERE, "neuron_within.svg"), within=loss, edge_derivatives=True,
                          clusters="prefix", cluster_depth=4))
    print(decision_boundary(os.path.join(HERE, "demo_decision_boundary.png")))
    for shot in (explorer_screenshot(os.path.join(HERE, "explorer.png")), live_screenshot(os.path.join(HERE, "live_training.png"))):
        if shot:
            print(shot)


if __name__ == "__main__":
    main()
