"""Hand an `nn` model, its loss and its optimizer to PyTorch, and bring a model back.

When a model outgrows a scalar engine (more data, wider layers, a GPU), training continues in
PyTorch with the same numbers:

- `mlp_to_torch(model)` (`model.to_torch()`): a `torch.nn.Sequential` of `Linear` and activation
  layers with the same weights; `nn.MLP.from_torch(module)` (`mlp_from_torch(module, nn.MLP)`) goes back.
- `torch_loss(name)`: the PyTorch loss for each `nn.losses` loss; `torch_l2_regularization`.
- `torch_optimizer(optimizer, params, model=)` (`optimizer.to_torch(...)`): `torch.optim.SGD` /
  `torch.optim.Adam` with the same settings, and with `model=` the same state (momentum
  buffers, Adam's moments and step counts, read from `optimizer.state_dict()`), so training
  continues where dagrad stopped.
- `torch_scheduler(schedule, torch_optimizer)`: `LambdaLR` / `LinearDecay` as a PyTorch
  `LambdaLR` that gives the same learning rates.

How the pieces map (dagrad -> PyTorch):

    MLP layer i (nin -> nout)       Linear(nin, nout): weight[j, k] = layers[i].neurons[j].w[k],
                                    bias[j] = layers[i].neurons[j].b; named "<index>.weight",
                                    "<index>.bias" in the Sequential (PyTorch's own names)
    relu, tanh, sigmoid             ReLU(), Tanh(), Sigmoid()
    leaky_relu (slope 0.01)         LeakyReLU(0.01)
    linear                          no layer
    shared_bias=True                no Linear has it: an error, or untie_shared_bias=True copies
                                    the one bias into every output's bias (same outputs; the
                                    copies then train apart)
    mse_loss (mean / sum)           MSELoss(reduction=...)
    mse_loss half_sum, "half_sse"   HalfSSELoss(): 0.5 * sum (o - t)^2
    bce_loss                        BCELoss (log clamped at -100 in both; its gradient differs
                                    where p (1 - p) < 1e-12: see `torch_loss`)
    bce_with_logits_loss            BCEWithLogitsLoss
    hinge_loss                      HingeLoss(): relu(1 - t * s), mean or sum
    cross_entropy_loss              CrossEntropyLoss (targets: a long tensor of class indices)
    l2_regularization(ps, alpha)    torch_l2_regularization(ps, alpha) = alpha * sum p^2
                                    (or weight_decay = 2 * alpha in the optimizer)
    SGD(lr, momentum, weight_decay) torch.optim.SGD(lr, momentum, weight_decay) (dampening 0)
    Adam(lr, betas, eps, weight_decay) torch.optim.Adam(same; amsgrad off: L2 added to the
                                    gradient, not AdamW's decoupled decay)

A dagrad model returns one Value per sample; the exported module returns a tensor of shape
(batch, nout), so a one-output model's scores are `module(X).squeeze(-1)`.

PyTorch is needed only when these functions run: `import nn` never imports it.
"""

from __future__ import annotations

import functools
import math
import numbers
from typing import Optional

from autograd import Value
from nn.losses import LOSSES, bce_loss, bce_with_logits_loss, cross_entropy_loss, hinge_loss, mse_loss
from nn.module import Module

__all__ = [
    "mlp_to_torch",
    "mlp_from_torch",
    "torch_state_dict",
    "torch_loss",
    "torch_l2_regularization",
    "torch_optimizer",
    "torch_scheduler",
    "ACTIVATION_MODULES",
]

# dagrad activation name -> (torch.nn class name, constructor arguments); "linear" has no layer.
ACTIVATION_MODULES = {
    "relu": ("ReLU", {}),
    "tanh": ("Tanh", {}),
    "sigmoid": ("Sigmoid", {}),
    "leaky_relu": ("LeakyReLU", {"negative_slope": 0.01}),
}


def _torch():
    """The torch module, or an ImportError saying how to install it."""
    try:
        import torch
    except ImportError:
        raise ImportError(
            "the PyTorch export needs PyTorch, which is not installed: pip install torch "
            "(the CPU build is enough; `pip install -e '.[torch]'` installs the tested version)"
        ) from None
    return torch


def _default_dtype(dtype):
    return _torch().float64 if dtype is None else dtype


# -- models --------------------------------------------------------------------------------------


