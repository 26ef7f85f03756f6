"""nn neurons and layers found in a graph, for the collapsed views (a neuron or layer drawn as one box).

`nn` labels its parameters with dotted names (`layers.0.neurons.3.w.1`, `layers.0.neurons.3.b`,
`layers.0.b` for a shared bias) and computes a neuron as `act(dot(w, x) + b)`: one `dot` node
whose first half of parents are the weights, one `add` with the bias, then (unless linear) one
activation. A neuron is recognised by that shape and those names, so no model object is needed
and a loss over several samples collapses too (one box per neuron per sample).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Optional

ACTIVATIONS = ("relu", "tanh", "sigmoid", "leaky_relu")
_WEIGHT = re.compile(r"^(?P<neuron>(?:.*\.)?)w\.\d+$")
_NEURON_IN_LAYER = re.compile(r"^(?P<layer>(?:.*\.)?)neurons\.\d+\.$")


@dataclass
class Group:
    """One box of a collapsed view: a neuron application or a layer application."""

    kind: str  # "neuron" or "layer"
    name: str
    members: list = field(default_factory=list)  # graph nodes drawn inside the box, in graph order
    outputs: list = field(default_factory=list)  # the neurons' outputs (one for a neuron)
    weights: list = field(default_factory=list)
    biases: list = field(default_factory=list)
    activation: str = "linear"
    width: int = 1


def _neuron_prefix(node) -> Optional[str]:
    """ "layers.0.neurons.3." when node is dot(w, x) over one neuron's labelled weights."""
    if node.op != "dot":
        return None
    parents = node.parents
    half = len(parents) // 2
    prefixes = set()
    for w in parents[:half]:
        match = _WEIGHT.match(w.label) if not w.parents else None
        if match is None:
            return None
        prefixes.add(match.group("neuron"))
    return prefixes.pop() if len(prefixes) == 1 else None


def _is_bias(node, prefix: str) -> bool:
    return not node.parents and (node.label == prefix + "b" or node.label.endswith(".b") or node.label == "b")


def find_neurons(nodes: list, consumers: dict) -> list:
    """The neuron applications among `nodes` (in graph order), each a Group of kind "neuron"."""
    groups = []
    for node in nodes:
        prefix = _neuron_prefix(node)
        if prefix is None:
            continue
        half = len(node.parents) // 2
        group = Group("neuron", prefix[:-1] or "neuron", members=[node], weights=list(node.parents[:half]), width=half)
        out = node
        users = consumers.get(node, ())
        if len(users) == 1 and users[0].op == "add" and len(users[0].parents) == 2:
            add = users[0]
            other = add.parents[1] if add.parents[0] is node else add.parents[0]
            if _is_bias(other, prefix):
                group.members.append(add)
                group.biases.append(other)
                out = add
                after = consumers.get(add, ())
                if len(after) == 1 and after[0].op in ACTIVATIONS and after[0].parents[0] is add:
                    group.members.append(after[0])
                    group.activation = after[0].op
                    out = after[0]
        group.outputs = [out]
        groups.append(group)
    return groups


def find_layers(neurons: list) -> list:
    """Neuron applications grouped by layer: same layer name, same inputs (one sample)."""
    layers: dict = {}
    for neuron in neurons:
        key = layer_key(neuron)
        layer_name = key[0]
        layer = layers.get(key)
        if layer is None:
            layer = layers[key] = Group("layer", layer_name, activation=neuron.activation, width=0)
        layer.members += neuron.members
        layer.outputs += neuron.outputs
        layer.weights += neuron.weights
        layer.biases += [b for b in neuron.biases if all(b is not seen for seen in layer.biases)]
        layer.width += 1
        if layer.activation != neuron.activation:
            layer.activation = "mixed"
    return list(layers.values())


def layer_key(neuron: Group) -> tuple:
    """What the neurons of one layer applied to one sample share: the layer's name and inputs."""
    dot_node = neuron.members[0]
    # Floats given to a model become a new constant per neuron: those match by value.
    inputs = tuple(
        id(x) if x.parents or x.requires_grad else ("constant", x.data)
        for x in dot_node.parents[len(dot_node.parents) // 2 :]
    )
    match = _NEURON_IN_LAYER.match(neuron.name + ".")
    return ((match.group("layer")[:-1] or "layer") if match else neuron.name, inputs)


def input_weights(neuron: Group) -> list:
    """(input, weight) pairs of a neuron box, in order: x_k with the Value w_k it is multiplied by."""
    dot_node = neuron.members[0]
    half = len(dot_node.parents) // 2
    return list(zip(dot_node.parents[half:], dot_node.parents[:half]))


def pre_activation(neuron: Group):
    """The node w·x + b of a neuron box (its output when linear): its gradient is what the
    weights and the bias learn from (a dead relu's is 0, whatever its output's)."""
    return neuron.members[-2] if neuron.activation != "linear" else neuron.outputs[0]


def formula(group: Group) -> str:
    """What the box computes: "tanh(w·x + b)" for a neuron, "tanh(W·x + b)" for a layer."""
    act = "" if group.activation == "linear" else group.activation
    inner = ("w·x" if group.kind == "neuron" else "W·x") + (" + b" if group.biases else "")
    return f"{act}({inner})" if act else inner


def summary(group: Group) -> str:
    """One line about the box: "tanh(w·x + b), 2 inputs"; "3 relu neurons, 2 inputs each"."""
    if group.kind == "neuron":
        return f"{formula(group)}, {group.width} input{'s' if group.width != 1 else ''}"
    per = len(group.weights) // max(1, group.width)
    many = group.width > 1
    return f"{group.width} {group.activation} neuron{'s' if many else ''}, {per} input{'s' if per != 1 else ''}{' each' if many else ''}"


def norm(values) -> float:
    """Euclidean norm of the gradients of `values` (0 for none)."""
    return euclidean(v.grad for v in values)


def euclidean(numbers) -> float:
    """Euclidean norm of `numbers` (0 for none), summed exactly (`math.fsum`)."""
    return math.sqrt(math.fsum(x * x for x in numbers))
