"""The workloads W1-W4, each as plain functions that build their inputs and run one repetition.

Every workload has a plain-float twin that does the same arithmetic without a graph, so the
ratios say what the graph and the backward pass cost on top of Python itself.
"""

from __future__ import annotations

import math
import operator
import random

# -- W1: a seeded random DAG of + - * relu tanh over 100 leaves -----------------------------------

BINARY = ("add", "sub", "mul")
UNARY = ("relu", "tanh")


def random_program(n_ops: int = 100_000, n_leaves: int = 100, seed: int = 0, window: int = 200) -> tuple:
    """(leaves, program): leaf floats and a list of (op name, i, j) over earlier node indices.

    Operands are drawn from the latest `window` nodes (so the DAG is deep as well as wide, and
    most nodes are used again). A product that would leave [-1e3, 1e3] becomes a tanh instead,
    so no value overflows and the program is the same for every engine.
    """
    rng = random.Random(seed)
    leaves = [rng.uniform(-1.0, 1.0) for _ in range(n_leaves)]
    values = list(leaves)
    program = []
    ops = BINARY + UNARY
    for _ in range(n_ops):
        n = len(values)
        i = rng.randrange(max(0, n - window), n)
        j = rng.randrange(max(0, n - window), n)
        name = rng.choice(ops)
        x, y = values[i], values[j]
        if name == "add":
            out = x + y
        elif name == "sub":
            out = x - y
        elif name == "mul":
            out = x * y
        elif name == "relu":
            out = x if x > 0.0 else 0.0
        else:
            out = math.tanh(x)
        if abs(out) > 1e3:
            name, out = "tanh", math.tanh(x)
        program.append((name, i, j))
        values.append(out)
    return leaves, program


FLOAT_OPS = {
    "add": operator.add,
    "sub": operator.sub,
    "mul": operator.mul,
    "relu": lambda x, _: x if x > 0.0 else 0.0,
    "tanh": lambda x, _: math.tanh(x),
}


def evaluate_floats(leaves: list, program: list) -> float:
    """Plain-float forward evaluation of the program; returns the last node."""
    values = list(leaves)
    append = values.append
    ops = FLOAT_OPS
    for name, i, j in program:
        append(ops[name](values[i], values[j]))
    return values[-1]


def value_ops(Value) -> dict:
    """The same table for an engine whose scalar class is `Value` (dagrad's or micrograd's)."""
    return {
        "add": operator.add,
        "sub": operator.sub,
        "mul": operator.mul,
        "relu": lambda x, _: x.relu(),
        "tanh": lambda x, _: x.tanh(),
    }


def build_graph(Value, leaves: list, program: list):
    """The program recorded as a graph of `Value`s; returns (leaf Values, output Value)."""
    leaf_values = [Value(x) for x in leaves]
    values = list(leaf_values)
    append = values.append
    ops = value_ops(Value)
    for name, i, j in program:
        append(ops[name](values[i], values[j]))
    return leaf_values, values[-1]


def micrograd_tanh(Value):
    """tanh for micrograd 0.1.0 (which has none), written in micrograd's own style."""

    def tanh(x):
        t = math.tanh(x.data)
        out = Value(t, (x,), "tanh")

        def _backward():
            x.grad += (1 - t * t) * out.grad

        out._backward = _backward
        return out

    return tanh


# -- W2: one training step of MLP(2, [16, 16, 1]) on 100 moons points, hinge loss, SGD ----------


def make_moons(n: int = 100, noise: float = 0.1, seed: int = 0) -> tuple:
    """Two interleaving half circles; labels -1/+1 (hinge targets)."""
    rng = random.Random(seed)
    X, y = [], []
    for i in range(n):
        upper = i < (n + 1) // 2
        k = i if upper else i - (n + 1) // 2
        count = (n + 1) // 2 if upper else n // 2
        angle = math.pi * k / max(count - 1, 1)
        if upper:
            point = [math.cos(angle), math.sin(angle)]
        else:
            point = [1.0 - math.cos(angle), 0.5 - math.sin(angle)]
        X.append([point[0] + rng.gauss(0, noise), point[1] + rng.gauss(0, noise)])
        y.append(-1.0 if upper else 1.0)
    return X, y


LR = 0.05


def sgd(params, lr: float = LR) -> None:
    for p in params:
        p.data -= lr * p.grad