def _mlp_layout(model, where: str, untie_shared_bias: bool = False) -> list:
    """[(torch parameter name, rows of Values)] for an MLP: a weight is a list of rows (one per
    output), a bias a list of Values. Names are the Sequential's: "<index>.weight"."""
    if not _is_mlp(model):
        raise TypeError(f"{where}: expected an nn.MLP, got {type(model).__name__}")
    layout, index = [], 0
    for i, layer in enumerate(model.layers):
        if layer.shared_bias and not untie_shared_bias:
            raise ValueError(
                f"{where}: layers.{i} has shared_bias=True (one bias Value, layers.{i}.b, for all its "
                f"{layer.nout} neurons), which torch.nn.Linear cannot express: it has one bias per output. "
                "Pass untie_shared_bias=True to copy that bias into each output's bias (the outputs are "
                "the same; training then moves the copies apart)"
            )
        layout.append((f"{index}.weight", [list(neuron.w) for neuron in layer.neurons]))
        layout.append((f"{index}.bias", [neuron.b for neuron in layer.neurons]))
        index += 1 if layer.activation == "linear" else 2
    return layout


def _is_mlp(model) -> bool:
    """An `nn.MLP` by what the export reads (its public layers of neurons): this module does not
    import nn.layers, whose `MLP.to_torch` imports this module."""
    layers = getattr(model, "layers", None)
    return (
        isinstance(model, Module)
        and isinstance(layers, list)
        and all(
            all(hasattr(layer, name) for name in ("neurons", "activation", "shared_bias", "nin", "nout"))
            for layer in layers
        )
    )


def _tensor(rows, attribute: str, dtype, device=None):
    torch = _torch()

    def number(v: Value) -> float:
        return v.grad if attribute == "grad" else v.data

    data = (
        [[number(v) for v in row] for row in rows] if rows and isinstance(rows[0], list) else [number(v) for v in rows]
    )
    return torch.tensor(data, dtype=dtype, device=device)


def torch_state_dict(model, *, grad: bool = False, dtype=None, untie_shared_bias: bool = False) -> dict:
    """The state dict `model.to_torch()` would have ({"0.weight": tensor, ...}); with `grad=True`
    the parameters' gradients in the same layout (to compare with PyTorch's `.grad`).

    >>> import nn
    >>> model = nn.MLP(2, [3, 1], seed=0)
    >>> {name: tuple(t.shape) for name, t in torch_state_dict(model).items()}
    {'0.weight': (3, 2), '0.bias': (3,), '2.weight': (1, 3), '2.bias': (1,)}
    """
    dtype = _default_dtype(dtype)
    return {
        name: _tensor(rows, "grad" if grad else "data", dtype)
        for name, rows in _mlp_layout(model, "torch_state_dict", untie_shared_bias)
    }


def mlp_to_torch(model, dtype=None, device=None, *, untie_shared_bias: bool = False):
    """`model` (an `nn.MLP`) as a `torch.nn.Sequential` of `Linear` and activation layers with the
    same weights (float64 unless `dtype`), on `device` (default: the CPU). Also `model.to_torch()`.

    Its output on a (batch, nin) tensor is (batch, nout): row i is `model(X[i])`.

    >>> import torch, nn
    >>> model = nn.MLP(2, [4, 1], activation="tanh", seed=0)
    >>> module = model.to_torch(); module
    Sequential(
      (0): Linear(in_features=2, out_features=4, bias=True)
      (1): Tanh()
      (2): Linear(in_features=4, out_features=1, bias=True)
    )
    >>> abs(module(torch.tensor([[0.5, -1.0]], dtype=torch.float64)).item() - model([0.5, -1.0]).data) < 1e-12
    True
    """
    torch = _torch()
    dtype = _default_dtype(dtype)
    layout = dict(_mlp_layout(model, "MLP.to_torch", untie_shared_bias))
    modules: list = []  # torch modules, in order
    for layer in model.layers:
        linear = torch.nn.Linear(layer.nin, layer.nout, dtype=dtype, device=device)
        index = len(modules)
        with torch.no_grad():
            linear.weight.copy_(_tensor(layout[f"{index}.weight"], "data", dtype))
            linear.bias.copy_(_tensor(layout[f"{index}.bias"], "data", dtype))
        modules.append(linear)
        if layer.activation != "linear":
            class_name, arguments = ACTIVATION_MODULES[layer.activation]
            modules.append(getattr(torch.nn, class_name)(**arguments))
    return torch.nn.Sequential(*modules)


