"""The graph walk and the one backward pass: `topological_order`, `grad`, `backward`, `observe_backward`.

The algorithm is the one in `autograd/reference.py` (read that first: twenty plain lines), made
fast: instead of a set of visited nodes and a dict of gradients, each node carries one slot,
`_pass`, that a backward pass uses for both. Its states:

    state          meaning                                                   set by
    _CONSTANT      requires_grad=False: never visited, gets no gradient      Value, opcall (node made)
    _UNSEEN        no backward pass is using this node                       Value, opcall, _release
    _EXPANDED      `_visit` has pushed its parents, not yet finished it     _visit
    None           finished by `_visit`: in the order, no gradient yet       _visit
    a number/Value the gradient so far (complete once the walk reaches it)   _backpropagate

and `_release` sets every visited node back to `_UNSEEN`. A node's inputs sit in two slots,
`_p0` and `_p1` (one or two inputs; a number input is a plain float there), or, for any other
op, `_p0` is None and `_p1` is the tuple of inputs.

Nothing here recurses, so graphs of any depth work with the default recursion limit.
"""

from __future__ import annotations

import math
import numbers
from typing import Any, Callable, Iterable, Optional, Sequence, Union

from autograd import gradmode as _gradmode
from autograd.checks import as_float
from autograd.gradmode import is_recording, no_grad
from autograd.value import _CONSTANT, _UNSEEN, Value

# What `observe_backward` calls once per op node: (node, upstream gradient, contributions, totals).
Observer = Callable[[Value, float, list, list], None]

# A node's `_pass` while `_visit` has pushed its parents but not yet finished it.
_EXPANDED = object()

__all__ = ["topological_order", "grad", "backward", "observe_backward", "no_grad", "is_recording"]


def _visit(root: Value) -> list[Value]:
    """Every node needing a gradient that `root` (which needs one) depends on through such
    nodes, each after all of its parents (`root` last), leaving each one's `_pass` at None. The
    caller must set every `_pass` back to `_UNSEEN` (`_release`). Constants are never visited:
    their mark `_CONSTANT` is not `_UNSEEN`.

    Iterative depth-first search; the per-node mark replaces a set of visited nodes. A node
    whose parents are all finished is finished at once. Otherwise it is expanded (mark
    `_EXPANDED`, pushed under its other unseen parent while the walk goes straight on to the
    first) and finished when it comes back up with that mark; every node above it on the stack
    is one of its ancestors, so nothing else can see it half-done.
    """
    order: list[Value] = []
    stack: list[Value] = [root]
    push, pop, append = stack.append, stack.pop, order.append
    unseen, expanded, number = _UNSEEN, _EXPANDED, float
    try:
        while stack:
            node = pop()
            mark = node._pass
            if mark is expanded:
                node._pass = None
                append(node)
                continue
            if mark is not unseen:  # finished already: it was pushed by two children
                continue
            # Descend: go straight on to an unseen parent rather than pushing and popping it
            # (a chain is walked down in one inner loop).
            while True:
                a, b = node._p0, node._p1
                if a is not None:  # a unary or binary op: parents in slots, a number as a float in b
                    a_unseen = a._pass is unseen
                    b_unseen = b is not None and type(b) is not number and b._pass is unseen
                    if a_unseen or b_unseen:
                        node._pass = expanded
                        push(node)
                        if a_unseen:
                            if b_unseen:
                                push(b)
                            node = a
                        else:
                            node = b
                        continue
                elif b:  # any other op: the tuple of its parents (a number only first, as in `3 - x`)
                    if type(b[0]) is number:
                        b = b[1:]
                    unseen_parents = [p for p in reversed(b) if p._pass is unseen]
                    if unseen_parents:
                        node._pass = expanded
                        push(node)
                        stack += unseen_parents
                        break
                node._pass = None
                append(node)
                break
    except BaseException:
        _release(order)
        _release(stack)
        raise
    return order


def _release(nodes: Iterable[Value]) -> None:
    """Mark `nodes` as outside any backward pass again (and drop the gradients they held)."""
    unseen = _UNSEEN
    for node in nodes:
        node._pass = unseen


