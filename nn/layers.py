"""`Neuron`, `Layer` and `MLP`: fully connected networks of scalar Values.

Conventions:
- A neuron computes `activation(dot(w, x) + b)`: its weighted sum is ONE `autograd.dot` node with
  2n parents (not a chain of n multiplications and n - 1 additions), then one add for the bias.
- A `Layer` returns a list of its neurons' outputs, except that a layer with ONE neuron returns
  that Value itself (as micrograd does), so `loss = model(x)` works for a single-output `MLP`.
  An `MLP` returns what its last layer returns: a Value when `sizes[-1] == 1`, else a list.
- Biases start at 0; weights are drawn from `init`: "uniform" is U(-1, 1) (micrograd), "xavier"
  is U(-a, a) with a = sqrt(3 / nin) (variance 1 / nin, for tanh/sigmoid), "he" is a = sqrt(6 / nin)
  (variance 2 / nin, for relu). `seed` (an int) or `rng` (a `random.Random`) makes the draw
  reproducible: two models built with the same seed are identical.
- `shared_bias=True` gives a layer ONE bias Value used by all its neurons (b1 and b2 of Matt
  Mazur's *A Step by Step Backpropagation Example*): it is the parameter `b` of the layer
  (`layers.0.b`) and its gradient sums over the neurons.
"""

from __future__ import annotations

import math
import numbers
import random
from typing import Optional

from autograd import Value, dot
from autograd.checks import check_choice, check_integer
from nn.module import Module

__all__ = ["Neuron", "Layer", "MLP", "ACTIVATIONS", "INITS"]

ACTIVATIONS = {
    "relu": lambda v: v.relu(),
    "tanh": lambda v: v.tanh(),
    "sigmoid": lambda v: v.sigmoid(),
    "leaky_relu": lambda v: v.leaky_relu(0.01),
    "linear": lambda v: v,
}

# Half-width of the uniform weight distribution, from the number of inputs.
INITS = {
    "uniform": lambda nin: 1.0,
    "xavier": lambda nin: math.sqrt(3.0 / nin),
    "he": lambda nin: math.sqrt(6.0 / nin),
}


def _check_choice(where: str, what: str, value, choices) -> None:
    check_choice(where, what, value, choices)


def _check_count(where: str, what: str, value) -> int:
    return check_integer(where, what, value, minimum=1)


def _make_rng(where: str, seed, rng) -> random.Random:
    if seed is not None and rng is not None:
        raise ValueError(f"{where}: pass seed or rng, not both")
    if rng is not None:
        if not isinstance(rng, random.Random):
            raise TypeError(f"{where}: rng must be a random.Random, got {type(rng).__name__}")
        return rng
    return random.Random(seed)


class _Checked(list):
    """Inputs that `_inputs` has checked already: a Layer checks once for all its neurons."""


def _inputs(where: str, x, nin: int) -> list:
    """The model's input as a list of nin numbers/Values; a lone number is fine when nin == 1."""
    if type(x) is _Checked:
        return x
    if isinstance(x, (Value, numbers.Real)):
        x = [x]
    try:
        x = list(x)
    except TypeError:
        raise TypeError(
            f"{where}: input must be a sequence of {nin} numbers or Values, got {type(x).__name__}"
        ) from None
    if len(x) != nin:
        raise ValueError(f"{where}: expected {nin} inputs, got {len(x)}")
    for item in x:
        if not isinstance(item, (Value, numbers.Real)) or isinstance(item, bool):
            raise TypeError(f"{where}: inputs must be numbers or Values, got {type(item).__name__}: {item!r}")
    return _Checked(x)


