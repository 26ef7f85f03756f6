"""Optimizers (`SGD`, `Adam`) and learning-rate schedules (`LinearDecay`, `LambdaLR`).

Optimizers update each parameter's `.data` in place from its `.grad`, with PyTorch's formulas.
As in PyTorch, a parameter that no backward pass reached since `zero_grad` (`has_grad` is
False) is skipped entirely, weight decay included. To hold some parameters fixed (Matt Mazur's
*A Step by Step Backpropagation Example* keeps its biases fixed), simply leave them out of `params`.

A schedule sets `optimizer.lr` from a step counter each time its `step()` is called (`nn.fit`
calls it once per epoch).
"""

from __future__ import annotations

import math
from typing import Callable, Iterable

from autograd import Value
from autograd.checks import check_integer, check_real

__all__ = ["Optimizer", "SGD", "Adam", "LambdaLR", "LinearDecay"]


def _check_number(
    where: str, name: str, value, low: float = 0.0, high: float = math.inf, high_open: bool = False
) -> float:
    return check_real(where, name, value, low=low, high=high, high_open=high_open)


class Optimizer:
    """Base class: holds the parameters (each Value once, in order), `lr` and `steps` taken.

    Its state moves as a dict in PyTorch's layout (`state_dict`, `load_state_dict`): the
    settings in one parameter group, and per parameter (by its index in `params`) the numbers a
    subclass keeps, under PyTorch's names (SGD's "momentum_buffer"; Adam's "step", "exp_avg",
    "exp_avg_sq").
    """

    # The settings (besides lr) and the per-parameter state a subclass keeps, by PyTorch's names.
    settings: tuple = ()
    state_keys: tuple = ()

    def __init__(self, params: Iterable[Value], lr: float):
        where = type(self).__name__
        if isinstance(params, Value):
            params = [params]
        params = list(params)
        if not params:
            raise ValueError(f"{where}: got an empty parameter list")
        unique, seen = [], set()
        for i, p in enumerate(params):
            if not isinstance(p, Value):
                raise TypeError(f"{where}: params[{i}] must be a Value, got {type(p).__name__}: {p!r}")
            if p not in seen:
                seen.add(p)
                unique.append(p)
        self.params = unique
        self.lr = _check_number(where, "lr", lr)
        self.steps = 0
        self._state: dict = {}  # parameter index -> {state key: number}, for parameters updated so far

    def zero_grad(self) -> None:
        """Forget every parameter's gradient (call before each backward pass: leaves accumulate).

        >>> from autograd import Value
        >>> w = Value(1.0); opt = SGD([w], lr=0.1); (w * 3).backward(); opt.zero_grad(); w.grad
        0.0
        """
        for p in self.params:
            p.zero_grad()

    def step(self) -> None:
        """Update every parameter that has a gradient."""
        self.steps += 1
        lr = _check_number(type(self).__name__, "lr", self.lr)
        for index, p in enumerate(self.params):
            if p.has_grad:
                before = p.data
                self._update(index, p, lr)
                after = p.data
                if not math.isfinite(after) and math.isfinite(before) and math.isfinite(p.grad):
                    # an update of finite numbers overflowed: never leave an inf parameter silently
                    p.data = before
                    raise OverflowError(
                        f"{type(self).__name__}.step: parameter {p.label or index} would become {after!r} "
                        f"(from {before!r}, gradient {p.grad!r}, lr {lr:g}): the update overflows a float; lower the learning rate"
                    )

    def _update(self, index: int, p: Value, lr: float) -> None:
        raise NotImplementedError

    def state_dict(self) -> dict:
        """The optimizer's settings and state, as PyTorch lays out its own: {"state": {index:
        {key: number}}, "param_groups": [{"lr": ..., settings..., "params": [0, 1, ...]}]}, plus
        "steps". Copies: changing the dict changes nothing here.

        >>> from autograd import Value
        >>> w = Value(1.0); opt = SGD([w], lr=0.1, momentum=0.9)
        >>> (w * w).backward(); opt.step()
        >>> opt.state_dict()
        {'state': {0: {'momentum_buffer': 2.0}}, 'param_groups': [{'lr': 0.1, 'momentum': 0.9, 'weight_decay': 0.0, 'params': [0]}], 'steps': 1}
        """
        group = {
            "lr": self.lr,
            **{name: getattr(self, name) for name in self.settings},
            "params": list(range(len(self.params))),
        }
        state = {index: dict(entry) for index, entry in sorted(self._state.items())}
        return {"state": state, "param_groups": [group], "steps": self.steps}

    def load_state_dict(self, state_dict: dict) -> None:
        """Take settings and state from `state_dict` (as `state_dict()` gives it, also after a JSON
        round trip, where indices become strings), for the same number of parameters. Anything
        else is an error naming the entry; nothing changes then.

        >>> from autograd import Value
        >>> w = Value(1.0); opt = Adam([w], lr=0.1); (w * w).backward(); opt.step()
        >>> other = Adam([Value(1.0)]); other.load_state_dict(opt.state_dict())
        >>> other.lr, other.state_dict()["state"][0]["step"]
        (0.1, 1)
        """
        where = f"{type(self).__name__}.load_state_dict"
        if not isinstance(state_dict, dict) or not {"state", "param_groups"} <= set(state_dict):
            raise TypeError(
                f"{where}: expected a dict with 'state' and 'param_groups' (from state_dict()), got {state_dict!r:.200}"
            )
        settings = self._loaded_settings(where, state_dict["param_groups"])
        state = self._loaded_state(where, state_dict["state"])
        steps = check_integer(where, "steps", state_dict.get("steps", self.steps), minimum=0)
        for name, value in settings.items():
            setattr(self, name, value)
        self._state, self.steps = state, steps

    def _loaded_settings(self, where: str, groups) -> dict:
        """The settings of the one parameter group, checked as the constructor checks them."""
        if not isinstance(groups, list) or len(groups) != 1 or not isinstance(groups[0], dict):
            raise ValueError(
                f"{where}: param_groups must be a list of one dict (dagrad optimizers have one group), got {groups!r:.200}"
            )
        group = groups[0]
        expected = {"lr", *self.settings, "params"}
        if set(group) != expected:
            raise ValueError(
                f"{where}: param_groups[0] must have the keys {sorted(expected)}, got {sorted(map(str, group))}"
            )
        if group["params"] != list(range(len(self.params))):
            raise ValueError(
                f"{where}: the state is for parameters {group['params']!r:.200}, this optimizer has {len(self.params)}"
            )
        try:  # the constructor's checks
            checked = type(self)(self.params, **{name: group[name] for name in expected - {"params"}})
        except (TypeError, ValueError) as error:
            raise type(error)(f"{where}: param_groups[0]: {error}") from None
        return {name: getattr(checked, name) for name in ("lr", *self.settings)}

    def _loaded_state(self, where: str, state) -> dict:
        """The per-parameter state: {index: {key: number}} with this optimizer's keys."""
        if not isinstance(state, dict):
            raise TypeError(f"{where}: state must be a dict {{index: {{key: number}}}}, got {state!r:.200}")
        loaded = {}
        for key, entry in state.items():
            index = int(key) if isinstance(key, str) and key.isdigit() else key
            if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(self.params):
                raise ValueError(
                    f"{where}: state has an entry for parameter {key!r}; this optimizer has parameters 0..{len(self.params) - 1}"
                )
            if not isinstance(entry, dict) or set(entry) != set(self.state_keys):
                raise ValueError(
                    f"{where}: state[{key!r}] must have the keys {list(self.state_keys)}, got {entry!r:.200}"
                )
            loaded[index] = {
                name: self._state_number(where, f"state[{key!r}][{name!r}]", name, entry[name])
                for name in self.state_keys
            }
        return loaded

    @staticmethod
    def _state_number(where: str, what: str, name: str, value):
        if name == "step":
            return check_integer(where, what, value, minimum=1)
        return check_real(where, what, value, low=0.0 if name == "exp_avg_sq" else -math.inf)

    def to_torch(self, params, *, model=None):
        """The `torch.optim` optimizer with these settings over `params` (tensors or a torch
        module); with `model` (what `params` was exported from) the state moves too. See
        `nn.torch_export.torch_optimizer`. Needs PyTorch."""
        from nn.torch_export import torch_optimizer

        return torch_optimizer(self, params, model=model)


