"""Regenerate the README's pictures: `.venv/bin/python docs/pictures.py` (after `make test` or
`make demo`, which install dagrad and graphviz-pure; no system Graphviz needed)."""

import os

import autograd
from autograd import Value

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


if __name__ == "__main__":
    main()
