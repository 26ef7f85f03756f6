"""explore(root, collapse="neuron" | "layer"): backprop one nn neuron (or layer) at a time.

Oracles: the engine's own backward() (every number the last frame shows), the render package's
collapsed view (the same boxes), and local × upstream = contribution on each edge."""

import math
import time

import pytest

import nn
from autograd import Value, explore
from autograd.explorer import GraphTooLargeError
from autograd.render import neurons as collapsing
from autograd.render.view import build_view


def _mlp_loss(seed=0, sizes=(16, 16, 1), activation="relu"):
    model = nn.MLP(2, list(sizes), activation=activation, seed=seed)
    out = model([0.5, -0.3])
    loss = (out - 1.0) ** 2
    loss.label = "loss"
    return model, loss


def _groups(ex):
    return [n for n in ex.data["nodes"] if n["kind"] in ("neuron", "layer")]


def _check_final_numbers(ex, view):
    """The last frame shows exactly what backward() wrote: each box's output grad, its weights'
    and bias's grads (a norm where there are several), each drawn value's grad."""
    final = ex.state(len(ex.frames) - 1)
    by_name = {g.name: g for g in view.groups}
    checked = 0
    for n in ex.data["nodes"]:
        shown = final[n["id"]]
        if n["kind"] == "value":
            value = next(v for v in ex.values if isinstance(v, Value) and v.label == n["label"]) if n["label"] else None
            if n["requires_grad"] and value is not None:
                assert shown["grad"] == value.grad
            continue
        group = by_name[n["name"]]
        out_grad = group.outputs[0].grad if len(group.outputs) == 1 else collapsing.norm(group.outputs)
        assert shown["grad"] == out_grad == n["grad"], n["name"]
        assert shown["data"] is not None
        assert shown["params"]["w"] == collapsing.norm(group.weights), n["name"]
        if group.biases:
            b = group.biases[0].grad if len(group.biases) == 1 else collapsing.norm(group.biases)
            assert shown["params"]["b"] == b, n["name"]
        checked += 1
    return checked


def test_an_mlp_loss_too_large_to_step_through_explores_with_one_box_per_neuron_quickly():
    model, loss = _mlp_loss()
    with pytest.raises(GraphTooLargeError) as error:
        explore(loss)
    message = str(error.value)
    for option in ('collapse="neuron"', 'collapse="layer"', "around=", "max_nodes=None", "471 values", "33 nn neurons"):
        assert option in message, option
    start = time.perf_counter()
    ex = explore(loss, collapse="neuron")
    elapsed = time.perf_counter() - start
    assert elapsed < 5.0, f"explore(collapse='neuron') took {elapsed:.2f} s"
    assert len(_groups(ex)) == 33
    view, _ = build_view(loss, collapse="neuron")   # the same boxes as the collapsed picture
    assert sorted(n["name"] for n in _groups(ex)) == sorted(g.name for g in view.groups)
    assert ex.state(0)[_groups(ex)[0]["id"]]["grad"] is None
    loss.backward()
    assert _check_final_numbers(ex, view) == 33
    assert ex.state(len(ex.frames) - 1)[ex.data["root"]]["grad"] == 1.0


def test_the_layer_view_ends_at_the_norms_of_the_engines_gradients():
    model, loss = _mlp_loss(seed=3, activation="tanh")
    ex = explore(loss, collapse="layer")
    assert [n["name"] for n in _groups(ex)] == ["layers.0", "layers.1", "layers.2"]
    view, _ = build_view(loss, collapse="layer")
    loss.backward()
    assert _check_final_numbers(ex, view) == 3
    vector = [f for f in ex.frames if f["kind"] == "edge" and f["vector"]]
    assert [(f["node_name"], f["parent_name"]) for f in vector] == [("layers.2", "layers.1"), ("layers.1", "layers.0")]
    # |contribution| from layers.1 to layers.0 is the norm of what the engine passed to layers.0's outputs
    layer0 = next(g for g in view.groups if g.name == "layers.0")
    assert math.isclose(vector[-1]["contribution"], collapsing.norm(layer0.outputs), rel_tol=1e-12)


def test_frames_run_forward_box_by_box_then_backward_each_box_after_all_its_uses():
    _, loss = _mlp_loss(seed=1, sizes=(4, 3, 1))
    ex = explore(loss, collapse="neuron")
    kinds = [f["kind"] for f in ex.frames]
    seed = kinds.index("seed")
    assert kinds[0] == "start" and kinds[-1] == "done"
    assert set(kinds[1:seed]) == {"forward"} and set(kinds[seed + 1:-1]) <= {"box", "edge"}
    nodes = {n["id"]: n for n in ex.data["nodes"]}
    seen = set()
    for f in ex.frames[1:seed]:   # forward: a box after every box it reads
        for i in f["nodes"]:
            assert all(p in seen for p in nodes[i]["parents"]), nodes[i]["name"]
        seen.update(f["nodes"])
    assert seen == set(nodes)
    backward = ex.frames[seed + 1:-1]
    for k, f in enumerate(backward):   # backward: a box passes on only once every use has reached it
        later_into = [g for g in backward[k + 1:] if g["kind"] == "edge" and g["parent"] == f["node"]]
        assert later_into == [], f["text"]
    # each neuron gets one "box" frame (its own weights and bias), then one frame per input box
    for n in _groups(ex):
        own = [f for f in backward if f["node"] == n["id"]]
        assert own[0]["kind"] == "box" and [f["kind"] for f in own[1:]] == ["edge"] * len(n["parents"])
    # stepping changes the box in play
    assert len({f["node"] for f in backward}) > 5