class Neuron(Module):
    """`activation(dot(w, x) + b)` with `nin` weights `w` and a bias `b`.

    Pass `bias=` a Value to use a bias owned elsewhere (a layer's shared bias).

    >>> n = Neuron(2, activation="linear", seed=0)
    >>> n.load_state_dict({"w.0": 2.0, "w.1": -1.0, "b": 0.5})
    >>> out = n([3.0, 4.0]); out.data
    2.5
    >>> out.op, len(out.parents[0].parents)   # add(dot(w0, w1, x0, x1), b)
    ('add', 4)
    """

    def __init__(
        self,
        nin: int,
        activation: str = "relu",
        init: str = "uniform",
        seed: Optional[int] = None,
        rng: Optional[random.Random] = None,
        bias: Optional[Value] = None,
    ):
        nin = _check_count("Neuron", "nin", nin)
        _check_choice("Neuron", "activation", activation, ACTIVATIONS)
        _check_choice("Neuron", "init", init, INITS)
        rng = _make_rng("Neuron", seed, rng)
        half_width = INITS[init](nin)
        self.nin, self.activation, self.init = nin, activation, init
        self._shares_bias = bias is not None
        self.w = [Value(rng.uniform(-half_width, half_width)) for _ in range(nin)]
        self.b = bias if bias is not None else Value(0.0)
        self._activate = ACTIVATIONS[activation]

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        del state["_activate"]  # a lambda: pickle cannot store it; it follows from `activation`
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._activate = ACTIVATIONS[self.activation]

    @staticmethod
    def parameter_count(nin, activation="relu", init="uniform", **_) -> int:
        """How many parameters `Neuron(nin, ...)` has, without building it (`nn.load` checks a
        file against it first).

        >>> Neuron.parameter_count(3)
        4
        """
        return _check_count("Neuron", "nin", nin) + 1

    def forward(self, x):
        """The neuron's output Value for one input (a sequence of nin numbers or Values): the one
        place where the neuron's formula is written. `Layer` and `MLP` call it for every neuron.

        >>> n = Neuron(2, activation="relu", seed=0)
        >>> n.load_state_dict({"w.0": 1.0, "w.1": 1.0, "b": -1.0})
        >>> n.forward([3.0, -1.0]).data, n([0.0, 0.5]).data
        (1.0, 0.0)
        """
        if type(x) is not _Checked:  # a Layer's neurons share its one check
            x = _inputs("Neuron", x, self.nin)
        return self._activate(dot(self.w, x) + self.b)

    def config(self) -> dict:
        """Constructor arguments (without seed/rng: a loaded model takes its weights from the file)."""
        if self._shares_bias:
            raise NotImplementedError("Neuron.config: a neuron using a shared bias is saved through its Layer")
        return {"nin": self.nin, "activation": self.activation, "init": self.init}


class Layer(Module):
    """`nout` neurons reading the same `nin` inputs.

    Returns a list of `nout` Values, or the Value itself when `nout == 1`. With
    `shared_bias=True` all neurons add the same bias Value, the layer's parameter `b`.

    >>> layer = Layer(2, 3, activation="tanh", seed=0)
    >>> len(layer([1.0, 2.0])), type(Layer(2, 1, seed=0)([1.0, 2.0])).__name__
    (3, 'Value')
    >>> [name for name, _ in Layer(1, 2, shared_bias=True, seed=0).named_parameters()]
    ['b', 'neurons.0.w.0', 'neurons.1.w.0']
    """

    def __init__(
        self,
        nin: int,
        nout: int,
        activation: str = "relu",
        init: str = "uniform",
        seed: Optional[int] = None,
        rng: Optional[random.Random] = None,
        shared_bias: bool = False,
    ):
        nin = _check_count("Layer", "nin", nin)
        nout = _check_count("Layer", "nout", nout)
        _check_choice("Layer", "activation", activation, ACTIVATIONS)
        _check_choice("Layer", "init", init, INITS)
        rng = _make_rng("Layer", seed, rng)
        self.nin, self.nout, self.activation, self.init = nin, nout, activation, init
        self.shared_bias = bool(shared_bias)
        if self.shared_bias:
            self.b = Value(0.0)  # defined before the neurons, so it is named "b", not "neurons.0.b"
        shared = self.b if self.shared_bias else None
        self.neurons = [Neuron(nin, activation, init, rng=rng, bias=shared) for _ in range(nout)]

    @staticmethod
    def parameter_count(nin, nout, activation="relu", init="uniform", shared_bias=False, **_) -> int:
        """How many parameters `Layer(nin, nout, ...)` has, without building it.

        >>> Layer.parameter_count(2, 3), Layer.parameter_count(2, 3, shared_bias=True)
        (9, 7)
        """
        nin, nout = _check_count("Layer", "nin", nin), _check_count("Layer", "nout", nout)
        return nin * nout + (1 if shared_bias else nout)

    def forward(self, x):
        """A list of the neurons' outputs (the Value itself for a one-neuron layer)."""
        x = _inputs("Layer", x, self.nin)  # checked once here, not again by each neuron
        outs = [neuron.forward(x) for neuron in self.neurons]
        return outs[0] if len(outs) == 1 else outs

    def config(self) -> dict:
        """Constructor arguments (without seed/rng)."""
        return {
            "nin": self.nin,
            "nout": self.nout,
            "activation": self.activation,
            "init": self.init,
            "shared_bias": self.shared_bias,
        }