def topological_order(root: Union[Value, Sequence[Value]]) -> list[Value]:
    """Every node `root` depends on, each after all of its parents (`root` last). `root` may be
    several outputs: one walk visits each shared node once.

    Iterative depth-first search; parents are visited in their stored order, so the order is
    deterministic for a given graph. Unlike `_visit` it includes constants, which have no
    visit mark, so it keeps its own sets (it is not on the path of a backward pass).

    >>> a = Value(1.0, "a"); b = a * a; c = b + a
    >>> [v.label or v.op for v in topological_order(c)]
    ['a', 'mul', 'add']
    >>> [v.label or v.op for v in topological_order([b, c])]
    ['a', 'mul', 'add']
    """
    order: list[Value] = []
    finished: set = set()
    expanded: set = set()
    stack = [root] if isinstance(root, Value) else list(reversed(root))
    while stack:
        node = stack.pop()
        if node in finished:
            continue
        if node not in expanded:
            unfinished = [p for p in reversed(node.parents) if p not in finished]
            if unfinished:
                expanded.add(node)
                stack.append(node)
                stack += unfinished
                continue
        finished.add(node)
        order.append(node)
    return order


def _backpropagate(
    root: Value, seed: Any, create_graph: bool, write_grad: bool, observer: Optional[Observer] = None
) -> list[Value]:
    """The one backward pass: d(root)/d(node) for every node that needs a gradient.

    Walks the nodes in reverse topological order, so each node's gradient (held in its `_pass`
    slot while the pass runs) is complete before it is passed on to the parents through the
    op's rules: `_float_pass` for a first-order pass (the hot loop), `_general_pass` with
    `create_graph` (the rules run on Values and build a new graph) or an `observer`.

    With `write_grad` each node's gradient goes to `.grad` once the whole pass has succeeded
    (leaves accumulate, interior nodes are overwritten; a pass that raises changes no `.grad`)
    and every mark is released; the list returned is then empty. Otherwise the nodes are
    returned still holding their gradients in `_pass`, and the caller reads them and calls
    `_release`.

    Only nodes that need a gradient are visited, so each one gets some; a constant root has
    nothing to pass on. For a parent, `_pass` is loaded once: it tells whether the parent is a
    constant (then its rule is not run) and holds the gradient it has so far.

    Overflow has the forward's policy: a gradient that is not finite although every number it
    came from is raises OverflowError (ValueError for NaN) naming the op and its inputs. The pass
    does not check each edge (that would slow it down): a non-finite gradient at a leaf sends it
    to `_explain_nonfinite`, which finds the first such rule, or accepts the result when the
    non-finite numbers came from the data (NaN and infinities propagate).

    `observer` (the engine's side of the public `observe_backward`), if given, is called once per
    op node, after its contributions were added, as `observer(node, grad, contributions,
    totals)`: the node's complete upstream gradient, then per parent (in order, repeats kept)
    the contribution passed to it and the parent's running total right after adding it (None
    for a constant parent).
    """
    if root._pass is _CONSTANT:
        return []
    order = _visit(root)
    root._pass = seed
    try:
        if create_graph or observer is not None:
            nonfinite = _general_pass(order, create_graph, observer)
        else:
            nonfinite = _float_pass(order)
        if nonfinite:  # rare: find the rule that overflowed, or accept what came from the data
            _explain_nonfinite(order, root, seed)
    except BaseException:
        _release(order)
        raise
    if not write_grad:
        return order
    unseen = _UNSEEN
    for node in order:
        g = node._pass
        node._pass = unseen
        if node._op is not None or node._grad is None:
            node._grad = g
        else:
            node._grad += g
    return []