def test_each_edge_is_local_times_upstream_and_the_contributions_sum_to_the_engines_grad():
    _, loss = _mlp_loss(seed=2, sizes=(5, 4, 1), activation="tanh")
    ex = explore(loss, collapse="neuron")
    loss.backward()
    view, _ = build_view(loss, collapse="neuron")
    outputs = {g.name: g.outputs[0] for g in view.groups}
    received: dict = {}
    edges = [f for f in ex.frames if f["kind"] == "edge"]
    assert edges
    for f in edges:
        assert math.isclose(f["contribution"], f["local"] * f["upstream"], rel_tol=1e-12, abs_tol=1e-300)
        if f["parent_name"] in outputs:
            assert f["upstream"] == (outputs[f["node_name"]].grad if f["node_name"] in outputs else f["upstream"])
            received.setdefault(f["parent_name"], []).append(f["contribution"])
    for name, contributions in received.items():
        assert math.isclose(math.fsum(contributions), outputs[name].grad, rel_tol=1e-12, abs_tol=1e-15), name
    merges = [f for f in edges if f["merge"]]
    assert merges and all("+=" in f["text"] for f in merges)   # a neuron used by several: grad += contribution


def test_a_single_neuron_and_two_samples_sharing_weights():
    neuron = nn.Neuron(3, activation="tanh", seed=4)
    y = neuron([1.0, -2.0, 0.5])
    ex = explore(y, collapse="neuron")
    assert [n["name"] for n in _groups(ex)] == ["neuron"] or len(_groups(ex)) == 1
    y.backward()
    assert _check_final_numbers(ex, build_view(y, collapse="neuron")[0]) == 1

    model = nn.MLP(2, [3, 1], activation="tanh", seed=5)
    loss = sum(((model(x) - t) ** 2 for x, t in (([0.5, -0.3], 1.0), ([-1.0, 2.0], -1.0))), Value(0.0))
    ex = explore(loss, collapse="neuron")
    assert len(_groups(ex)) == 8   # one box per neuron per sample
    loss.backward()
    final = ex.state(len(ex.frames) - 1)
    for layer_index, layer in enumerate(model.layers):   # a weight used by two boxes: both show its full grad
        for j, neuron in enumerate(layer.neurons):
            boxes = [n for n in _groups(ex) if n["name"] == f"layers.{layer_index}.neurons.{j}"]
            assert len(boxes) == 2
            for n in boxes:
                assert final[n["id"]]["params"]["w"] == collapsing.norm(neuron.w)


def test_collapse_on_a_graph_without_nn_neurons_still_plays_and_bad_arguments_are_named():
    a = Value(2.0, label="a")
    b = Value(-3.0, label="b")
    c = a * b + a
    c.label = "c"
    ex = explore(c, collapse="neuron")
    assert "No nn neurons found" in ex.frames[0]["text"]
    c.backward()
    final = ex.state(len(ex.frames) - 1)
    grads = {n["name"]: final[n["id"]]["grad"] for n in ex.data["nodes"]}
    assert grads["a"] == a.grad and grads["b"] == b.grad and grads["c"] == 1.0
    with pytest.raises(ValueError, match="explore: unknown collapse 'neurons'; choose one of None, 'neuron', 'layer'"):
        explore(c, collapse="neurons")
    with pytest.raises(ValueError, match="collapse cannot be combined with around="):
        explore(c, collapse="neuron", around=a)
    _, loss = _mlp_loss()
    with pytest.raises(GraphTooLargeError, match=r'neuron view of the graph has 35 boxes, more than max_nodes=10.*collapse="layer"'):
        explore(loss, collapse="neuron", max_nodes=10)


def test_the_collapsed_page_is_self_contained():
    _, loss = _mlp_loss(sizes=(3, 1))
    page = explore(loss, collapse="layer").to_html()
    assert "default-src 'none'" in page and "http://" not in page.replace("http://www.w3.org", "")
    assert '"collapse": "layer"' in page


from hypothesis import given, settings  # noqa: E402

from autograd.testing import programs_and_inputs  # noqa: E402


@settings(max_examples=min(settings.default.max_examples, 25))   # each example lays a graph out
@given(programs_and_inputs(max_inputs=3, max_nodes=10))
def test_on_any_program_the_collapsed_player_ends_at_the_engines_gradients(case):
    # no nn neurons: every value is its own box, and a value used twice by one op is one edge
    # carrying the sum of both contributions; the totals still end at the engine's, exactly
    program, inputs = case
    xs = [Value(x, label=f"x{i}") for i, x in enumerate(inputs)]
    out = program(*xs)
    if not out.requires_grad:
        return
    ex = explore(out, collapse="neuron")
    final = ex.state(len(ex.frames) - 1)
    out.backward()
    by_label = {x.label: x for x in xs}
    for n in ex.data["nodes"]:
        if n["label"] in by_label:
            x = by_label[n["label"]]
            expected = x.grad if math.isfinite(x.grad) else None
            assert final[n["id"]]["grad"] == expected, n["name"]