def _activation_name(module) -> Optional[str]:
    """The dagrad activation a torch module computes, "linear" for Identity, None if none."""
    torch = _torch()
    if isinstance(module, torch.nn.Identity):
        return "linear"
    for name, (class_name, arguments) in ACTIVATION_MODULES.items():
        if type(module) is getattr(torch.nn, class_name):
            if name == "leaky_relu" and module.negative_slope != arguments["negative_slope"]:
                return None
            return name
    return None


def mlp_from_torch(module, cls):
    """An `nn.MLP` (`cls`: nn.MLP or a subclass) with the architecture and weights of `module`: a `torch.nn.Sequential` of
    `Linear` layers (with bias), each followed by at most one supported activation (ReLU, Tanh,
    Sigmoid, LeakyReLU(0.01), Identity). Hidden layers must share one activation (an MLP has one
    `activation` and one `output_activation`). Anything else is a ValueError naming the layer.
    Usually called as `nn.MLP.from_torch(module)`.

    >>> import torch, nn
    >>> torch.manual_seed(0) and None
    >>> module = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU(), torch.nn.Linear(3, 1))
    >>> model = nn.MLP.from_torch(module); model
    MLP(nin=2, sizes=[3, 1], activation='relu', output_activation='linear', init='uniform', shared_bias=False)
    >>> model.layers[0].neurons[1].w[0].data == module[0].weight[1, 0].item()
    True
    """
    torch = _torch()
    where = f"{getattr(cls, '__name__', cls)}.from_torch"
    if not (isinstance(cls, type) and issubclass(cls, Module)):
        raise TypeError(f"mlp_from_torch: cls must be nn.MLP or a subclass, got {cls!r}")
    if isinstance(module, torch.nn.Linear):
        module = torch.nn.Sequential(module)
    if not isinstance(module, torch.nn.Sequential):
        raise TypeError(
            f"{where}: expected a torch.nn.Sequential of Linear and activation layers, got {type(module).__name__}"
        )
    linears, activations = _linears_and_activations(module, where)
    hidden = set(activations[:-1])
    if len(hidden) > 1:
        first = activations[0]
        i = next(i for i, a in enumerate(activations[:-1]) if a != first)
        raise ValueError(
            f"{where}: hidden layers use different activations ({first} after layer {linears[0][1]}, "
            f"{activations[i]} after layer {linears[i][1]}); an nn.MLP has one activation for all hidden layers"
        )
    model = cls(
        linears[0][0].in_features,
        [linear.out_features for linear, _ in linears],
        activation=hidden.pop() if hidden else "relu",
        output_activation=activations[-1],
    )
    for layer, (linear, _) in zip(model.layers, linears):
        weight = linear.weight.detach().to("cpu", torch.float64).tolist()
        bias = linear.bias.detach().to("cpu", torch.float64).tolist()
        for neuron, row, b in zip(layer.neurons, weight, bias):
            for value, number in zip(neuron.w, row):
                value.data = number
            neuron.b.data = b
    return model


def _linears_and_activations(module, where: str) -> tuple:
    """The Sequential's Linear layers [(module, name)] and the activation after each ("linear": none)."""
    torch = _torch()
    linears: list[tuple] = []  # per Linear: the module, its name
    activations: list[str | None] = []  # per Linear: the activation after it
    for name, child in module.named_children():
        if isinstance(child, torch.nn.Linear):
            if child.bias is None:
                raise ValueError(f"{where}: layer {name} ({child}) has no bias; an nn.MLP neuron always has one")
            if linears and child.in_features != linears[-1][0].out_features:
                raise ValueError(
                    f"{where}: layer {name} ({child}) takes {child.in_features} inputs but the layer before "
                    f"gives {linears[-1][0].out_features}"
                )
            linears.append((child, name))
            activations.append(None)
            continue
        activation = _activation_name(child)
        if activation is None:
            raise ValueError(
                f"{where}: layer {name} ({child}) is not supported; an nn.MLP is Linear layers, each followed by "
                "at most one of ReLU, Tanh, Sigmoid, LeakyReLU(0.01) or Identity"
            )
        if activation == "linear":  # Identity: no layer at all
            continue
        if not linears:
            raise ValueError(f"{where}: layer {name} ({child}) comes before any Linear layer")
        if activations[-1] is not None:
            raise ValueError(f"{where}: layer {name} ({child}) is a second activation after layer {linears[-1][1]}")
        activations[-1] = activation
    if not linears:
        raise ValueError(f"{where}: the module has no Linear layer")
    return linears, [a or "linear" for a in activations]