class SGD(Optimizer):
    """Stochastic gradient descent, PyTorch's formula:
    g = grad + weight_decay * p; buf = momentum * buf + g (buf = g on the first step); p -= lr * buf.

    >>> from autograd import Value
    >>> w = Value(1.0); opt = SGD([w], lr=0.1, momentum=0.9)
    >>> for _ in range(2):
    ...     opt.zero_grad(); (w * w).backward(); opt.step()   # grads 2.0 then 1.6
    >>> round(w.data, 10)   # 1 - 0.1 * 2 = 0.8, then buf = 0.9 * 2 + 1.6 = 3.4: 0.8 - 0.34
    0.46
    """

    def __init__(self, params: Iterable[Value], lr: float, momentum: float = 0.0, weight_decay: float = 0.0):
        super().__init__(params, lr)
        self.momentum = _check_number("SGD", "momentum", momentum, 0.0, 1.0, high_open=True)
        self.weight_decay = _check_number("SGD", "weight_decay", weight_decay)

    settings = ("momentum", "weight_decay")
    state_keys = ("momentum_buffer",)

    def _update(self, index: int, p: Value, lr: float) -> None:
        g = p.grad
        if self.weight_decay:
            g += self.weight_decay * p.data
        if self.momentum:
            state = self._state.get(index)
            if state is None:
                state = self._state[index] = {"momentum_buffer": g}
            else:
                g = state["momentum_buffer"] = self.momentum * state["momentum_buffer"] + g
        p.data -= lr * g