def _float_pass(order: list[Value]) -> bool:
    """`_backpropagate`'s hot loop: a first-order pass, every rule run on floats. True when a
    non-finite gradient reached a leaf.

    It runs once per node of every backward pass, so it is written for speed, not brevity: the
    one- and two-input ops (inputs in the slots `_p0` and `_p1`, see `autograd.value.Value`)
    come first and build no argument lists; locals replace globals. A number input is a float in
    `_p1` (never in `_p0`): it is passed to the rule as it is and gets no gradient.
    """
    constant, number = _CONSTANT, float
    nonfinite = False
    node = None
    try:
        for node in reversed(order):
            g = node._pass
            op = node._op
            if op is None:
                # A non-finite gradient reaches some leaf (every rule multiplies by the upstream
                # gradient, and inf * 0 is NaN), so checking the leaves is enough: the hot
                # loop over interior nodes pays nothing.
                if g - g:  # inf or nan give nan, which is truthy
                    nonfinite = True
                continue
            a, b = node._p0, node._p1
            if a is not None:
                rules = op.rules
                previous = a._pass
                if b is None:  # one input
                    if previous is not constant:
                        contribution = rules[0](g, node.data, a.data)
                        a._pass = contribution if previous is None else previous + contribution
                    continue
                out, x = node.data, a.data
                if type(b) is number:  # a number second: a alone gets a gradient
                    if previous is not constant:
                        contribution = rules[0](g, out, x, b)
                        a._pass = contribution if previous is None else previous + contribution
                    continue
                y = b.data
                if previous is not constant:
                    contribution = rules[0](g, out, x, y)
                    a._pass = contribution if previous is None else previous + contribution
                previous = b._pass  # read after a's update: `a * a` has b is a
                if previous is not constant:
                    contribution = rules[1](g, out, x, y)
                    b._pass = contribution if previous is None else previous + contribution
            elif op.rules is None:  # an n-ary op (sum, dot): the tuple of its inputs, all Values
                contributions = op.nary_rule(g, node.data, [p.data for p in b])
                for parent, contribution in zip(b, contributions):
                    previous = parent._pass
                    if previous is not constant:
                        parent._pass = contribution if previous is None else previous + contribution
            elif len(b) == 2 and type(b[0]) is number:  # a number first (`1 - x`, `2 * x`)
                previous = b[1]._pass
                if previous is not constant:
                    contribution = op.rules[1](g, node.data, b[0], b[1].data)
                    b[1]._pass = contribution if previous is None else previous + contribution
            else:  # an op of more inputs with a rule each: not hot
                _general_node(node, g, False, None)
    except (ArithmeticError, ValueError) as error:
        raise _backward_error(node, error) from error
    return nonfinite


def _general_pass(order: list[Value], create_graph: bool, observer: Optional[Observer]) -> bool:
    """`_backpropagate` with `create_graph` (rules run on Values, building the gradients' graph)
    or an `observer`: the same sums as `_float_pass`, node by node through `_general_node`."""
    nonfinite = False
    node = None
    try:
        for node in reversed(order):
            g = node._pass
            if node._op is None:
                if not create_graph and g - g:  # see `_float_pass`
                    nonfinite = True
                continue
            _general_node(node, g, create_graph, observer)
    except (ArithmeticError, ValueError) as error:
        raise _backward_error(node, error) from error
    return nonfinite


def _general_node(node: Value, g: Any, create_graph: bool, observer: Optional[Observer]) -> None:
    """Pass `node`'s gradient `g` on to its parents, for any layout of its inputs (slots or
    tuple, numbers as floats); with `observer`, tell it what was added where."""
    a, b = node._p0, node._p1
    inputs = b if a is None else ((a,) if b is None else (a, b))  # Values, and numbers as floats
    op, number, constant = node._op, float, _CONSTANT
    wanted = [type(p) is not number and p._pass is not constant for p in inputs]
    out = node if create_graph else node.data
    arguments = inputs if create_graph else [p if type(p) is number else p.data for p in inputs]
    if op.rules is not None:
        contributions = [rule(g, out, *arguments) if w else None for w, rule in zip(wanted, op.rules)]
    else:
        contributions = op.nary_rule(g, out, arguments)
    totals = []
    for parent, w, contribution in zip(inputs, wanted, contributions):
        if w:
            previous = parent._pass
            parent._pass = contribution if previous is None else previous + contribution
        totals.append(parent._pass if w else None)
    if observer is not None:
        observer(node, g, contributions, totals)


def _backward_error(node: Optional[Value], error: Exception) -> Exception:
    """A rule raised: the same kind of error, naming the op and its inputs."""
    if node is None or node._op is None:
        return error
    at = ", ".join(repr(p.data) for p in node.parents)
    return type(error)(f"backward of {node._op.name}({at}): {_reason(error)}")


