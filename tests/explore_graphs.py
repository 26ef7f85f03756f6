"""Graphs shared by the explorer's tests: the 2-2-2 sigmoid network of Matt Mazur's
*A Step by Step Backpropagation Example*."""

from autograd import Value


def tutorial_network():
    """E_total of Mazur's 2-2-2 network and its ten parameters w1..w8, b1, b2."""
    i1 = Value(0.05, label="i1", requires_grad=False)
    i2 = Value(0.10, label="i2", requires_grad=False)
    w = [Value(x, label=f"w{k + 1}") for k, x in enumerate([0.15, 0.20, 0.25, 0.30, 0.40, 0.45, 0.50, 0.55])]
    b1, b2 = Value(0.35, label="b1"), Value(0.60, label="b2")
    net_h1 = w[0] * i1 + w[1] * i2 + b1
    net_h2 = w[2] * i1 + w[3] * i2 + b1
    h1, h2 = net_h1.sigmoid(), net_h2.sigmoid()
    net_o1 = w[4] * h1 + w[5] * h2 + b2
    net_o2 = w[6] * h1 + w[7] * h2 + b2
    o1, o2 = net_o1.sigmoid(), net_o2.sigmoid()
    for v, name in ((net_h1, "net_h1"), (net_h2, "net_h2"), (h1, "out_h1"), (h2, "out_h2"),
                    (net_o1, "net_o1"), (net_o2, "net_o2"), (o1, "out_o1"), (o2, "out_o2")):
        v.label = name
    E = 0.5 * (0.01 - o1) ** 2 + 0.5 * (0.99 - o2) ** 2
    E.label = "E_total"
    return E, w + [b1, b2]