class MLP(Module):
    """A multi-layer perceptron: `nin` inputs, then one fully connected layer per entry of `sizes`.

    Hidden layers use `activation`, the last layer `output_activation` (linear by default, as
    in micrograd, so the output is a score or logit). The output is a Value when `sizes[-1] == 1`,
    else a list of Values. Parameters are named `layers.<i>.neurons.<j>.w.<k>` and
    `layers.<i>.neurons.<j>.b` (`layers.<i>.b` with `shared_bias=True`).

    >>> model = MLP(2, [4, 4, 1], seed=0)
    >>> out = model([1.0, -1.0]); type(out).__name__, len(model.parameters())
    ('Value', 37)
    >>> model.named_parameters()[0][0], model.named_parameters()[2][0]
    ('layers.0.neurons.0.w.0', 'layers.0.neurons.0.b')
    >>> MLP(2, [4, 4, 1], seed=0).state_dict() == model.state_dict()
    True
    """

    def __init__(
        self,
        nin: int,
        sizes,
        activation: str = "relu",
        output_activation: str = "linear",
        init: str = "uniform",
        seed: Optional[int] = None,
        rng: Optional[random.Random] = None,
        shared_bias: bool = False,
    ):
        nin = _check_count("MLP", "nin", nin)
        if isinstance(sizes, numbers.Integral):
            sizes = [sizes]
        sizes = [_check_count("MLP", "each layer size", size) for size in sizes]
        if not sizes:
            raise ValueError("MLP: sizes must name at least one layer, got []")
        _check_choice("MLP", "activation", activation, ACTIVATIONS)
        _check_choice("MLP", "output_activation", output_activation, ACTIVATIONS)
        rng = _make_rng("MLP", seed, rng)
        self.nin, self.sizes = nin, sizes
        self.activation, self.output_activation, self.init = activation, output_activation, init
        self.shared_bias = bool(shared_bias)
        widths = [nin] + sizes
        last = len(sizes) - 1
        self.layers = [
            Layer(
                widths[i],
                widths[i + 1],
                activation=output_activation if i == last else activation,
                init=init,
                rng=rng,
                shared_bias=shared_bias,
            )
            for i in range(len(sizes))
        ]

    @staticmethod
    def parameter_count(
        nin, sizes, activation="relu", output_activation="linear", init="uniform", shared_bias=False, **_
    ) -> int:
        """How many parameters `MLP(nin, sizes, ...)` has, without building it.

        >>> MLP.parameter_count(2, [3, 1])
        13
        """
        if isinstance(sizes, numbers.Integral):
            sizes = [sizes]
        if not isinstance(sizes, (list, tuple)):
            raise TypeError(f"MLP: sizes must be a list of layer sizes, got {type(sizes).__name__}: {sizes!r}")
        widths = [_check_count("MLP", "nin", nin)] + [_check_count("MLP", "each layer size", size) for size in sizes]
        return sum(Layer.parameter_count(a, b, shared_bias=shared_bias) for a, b in zip(widths, widths[1:]))

    @property
    def nout(self) -> int:
        """Number of outputs (the last layer's size)."""
        return self.sizes[-1]

    def forward(self, x):
        """The output Value (one output) or list of Values for one input sample."""
        x = _inputs("MLP", x, self.nin)
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def to_torch(self, dtype=None, device=None, *, untie_shared_bias: bool = False):
        """This model as a `torch.nn.Sequential` of `Linear` and activation layers with the same
        weights (float64 unless `dtype`); see `nn.torch_export.mlp_to_torch`. Needs PyTorch."""
        from nn.torch_export import mlp_to_torch

        return mlp_to_torch(self, dtype, device, untie_shared_bias=untie_shared_bias)

    @classmethod
    def from_torch(cls, module) -> "MLP":
        """An MLP with the architecture and weights of a `torch.nn.Sequential` of `Linear` and
        activation layers; see `nn.torch_export.mlp_from_torch`. Needs PyTorch."""
        from nn.torch_export import mlp_from_torch

        return mlp_from_torch(module, cls)

    def config(self) -> dict:
        """Constructor arguments (without seed/rng)."""
        return {
            "nin": self.nin,
            "sizes": list(self.sizes),
            "activation": self.activation,
            "output_activation": self.output_activation,
            "init": self.init,
            "shared_bias": self.shared_bias,
        }