def _explain_nonfinite(order: list[Value], root: Value, seed: float) -> None:
    """Run the float rules again, checking each contribution: the first one that is not finite
    although its upstream gradient, output and inputs are raises OverflowError (or the rule's
    own error). Non-finite numbers that come from the data are left alone (IEEE 754)."""
    gradients = {root: seed}
    for node in reversed(order):
        op = node._op
        g = gradients.get(node)
        if op is None or g is None:
            continue
        parents = node.parents
        inputs = [p.data for p in parents]
        if op.rules is not None:
            contributions = [
                checked_rule(op, i, rule, g, node.data, inputs) if p.requires_grad else None
                for i, (p, rule) in enumerate(zip(parents, op.rules))
            ]
        else:
            contributions = checked_rule(op, None, op.nary_rule, g, node.data, inputs)
        for parent, c in zip(parents, contributions):
            if parent.requires_grad and c is not None:
                if parent not in gradients:
                    gradients[parent] = c
                    continue
                total = gradients[parent] + c
                if not math.isfinite(total) and math.isfinite(c) and math.isfinite(gradients[parent]):
                    raise OverflowError(
                        f"backward: the gradients reaching {parent!r} add up to {total!r}: the sum overflows a float"
                    )
                gradients[parent] = total


def checked_rule(op: Any, index: Optional[int], rule: Callable, g: float, out: float, inputs: list) -> Any:
    """One float rule (or, with `index` None, an n-ary rule) whose result must be finite when
    `g`, `out` and `inputs` are: else OverflowError (inf) or ValueError (NaN) naming the op and
    its inputs. The scalar engine and the tape use it to explain a non-finite gradient the same
    way. (A user rule that ignores its upstream gradient can hide an overflow above it from the
    leaves, where the pass looks; every built-in rule multiplies by it.)"""
    at = ", ".join(repr(x) for x in inputs)
    try:
        result = rule(g, out, inputs) if index is None else rule(g, out, *inputs)
    except (ArithmeticError, ValueError) as error:
        raise type(error)(f"backward of {op.name}({at}): {_reason(error)}") from error
    results = result if index is None else [result]
    numbers_in = [g, out, *inputs]
    if all(math.isfinite(x) for x in numbers_in):
        for i, r in enumerate(results):
            if not math.isfinite(r):
                which = index if index is not None else i
                if math.isnan(r):  # as the forward: NaN from finite numbers is an error
                    raise ValueError(
                        f"backward of {op.name}({at}): the gradient for input {which} is NaN for finite "
                        f"numbers (upstream gradient {g!r})"
                    )
                raise OverflowError(
                    f"backward of {op.name}({at}): the gradient for input {which} is {r!r} "
                    f"(upstream gradient {g!r}): it overflows a float"
                )
    return result


def _reason(error: Exception) -> str:
    if isinstance(error, OverflowError) and "overflow" not in str(error):
        return f"a gradient overflows a float ({error})"
    return str(error)


def _constant_root_error(where: str, root: Value) -> ValueError:
    return ValueError(
        f"{where}: the output {root!r} is a constant (requires_grad=False): it was computed inside "
        "no_grad(), from constants only, or detached, so no gradient can flow from it to anything "
        "(as in PyTorch, this is an error rather than gradients of 0)"
    )


def _check_seed(seed: Any, where: str) -> Union[Value, float]:
    if isinstance(seed, Value):
        return seed
    if isinstance(seed, numbers.Real) and not isinstance(seed, bool):
        return as_float(f"{where}: the seed gradient", seed)
    raise TypeError(f"{where}: the seed gradient must be a real number, got {type(seed).__name__}: {seed!r}")


def _float_seed(root: Value, seed: Any, where: str) -> float:
    """The seed of a pass from `root` that writes no graph (`backward`, `observe_backward`), as a
    float: TypeError for a seed that is not a number, ValueError for a constant root."""
    checked = _check_seed(seed, where)
    if isinstance(checked, Value):
        checked = checked.data
    if root._pass is _CONSTANT:
        raise _constant_root_error(where, root)
    return checked