class Adam(Optimizer):
    """Adam (Kingma & Ba), PyTorch's formula with L2 weight decay added to the gradient:
    m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2; p -= lr * m_hat / (sqrt(v_hat) + eps),
    where m_hat = m / (1 - b1^t), v_hat = v / (1 - b2^t) and t counts this parameter's updates.

    >>> from autograd import Value
    >>> w = Value(1.0); opt = Adam([w], lr=0.1); (w * w).backward(); opt.step()
    >>> round(w.data, 9)   # the first step moves by lr * g / (|g| + eps): about lr
    0.9
    """

    def __init__(
        self,
        params: Iterable[Value],
        lr: float = 1e-3,
        betas: tuple = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ):
        super().__init__(params, lr)
        try:
            beta1, beta2 = betas
        except TypeError:
            raise TypeError(
                f"Adam: betas must be a pair (beta1, beta2), got {type(betas).__name__}: {betas!r}"
            ) from None
        except ValueError:
            raise ValueError(f"Adam: betas must be a pair (beta1, beta2), got {betas!r}") from None
        self.betas = (
            _check_number("Adam", "betas[0]", beta1, 0.0, 1.0, high_open=True),
            _check_number("Adam", "betas[1]", beta2, 0.0, 1.0, high_open=True),
        )
        self.eps = _check_number("Adam", "eps", eps)
        self.weight_decay = _check_number("Adam", "weight_decay", weight_decay)

    settings = ("betas", "eps", "weight_decay")
    state_keys = ("step", "exp_avg", "exp_avg_sq")  # updates t of this parameter, m, v

    def _update(self, index: int, p: Value, lr: float) -> None:
        beta1, beta2 = self.betas
        g = p.grad
        if self.weight_decay:
            g += self.weight_decay * p.data
        state = self._state.setdefault(index, {"step": 0, "exp_avg": 0.0, "exp_avg_sq": 0.0})
        t = state["step"] = state["step"] + 1
        m = state["exp_avg"] = beta1 * state["exp_avg"] + (1.0 - beta1) * g
        v = state["exp_avg_sq"] = beta2 * state["exp_avg_sq"] + (1.0 - beta2) * g * g
        m_hat = m / (1.0 - beta1**t)
        v_hat = v / (1.0 - beta2**t)
        p.data -= lr * m_hat / (math.sqrt(v_hat) + self.eps)


class LambdaLR:
    """Sets `optimizer.lr = schedule(step)` for step = 0 now and 1, 2, ... on each `step()`.

    >>> from autograd import Value
    >>> opt = SGD([Value(0.0)], lr=1.0); sched = LambdaLR(opt, lambda k: 1.0 / (k + 1))
    >>> sched.step(); sched.step(); opt.lr
    0.3333333333333333
    """

    def __init__(self, optimizer: Optimizer, schedule: Callable[[int], float]):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(self).__name__}: expected an nn optimizer, got {type(optimizer).__name__}")
        if not callable(schedule):
            raise TypeError(f"{type(self).__name__}: schedule must be callable(step) -> lr, got {schedule!r}")
        self.optimizer = optimizer
        self.schedule = schedule
        self.last_step = 0
        self._apply()

    def _apply(self) -> None:
        lr = self.schedule(self.last_step)
        self.optimizer.lr = _check_number(type(self).__name__, f"lr at step {self.last_step}", lr)

    def step(self) -> None:
        """Advance one step and set the optimizer's lr."""
        self.last_step += 1
        self._apply()

    def to_torch(self, optimizer):
        """A `torch.optim.lr_scheduler.LambdaLR` on the torch `optimizer` giving the same learning
        rates from the current step on; see `nn.torch_export.torch_scheduler`. Needs PyTorch."""
        from nn.torch_export import torch_scheduler

        return torch_scheduler(self, optimizer)


class LinearDecay(LambdaLR):
    """lr goes linearly from `start` (step 0) to `end` (step `total_steps`), then stays at `end`.
    micrograd's demo schedule is `LinearDecay(opt, 1.0, 0.1, 100)`.

    >>> from autograd import Value
    >>> opt = SGD([Value(0.0)], lr=1.0); sched = LinearDecay(opt, 1.0, 0.1, 100)
    >>> for _ in range(50): sched.step()
    >>> round(opt.lr, 12)
    0.55
    """

    def __init__(self, optimizer: Optimizer, start: float, end: float, total_steps: int):
        start = _check_number("LinearDecay", "start", start)
        end = _check_number("LinearDecay", "end", end)
        total_steps = check_integer("LinearDecay", "total_steps", total_steps, minimum=1)
        self.start, self.end, self.total_steps = start, end, total_steps
        super().__init__(optimizer, self._linear)

    def _linear(self, step: int) -> float:
        fraction = min(step, self.total_steps) / self.total_steps
        return self.start + (self.end - self.start) * fraction
