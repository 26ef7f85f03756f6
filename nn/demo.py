"""`make demo`: train an MLP on two moons and write pictures and the model to `out/`.

Run as `python -m nn.demo [--out DIR] [--epochs N] [--seed S] [--no-progress]`. Writes
- decision_boundary.png: the trained model's score over the plane, with the training points;
- training_curves.png: loss and training accuracy per epoch;
- model.json: the trained model (`nn.load` reads it back), written first, so a picture that
  cannot be drawn never costs the model;
- network_graph.svg: the whole network for one sample after backward, one box per neuron,
  filled by the sign and size of its gradient (relus that are off for this sample marked);
- neuron_graph.svg: one first-layer neuron's part of that backward pass (values, gradients and
  the local derivative on each edge; parameters clustered by their names; the uses of its
  inputs by the other neurons are counted, not drawn).
A picture that cannot be drawn (no matplotlib, no dot program) is skipped with a one-line note
saying what to install; the demo still succeeds.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from typing import Optional

import autograd
import nn
from autograd import Value

TARGET_ACCURACY = 0.97


def train(epochs: int = 100, seed: int = 0, progress=None):
    """The demo's model, trained on 100 two-moons points with hinge loss and Adam.

    Returns (model, X, y, history) with y in {-1, +1}.
    """
    X, labels = nn.datasets.make_moons(100, noise=0.1, seed=seed)
    y = nn.datasets.to_signed(labels)
    model = nn.MLP(2, [16, 16, 1], activation="relu", seed=seed)
    optimizer = nn.Adam(model.parameters(), lr=0.02)
    history = nn.fit(model, X, y, loss="hinge", optimizer=optimizer, epochs=epochs, l2=1e-4, progress=progress)
    return model, X, y, history


def _pyplot():
    """matplotlib's pyplot without a display (imported only when a picture is drawn)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save_figure(plt, fig, path: str) -> str:
    """Lay out, write atomically (a crash leaves no half PNG) and close the figure."""
    import io

    from autograd import write_atomically

    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format=os.path.splitext(path)[1][1:] or "png", dpi=110)
    plt.close(fig)
    return write_atomically(path, buffer.getvalue())


def plot_decision_boundary(model, X, y, path: str, resolution: int = 60) -> str:
    """The model's score on a grid (no_grad forward passes through the engine) and the points."""
    plt = _pyplot()

    xs = [p[0] for p in X]
    ys = [p[1] for p in X]
    x_min, x_max = min(xs) - 0.5, max(xs) + 0.5
    y_min, y_max = min(ys) - 0.5, max(ys) + 0.5
    grid_x = [x_min + (x_max - x_min) * i / (resolution - 1) for i in range(resolution)]
    grid_y = [y_min + (y_max - y_min) * j / (resolution - 1) for j in range(resolution)]
    scores = nn.outputs(model, [[gx, gy] for gy in grid_y for gx in grid_x])
    rows = [scores[j * resolution : (j + 1) * resolution] for j in range(resolution)]

    fig, ax = plt.subplots(figsize=(6, 5))
    ax.contourf(
        grid_x,
        grid_y,
        [[1.0 if s > 0 else -1.0 for s in row] for row in rows],
        levels=[-2, 0, 2],
        colors=["#f4c7c3", "#c6dbef"],
        alpha=0.8,
    )
    ax.contour(
        grid_x,
        grid_y,
        rows,
        levels=[-1.0, 0.0, 1.0],
        colors=["#999999", "k", "#999999"],
        linestyles=["--", "-", "--"],
        linewidths=1,
    )
    for label, colour, marker in ((-1, "#d62728", "o"), (1, "#1f77b4", "s")):
        ax.scatter(
            [p[0] for p, t in zip(X, y) if t == label],
            [p[1] for p, t in zip(X, y) if t == label],
            c=colour,
            marker=marker,
            edgecolors="k",
            linewidths=0.5,
            s=30,
            label=f"class {label:+d}",
        )
    ax.set_title(f"MLP(2, [16, 16, 1]) on two moons: training accuracy {nn.accuracy(model, X, y):.0%}")
    ax.set_xlabel("x0")
    ax.set_ylabel("x1")
    ax.legend(loc="lower left")
    return _save_figure(plt, fig, path)


def plot_training_curves(history, path: str) -> str:
    """Loss (log scale) and training accuracy per epoch."""
    plt = _pyplot()

    epochs = range(1, history.epochs + 1)
    fig, (loss_ax, acc_ax) = plt.subplots(1, 2, figsize=(10, 4))
    loss_ax.plot(epochs, history.loss, color="#d62728")
    loss_ax.set_yscale("log")
    loss_ax.set_xlabel("epoch")
    loss_ax.set_ylabel("hinge loss + L2")
    loss_ax.set_title("training loss")
    acc_ax.plot(epochs, history.accuracy, color="#1f77b4")
    acc_ax.axhline(TARGET_ACCURACY, color="#999999", linestyle="--", linewidth=1, label=f"target {TARGET_ACCURACY:.0%}")
    acc_ax.set_ylim(0.4, 1.02)
    acc_ax.set_xlabel("epoch")
    acc_ax.set_ylabel("training accuracy")
    acc_ax.set_title("accuracy")
    acc_ax.legend(loc="lower right")
    return _save_figure(plt, fig, path)