def backward(root: Value, grad: float = 1.0) -> None:
    """Write d(root)/d(node) into `.grad` of every node in root's graph.

    Leaves accumulate (add to what they hold, like PyTorch); interior nodes are overwritten
    with this pass's gradient. Nodes with `requires_grad=False` (constants) are untouched. A
    constant root (built under `no_grad`, or from constants only) is a ValueError, as in PyTorch.

    >>> x = Value(3.0); y = x * x
    >>> backward(y); x.grad
    6.0
    """
    if not isinstance(root, Value):
        raise TypeError(f"backward: expected a Value, got {type(root).__name__}: {root!r}")
    _backpropagate(root, _float_seed(root, grad, "backward"), create_graph=False, write_grad=True)


def grad(
    output: Value,
    inputs: Union[Value, Sequence[Value]],
    create_graph: bool = False,
    grad_output: Union[Value, float] = 1.0,
    *,
    allow_constant: bool = False,
) -> list[Any]:
    """Gradients of `output` with respect to each of `inputs`, as a list; no `.grad` changes.

    With `create_graph=False` the gradients are floats. With `create_graph=True` they are
    Values whose own graph can be differentiated again (second and higher derivatives,
    Hessian-vector products), also inside `no_grad()` (as in PyTorch). An input that `output`
    does not depend on gets 0. A constant `output` (requires_grad=False) is a ValueError, as in
    PyTorch, unless `allow_constant=True`, which gives 0 for every input (for code that
    differentiates derivatives which may be constant, such as a gradient checker).

    Only the gradients asked for can make `grad` fail: with a learnable y at x = -2,
    `grad(x ** y, [x])` is 12 (as in PyTorch), though d/dy x**y = x**y log x is undefined there.
    Asking for y's gradient (or `backward()`, which computes every leaf's) raises ValueError
    naming pow and its inputs (`backward of pow(-2.0, 3.0): log(-2.0): ...`), where PyTorch gives
    NaN: dagrad's rule that an undefined number is an error, not a silent NaN.

    >>> x = Value(3.0)
    >>> [dy] = grad(x ** 3, [x], create_graph=True)
    >>> [d2y] = grad(dy, [x])
    >>> dy.data, d2y
    (27.0, 18.0)
    >>> base, exponent = Value(-2.0), Value(3.0)
    >>> grad(base ** exponent, [base])
    [12.0]
    """
    if not isinstance(output, Value):
        raise TypeError(f"grad: output must be a Value, got {type(output).__name__}: {output!r}")
    wrt = [inputs] if isinstance(inputs, Value) else list(inputs)
    for i, x in enumerate(wrt):
        if not isinstance(x, Value):
            raise TypeError(f"grad: inputs[{i}] must be a Value, got {type(x).__name__}: {x!r}")
    seed = _check_seed(grad_output, "grad")
    if output._pass is _CONSTANT and not allow_constant:
        raise _constant_root_error("grad", output)
    zero: Union[Value, float]
    if create_graph:
        if not isinstance(seed, Value):
            seed = Value(seed, requires_grad=False)
        zero = Value(0.0, requires_grad=False)
    else:
        zero = 0.0
        if isinstance(seed, Value):
            seed = seed.data
    # Inside no_grad(), create_graph=True still builds the gradients' graph (as in PyTorch).
    token = _gradmode._recording_here.set(True) if create_graph and not _gradmode._recording() else None
    try:
        try:
            order = _backpropagate(output, seed, create_graph=create_graph, write_grad=False)
        except (ArithmeticError, ValueError):
            order = None  # perhaps from a gradient nobody asked for: pass again, toward `inputs` only
        if order is None:  # (outside the handler: an error here is the one to report, alone)
            gradients = _gradients_toward(output, seed, create_graph, wrt)
            return [gradients.get(x, zero) for x in wrt]
    finally:
        if token is not None:
            _gradmode._recording_here.reset(token)
    # Read before releasing: an input outside the graph (or a constant) holds no gradient.
    grads = [x._pass if x._pass is not _UNSEEN and x._pass is not _CONSTANT else zero for x in wrt]
    _release(order)
    return grads


