"""Regenerate the README's pictures: `.venv/bin/python docs/pictures.py` (needs Graphviz `dot`)."""

import os

import autograd
from autograd import Value

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


def main() -> None:
    out, w1 = neuron()
    print(autograd.render(out, os.path.join(HERE, "neuron.svg")))
    print(autograd.render(out, os.path.join(HERE, "neuron_chain_rule.svg"), edge_derivatives=True, highlight=w1))
    print(autograd.render(two_layers(), os.path.join(HERE, "clusters.svg"), clusters="prefix", cluster_depth=1))


if __name__ == "__main__":
    main()