def _score_graph(model, sample):
    """The model's score for one sample, after backward; also the first layer's outputs."""
    inputs = [Value(sample[0], label="x0"), Value(sample[1], label="x1")]
    hidden = model.layers[0](inputs)
    score = hidden
    for layer in model.layers[1:]:
        score = layer(score)
    score.label = "score"
    model.zero_grad()
    score.backward()
    return score, hidden


def render_network_graph(model, sample, path: str) -> str:
    """The whole network for one sample, one box per neuron, coloured by gradient."""
    score, _ = _score_graph(model, sample)
    return autograd.render(score, path, collapse="neuron", color="grad", number_format=".3g")


def render_neuron_graph(model, sample, path: str) -> str:
    """Backpropagate the model's score for one sample and draw one first-layer neuron's graph.

    The neuron drawn is the one whose weights get the largest gradient for this sample (a relu
    neuron that is off for it would show only zeros). Its parameters' gradients are d score / d w.
    It is drawn `within` the score's graph, so x0 and x1 say how many of their uses (by the
    other neurons) are not drawn: their gradients sum over those too.
    """
    score, hidden = _score_graph(model, sample)
    first_layer = model.layers[0].neurons
    index = max(range(len(hidden)), key=lambda k: sum(abs(w.grad) for w in first_layer[k].w))
    neuron_out = hidden[index]
    neuron_out.label = f"layers.0.neurons.{index}.out"
    return autograd.render(
        neuron_out, path, within=score, clusters="prefix", cluster_depth=4, edge_derivatives=True, number_format=".4g"
    )


def _picture(what: str, draw, *args) -> Optional[str]:
    """Draw one picture; if what it needs is missing, print one line saying what to install."""
    try:
        return draw(*args)
    except ImportError as error:
        print(f"skipped {what}: {error.name or 'a module'} is not installed (pip install {error.name or 'matplotlib'})")
    except autograd.GraphvizNotFoundError:
        print(f"skipped {what}: no program to draw graphs (pip install graphviz-pure, or apt-get install graphviz)")
    return None


def main(out_dir: str = "out", epochs: int = 100, seed: int = 0, progress=None) -> dict:
    """Train, write the model and the pictures to `out_dir` (created if missing), print where
    they went and return {"accuracy", "seconds", "history", and each file's path (None for a
    picture that was skipped)}."""
    started = time.perf_counter()
    os.makedirs(out_dir, exist_ok=True)
    model, X, y, history = train(epochs=epochs, seed=seed, progress=progress)
    train_accuracy = nn.accuracy(model, X, y, decision=history.decision)
    print(
        f"trained {model} for {history.epochs} epochs: loss {history.loss[-1]:.4g}, "
        f"training accuracy {train_accuracy:.1%} ({history.stopped_by})"
    )
    paths = {"model": model.save(os.path.join(out_dir, "model.json"))}  # first: nothing below can lose it
    pictures: dict[str, tuple] = {  # name -> (draw, its arguments..., path)
        "decision_boundary": (plot_decision_boundary, model, X, y, os.path.join(out_dir, "decision_boundary.png")),
        "training_curves": (plot_training_curves, history, os.path.join(out_dir, "training_curves.png")),
        "network_graph": (render_network_graph, model, X[0], os.path.join(out_dir, "network_graph.svg")),
        "neuron_graph": (render_neuron_graph, model, X[0], os.path.join(out_dir, "neuron_graph.svg")),
    }
    for what, (draw, *args) in pictures.items():
        paths[what] = _picture(os.path.basename(args[-1]), draw, *args)
    for what, path in paths.items():
        if path is not None:
            print(f"{what.replace('_', ' '):>17}: {path}")
    seconds = time.perf_counter() - started
    print(f"done in {seconds:.1f} s")
    return {"accuracy": train_accuracy, "seconds": seconds, "history": history, **paths}


def _parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m nn.demo", description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="out", help="output directory (default: out)")
    parser.add_argument("--epochs", type=int, default=100, help="training epochs (default: 100)")
    parser.add_argument("--seed", type=int, default=0, help="data and weight seed (default: 0)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    return parser.parse_args(argv)


if __name__ == "__main__":
    args = _parse_args(sys.argv[1:])
    result = main(args.out, epochs=args.epochs, seed=args.seed, progress=False if args.no_progress else True)
    if result["accuracy"] < TARGET_ACCURACY:
        sys.exit(f"training accuracy {result['accuracy']:.1%} is below the {TARGET_ACCURACY:.0%} target")