# -- losses ----------------------------------------------------------------------------------------


@functools.cache
def _loss_classes():
    """The two losses PyTorch lacks, as torch.nn.Module classes (made when first asked for)."""
    torch = _torch()

    class HingeLoss(torch.nn.Module):
        """relu(1 - t * s) for targets t in {-1, +1}, mean or sum: `nn.hinge_loss`."""

        def __init__(self, reduction: str = "mean"):
            super().__init__()
            self.reduction = reduction

        def forward(self, scores, targets):
            terms = torch.relu(1.0 - targets * scores)
            return terms.mean() if self.reduction == "mean" else terms.sum()

        def extra_repr(self) -> str:
            return f"reduction={self.reduction!r}"

    class HalfSSELoss(torch.nn.Module):
        """0.5 * sum (o - t)^2: `nn.mse_loss(..., reduction="half_sum")` and `fit(loss="half_sse")`."""

        def forward(self, outputs, targets):
            return 0.5 * ((outputs - targets) ** 2).sum()

    for cls in (HingeLoss, HalfSSELoss):
        cls.__module__, cls.__qualname__ = __name__, cls.__name__
    return {"HingeLoss": HingeLoss, "HalfSSELoss": HalfSSELoss}


def _loss_name(loss) -> str:
    if isinstance(loss, str):
        return loss
    for name, function in LOSSES.items():
        if loss is function:
            return name
    by_function = {
        mse_loss: "mse",
        bce_loss: "bce",
        bce_with_logits_loss: "bce_with_logits",
        hinge_loss: "hinge",
        cross_entropy_loss: "cross_entropy",
    }
    if loss in by_function:
        return by_function[loss]
    raise TypeError(f"torch_loss: expected a loss name or an nn.losses function, got {loss!r}")


def torch_loss(loss, reduction: Optional[str] = None):
    """The PyTorch loss module computing the same number as the `nn.losses` loss `loss` (a name
    `nn.fit` accepts, e.g. "hinge", or the function, e.g. `nn.mse_loss`) with `reduction`
    ("mean", "sum"; "half_sum" for mse; None: the loss's default). Call it as
    `loss(predictions, targets)` on tensors: predictions (batch,) for one output, (batch, C)
    logits for cross_entropy (targets a long tensor of class indices).

    Same values and gradients (float64, 1e-12) everywhere but one place: "bce" is PyTorch's
    `BCELoss`, whose backward divides by max(p (1 - p), 1e-12). Where p (1 - p) < 1e-12 (a
    probability p = sigmoid(z) with |z| > about 27.6) PyTorch's dL/dp is (p - t) / 1e-12, where
    dagrad's is the exact (1 - t) / (1 - p) - t / p: at logit 30, target 0, dL/dz is 0.0935 in
    PyTorch and 1.0 (= p) in dagrad. Where a log is clamped at -100 (p = 0 with t > 0, p = 1 with
    t < 1) dagrad's term is a constant (no gradient) and PyTorch's dL/dp is (p - t) / 1e-12. The
    loss values agree. For confident predictions use "bce_with_logits" (`BCEWithLogitsLoss`):
    exact in both.

    >>> import torch
    >>> from autograd import Value
    >>> import nn
    >>> torch_loss("hinge")
    HingeLoss(reduction='mean')
    >>> s, t = [2.0, 0.5, 0.5], [1.0, 1.0, -1.0]
    >>> torch_loss("hinge")(torch.tensor(s, dtype=torch.float64), torch.tensor(t, dtype=torch.float64)).item()
    0.6666666666666666
    >>> nn.hinge_loss([Value(x) for x in s], t).data
    0.6666666666666666
    >>> torch_loss(nn.mse_loss, reduction="sum")
    MSELoss()
    """
    torch = _torch()
    name = _loss_name(loss)
    classes = _loss_classes()
    reductions = {
        "mse": ("mean", "sum", "half_sum"),
        "half_sse": (None,),
        "bce": ("mean", "sum"),
        "bce_with_logits": ("mean", "sum"),
        "hinge": ("mean", "sum"),
        "cross_entropy": ("mean", "sum"),
    }
    if name not in reductions:
        raise ValueError(f"torch_loss: unknown loss {name!r}; choose one of {', '.join(map(repr, reductions))}")
    if reduction is not None and reduction not in reductions[name]:
        allowed = ", ".join(repr(r) for r in reductions[name] if r) or "only the default (None)"
        raise ValueError(f"torch_loss({name!r}): reduction must be {allowed}, got {reduction!r}")
    reduction = reduction or ("half_sum" if name == "half_sse" else "mean")
    if reduction == "half_sum":
        return classes["HalfSSELoss"]()
    if name == "hinge":
        return classes["HingeLoss"](reduction)
    constructor = {
        "mse": torch.nn.MSELoss,
        "bce": torch.nn.BCELoss,
        "bce_with_logits": torch.nn.BCEWithLogitsLoss,
        "cross_entropy": torch.nn.CrossEntropyLoss,
    }[name]
    return constructor(reduction=reduction)