def _gradients_toward(root: Value, seed: Union[float, Value], create_graph: bool, inputs: list) -> dict:
    """{node: d root / d node} for the nodes on a path from `root` down to one of `inputs`: the
    pass of `grad` once more, when the full one raised, so that a gradient nobody asked for
    cannot make the asked-for ones fail (at x < 0, d/dy x**y = x**y log x is undefined while
    d/dx is not: `grad(x ** y, [x])` is asked for x's only). A rule runs only for a parent on
    such a path, so an error here is one of the requested gradients' and is raised. The plain
    algorithm of `reference.py` with a dict (the rare path), each float contribution checked
    as `_explain_nonfinite` checks them."""
    order = topological_order(root)
    toward = {x for x in inputs if x.requires_grad}
    for node in order:  # parents first: one pass finds every node that depends on an input
        if node.requires_grad and node._op is not None and any(p in toward for p in node.parents):
            toward.add(node)
    gradients = {root: seed} if root in toward else {}
    for node in reversed(order):
        g = gradients.get(node)
        op = node._op
        if g is None or op is None:
            continue
        parents = node.parents
        out, values = (node, parents) if create_graph else (node.data, [p.data for p in parents])
        wanted = [k for k, p in enumerate(parents) if p in toward]
        if op.rules is not None:
            contributions = {k: _contribution(op, k, op.rules[k], g, out, values, create_graph) for k in wanted}
        else:
            every = _contribution(op, None, op.nary_rule, g, out, values, create_graph)
            contributions = {k: every[k] for k in wanted}
        for k, c in contributions.items():
            parent = parents[k]
            previous = gradients.get(parent)
            total = c if previous is None else previous + c
            if (
                not create_graph
                and previous is not None
                and not math.isfinite(total)
                and math.isfinite(c)
                and math.isfinite(previous)
            ):
                raise OverflowError(
                    f"backward: the gradients reaching {parent!r} add up to {total!r}: the sum overflows a float"
                )
            gradients[parent] = total
    return gradients


def _contribution(
    op: Any, index: Optional[int], rule: Callable, g: Any, out: Any, inputs: Sequence, create_graph: bool
) -> Any:
    """One rule's result (all of an n-ary rule's with `index` None): on floats checked by
    `checked_rule`; on Values (create_graph) its error named as the backward pass names it."""
    if not create_graph:
        return checked_rule(op, index, rule, g, out, list(inputs))
    try:
        return rule(g, out, inputs) if index is None else rule(g, out, *inputs)
    except (ArithmeticError, ValueError) as error:
        at = ", ".join(repr(x.data) for x in inputs)
        raise type(error)(f"backward of {op.name}({at}): {_reason(error)}") from error


def observe_backward(root: Value, observer: Observer, grad: float = 1.0) -> dict[Value, float]:
    """Run the backward pass from `root` and watch it, one op node at a time; no `.grad` changes.

    It is the engine's own pass (the one `backward` runs), in its order: `observer(node, upstream,
    contributions, totals)` is called once per op node, after the node has passed its gradient
    on. `upstream` is d(root)/d(node), complete by then; `contributions` holds, per parent (in
    order, repeats kept), what was added to that parent's gradient (None for a constant parent,
    which gets nothing), and `totals` the parent's running total right after the addition (None
    for a constant). Returns {node: d(root)/d(node)} for every node that needs a gradient
    (`reference_gradients` gives the same numbers). `autograd.explorer.backward_steps` is built
    on it.

    >>> from autograd import Value
    >>> a = Value(3.0, label="a"); b = a * a; c = b + a
    >>> seen = []
    >>> grads = observe_backward(c, lambda node, g, contributions, totals: seen.append((node.op, g, contributions, totals)))
    >>> seen                    # add passes 1 to b and to a; mul then adds 3 and 3 to a
    [('add', 1.0, [1.0, 1.0], [1.0, 1.0]), ('mul', 1.0, [3.0, 3.0], [4.0, 7.0])]
    >>> grads[a], a.grad        # a is used three times: 1 + 3 + 3; .grad is not written
    (7.0, 0.0)
    """
    if not isinstance(root, Value):
        raise TypeError(f"observe_backward: expected a Value, got {type(root).__name__}: {root!r}")
    if not callable(observer):
        raise TypeError(f"observe_backward: observer must be callable, got {type(observer).__name__}: {observer!r}")
    seed = _float_seed(root, grad, "observe_backward")
    order = _backpropagate(root, seed, create_graph=False, write_grad=False, observer=observer)
    try:
        return {node: node._pass for node in order}
    finally:
        _release(order)