def torch_l2_regularization(parameters, alpha: float):
    """alpha * sum of p^2 over the tensors `parameters`: `nn.l2_regularization` (and `fit`'s
    `l2=`) in PyTorch. Adding it to the loss is the same as weight_decay = 2 * alpha.

    >>> import torch
    >>> torch_l2_regularization([torch.tensor([3.0, 4.0], dtype=torch.float64)], 0.5).item()
    12.5
    """
    if isinstance(alpha, bool) or not isinstance(alpha, numbers.Real) or not math.isfinite(alpha) or alpha < 0:
        raise ValueError(f"torch_l2_regularization: alpha must be a finite number >= 0, got {alpha!r}")
    return alpha * sum((p * p).sum() for p in parameters)


# -- optimizers ------------------------------------------------------------------------------------


# An nn optimizer names its settings and state as PyTorch does (`Optimizer.settings`,
# `state_keys`, `state_dict()`): its settings say which torch.optim class it is.
_TORCH_OPTIMIZERS = {("momentum", "weight_decay"): "SGD", ("betas", "eps", "weight_decay"): "Adam"}


def _parameter_layout(source, where: str, untie_shared_bias: bool = False) -> list:
    """[(torch parameter name, rows of Values)] for an MLP or a Tape (one flat "params")."""
    if _is_mlp(source):
        return _mlp_layout(source, where, untie_shared_bias)
    if hasattr(source, "params") and hasattr(source, "to_torch_source"):  # an autograd Tape
        return [("params", list(source.params))]
    raise TypeError(
        f"{where}: model must be the nn.MLP or autograd Tape the module was exported from, got {type(source).__name__}"
    )


def _flat(rows) -> list:
    return [v for row in rows for v in row] if rows and isinstance(rows[0], list) else list(rows)


def torch_optimizer(optimizer, params, *, model=None):
    """`optimizer` (`nn.SGD` or `nn.Adam`) as a `torch.optim` optimizer over `params` (tensors,
    or a torch.nn.Module for its parameters) with the same settings and current `lr`.

    With `model`, the `nn.MLP` (or autograd Tape) that `params` was exported from, the
    optimizer's state (`optimizer.state_dict()`) moves too (momentum buffers; Adam's moments and
    per-parameter step counts), so the next PyTorch step is the step dagrad would have taken;
    without it the PyTorch optimizer starts with empty state (as a fresh one would). Only the
    tensors whose Values the dagrad optimizer updates are handed over; a tensor only partly among
    them is an error naming it. Also `optimizer.to_torch(params, model=model)`.

    >>> import nn
    >>> model = nn.MLP(2, [3, 1], seed=0)
    >>> opt = nn.Adam(model.parameters(), lr=0.01, betas=(0.8, 0.99), weight_decay=1e-4)
    >>> t_opt = opt.to_torch(model.to_torch(), model=model)
    >>> type(t_opt).__name__, t_opt.param_groups[0]["betas"], len(t_opt.param_groups[0]["params"])
    ('Adam', (0.8, 0.99), 4)
    """
    torch = _torch()
    kind = _TORCH_OPTIMIZERS.get(tuple(getattr(optimizer, "settings", ()) or ()))
    if kind is None or not callable(getattr(optimizer, "state_dict", None)):
        raise TypeError(f"torch_optimizer: expected an nn.SGD or nn.Adam, got {type(optimizer).__name__}")
    dagrad_state = optimizer.state_dict()
    [group] = dagrad_state["param_groups"]
    settings = {name: value for name, value in group.items() if name != "params"}
    if model is None:
        chosen = list(params.parameters()) if isinstance(params, torch.nn.Module) else list(params)
        states = {}
    else:
        chosen, states = _tensors_and_states(optimizer, dagrad_state["state"], params, model)
    result = getattr(torch.optim, kind)(chosen, **settings)
    for tensor, state in states.items():
        result.state[tensor] = state
    return result


def _tensors_and_states(optimizer, dagrad_state: dict, module, model) -> tuple:
    """The tensors of `module` whose Values `optimizer` updates, and their torch state."""
    torch = _torch()
    where = f"{type(optimizer).__name__}.to_torch"
    if not isinstance(module, torch.nn.Module):
        raise TypeError(
            f"{where}: with model=, params must be the torch module exported from it, got {type(module).__name__}"
        )
    named = dict(module.named_parameters())
    index = {v: i for i, v in enumerate(optimizer.params)}
    chosen, states = [], {}
    for name, rows in _parameter_layout(model, where):
        if name not in named:
            raise ValueError(f"{where}: the module has no parameter {name!r}; was it exported from this model?")
        tensor, values = named[name], _flat(rows)
        if tensor.numel() != len(values):
            raise ValueError(
                f"{where}: {name} has {tensor.numel()} numbers but the model has {len(values)} Values for it"
            )
        inside = [v in index for v in values]
        if not any(inside):
            continue
        if not all(inside):
            raise ValueError(
                f"{where}: {name} is only partly updated by the optimizer ({sum(inside)} of {len(values)} Values); "
                "a torch optimizer updates whole tensors"
            )
        chosen.append(tensor)
        entries = [dagrad_state.get(index[v]) for v in values]
        state = _torch_state(entries, tensor, name, where)
        if state:
            states[tensor] = state
    return chosen, states


def _torch_state(entries: list, tensor, name: str, where: str) -> dict:
    """The torch optimizer state of one tensor from its Values' entries of the dagrad state
    (None for a Value not updated yet): the same keys, as tensors of the tensor's shape."""
    torch = _torch()
    if all(entry is None for entry in entries):
        return {}
    keys = next(entry for entry in entries if entry is not None).keys()
    if "step" in keys:  # Adam: torch keeps one step count per tensor
        steps = sorted({entry["step"] if entry else 0 for entry in entries})
        if len(steps) > 1:
            raise ValueError(
                f"{where}: the Values of {name} were updated different numbers of times ({steps}); "
                "torch.optim.Adam keeps one step count per tensor"
            )
    elif any(entry is None for entry in entries):
        raise ValueError(f"{where}: {name} has momentum buffers for some of its Values only (some were never updated)")
    state = {}
    for key in keys:
        if key == "step":
            state[key] = torch.tensor(float(entries[0]["step"]))
        else:
            numbers_ = [entry[key] for entry in entries]
            state[key] = torch.tensor(numbers_, dtype=tensor.dtype, device=tensor.device).reshape(tensor.shape)
    return state


def torch_scheduler(schedule, optimizer):
    """A `torch.optim.lr_scheduler.LambdaLR` on the torch `optimizer` that sets the same learning
    rates as the dagrad `schedule` (`nn.LambdaLR` or `nn.LinearDecay`) from its current step on.
    Also `schedule.to_torch(optimizer)`.

    >>> import torch, nn
    >>> opt = nn.SGD(nn.MLP(1, [1], seed=0).parameters(), lr=1.0)
    >>> decay = nn.LinearDecay(opt, 1.0, 0.1, total_steps=100)
    >>> t_opt = torch.optim.SGD([torch.zeros(1)], lr=1.0)
    >>> t_decay = torch_scheduler(decay, t_opt)
    >>> for _ in range(50): decay.step(); t_opt.step(); t_decay.step()
    >>> round(opt.lr, 12), round(t_opt.param_groups[0]["lr"], 12)
    (0.55, 0.55)
    """
    torch = _torch()
    # An nn.LambdaLR (or LinearDecay) by what the export reads: nn.optim is not imported here,
    # since its `to_torch` methods import this module.
    if not (
        callable(getattr(schedule, "schedule", None))
        and isinstance(getattr(schedule, "last_step", None), int)
        and hasattr(schedule, "optimizer")
    ):
        raise TypeError(f"torch_scheduler: expected an nn.LambdaLR or nn.LinearDecay, got {type(schedule).__name__}")
    start, function = schedule.last_step, schedule.schedule
    for group in optimizer.param_groups:
        # LambdaLR sets lr = initial_lr * f(step): an initial lr of 1 makes lr = f(step) exactly.
        group["lr"] = group["initial_lr"] = 1.0
    return torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: function(start + step))
