"""backward_steps, paths and the explorer's data, without a browser (tests/test_explore_browser.py
opens the page). Oracles: the engine's own backward(), the tutorial's figures, finite differences."""

import json
import math
import os
import re
import subprocess
import sys

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import autograd
import nn
from autograd import Value, backward_steps, explore, paths
from autograd.explorer import TooManyPathsError, count_paths
from autograd.explorer import GraphTooLargeError
from autograd.testing import programs_and_inputs

from explore_graphs import tutorial_network

RANDOM_PROGRAMS = programs_and_inputs(max_inputs=3, max_nodes=10)
EXAMPLES = settings.default.max_examples


def _run(case):
    program, inputs = case
    xs = [Value(x, label=f"x{i}") for i, x in enumerate(inputs)]
    return program(*xs), xs


# -- backward_steps ---------------------------------------------------------------------------


@settings(max_examples=EXAMPLES)
@given(RANDOM_PROGRAMS)
def test_step_totals_equal_the_grads_backward_writes_exactly(case):
    out, xs = _run(case)
    steps = backward_steps(out)
    assert all(not x.has_grad for x in xs)          # backward_steps wrote no .grad
    out.backward()
    for node in autograd.topological_order(out):
        if node.requires_grad:
            assert steps.grad(node) == node.grad, node
    # the running total after a parent's last contribution is its gradient
    last = {}
    for step in steps:
        for c in step.contributions:
            if c.total is not None:
                last[c.parent] = c.total
    for node, total in last.items():
        assert total == node.grad


@settings(max_examples=EXAMPLES)
@given(RANDOM_PROGRAMS)
def test_each_contribution_is_local_times_upstream_and_totals_accumulate(case):
    out, _ = _run(case)
    steps = backward_steps(out)
    seen = {}
    for step in steps:
        for c in step.contributions:
            if c.total is None:
                continue
            if c.local is not None and math.isfinite(c.contribution):
                assert math.isclose(c.contribution, c.local * step.upstream, rel_tol=1e-12, abs_tol=1e-300)
            assert c.previous == seen.get(c.parent)
            assert c.total == (c.contribution if c.previous is None else c.previous + c.contribution)
            seen[c.parent] = c.total


@settings(max_examples=EXAMPLES)
@given(RANDOM_PROGRAMS)
def test_steps_run_in_engine_order_each_node_after_all_its_users(case):
    out, _ = _run(case)
    steps = backward_steps(out)
    position = {step.node: i for i, step in enumerate(steps)}
    assert steps[0].node is out or not out.parents
    for step in steps:
        for c in step.contributions:
            if c.parent in position:    # an op node gets its upstream complete before it runs
                assert position[c.parent] > position[step.node]


def test_the_tutorial_figures_appear_at_their_steps():
    E, params = tutorial_network()
    w5 = params[4]
    steps = backward_steps(E)
    o1_step = next(s for s in steps if s.node.label == "out_o1")
    assert round(o1_step.upstream, 8) == 0.74136507                       # dE/dout_o1
    assert round(o1_step.contributions[0].local, 9) == 0.186815602        # dout_o1/dnet_o1
    w5_edge = next(c for s in steps for c in s.contributions if c.parent is w5)
    assert round(w5_edge.local, 9) == 0.593269992                         # dnet_o1/dw5 = out_h1
    assert round(w5_edge.contribution, 9) == 0.082167041                  # dE/dw5
    assert round(E.data, 9) == 0.298371109
    b1 = params[8]
    b1_edges = [c for s in steps for c in s.contributions if c.parent is b1]
    assert len(b1_edges) == 2 and not b1_edges[0].is_merge and b1_edges[1].is_merge


def test_a_value_used_twice_gets_two_contributions_the_second_a_merge():
    a = Value(3.0, label="a")
    y = a * a
    [step] = backward_steps(y)
    first, second = step.contributions
    assert (first.index, second.index) == (0, 1)
    assert (first.contribution, first.total, first.is_merge) == (3.0, 3.0, False)
    assert (second.contribution, second.previous, second.total, second.is_merge) == (3.0, 3.0, 6.0, True)
    assert "6 (+=)" in str(backward_steps(y))


def test_backward_steps_leaves_grads_from_an_earlier_pass_alone():
    x = Value(2.0)
    y = (x * x).exp()
    y.backward()
    before = x.grad
    steps = backward_steps(y)
    assert x.grad == before and steps.grad(x) == before


def test_a_constant_parent_gets_nothing():
    x = Value(2.0, label="x")
    c = Value(5.0, label="c", requires_grad=False)
    [step] = backward_steps(x * c)
    assert step.contributions[1].total is None and step.contributions[1].local == 2.0
    assert step.contributions[0].total == 5.0


def test_backward_steps_of_a_leaf_is_empty_and_of_a_constant_raises_like_backward():
    assert len(backward_steps(Value(1.0))) == 0
    constant = Value(1.0, requires_grad=False) * 2
    with pytest.raises(ValueError, match=r"is a constant \(requires_grad=False\)"):
        constant.backward()
    with pytest.raises(ValueError, match=r"backward_steps: the output Value\(data=2.0.* is a constant \(requires_grad=False\)"):
        backward_steps(constant)


def test_backward_steps_rejects_what_is_not_a_value():
    with pytest.raises(TypeError, match=r"backward_steps: expected a Value, got float: 3.0"):
        backward_steps(3.0)
    with pytest.raises(ValueError, match="backward_steps: invalid number_format 'q'"):
        backward_steps(Value(1.0), number_format="q")


def test_an_error_in_a_rule_names_the_op_and_leaves_the_graph_usable():
    x = Value(0.0)
    y = x.sqrt()
    with pytest.raises(ZeroDivisionError, match=r"backward of sqrt\(0.0\)"):
        backward_steps(y)
    z = x * 2
    assert backward_steps(z).grad(x) == 2.0


def test_the_observed_pass_is_the_same_pass_backward_runs():
    # The hook is an argument of the engine's pass, not a copy of it: with it, the pass still
    # returns the same order and gradients as without.
    from autograd.engine import _backpropagate, _release

    x, y = Value(0.7), Value(-1.3)
    out = (x * y + x.sin()) * (y.exp() + x)
    calls = []
    order = _backpropagate(out, 1.0, False, False, observer=lambda *a: calls.append(a))
    observed = {n: n._pass for n in order}
    _release(order)
    order2 = _backpropagate(out, 1.0, False, False)
    plain = {n: n._pass for n in order2}
    _release(order2)
    assert observed == plain and len(calls) == sum(1 for n in order if n.parents)


# -- paths ------------------------------------------------------------------------------------


@settings(max_examples=EXAMPLES)
@given(RANDOM_PROGRAMS)
def test_path_products_sum_to_the_gradient(case):
    out, xs = _run(case)
    out.backward()
    graph = set(autograd.topological_order(out))
    for x in xs:
        if x not in graph:   # an input the program does not use: no paths, and paths() says why
            with pytest.raises(ValueError, match="does not depend on"):
                paths(out, x)
            continue
        found = paths(out, x, max_paths=None)
        assert len(found) == count_paths(out, x)
        products = [p.product for p in found]
        if not all(math.isfinite(p) for p in products):
            continue
        total = math.fsum(products)
        assert math.isclose(total, x.grad, rel_tol=1e-9, abs_tol=1e-9 * (1 + sum(abs(p) for p in products)))


def test_every_path_runs_from_the_leaf_to_the_output_along_real_edges():
    E, params = tutorial_network()
    b1 = params[8]
    found = paths(E, b1)
    assert len(found) == 4   # b1 -> h1 or h2 -> o1 or o2
    for p in found:
        assert p.nodes[0] is b1 and p.nodes[-1] is E
        for (child, k), parent in zip(p.edges, p.nodes):
            assert child.parents[k] is parent
    E.backward()
    assert math.isclose(sum(p.product for p in found), b1.grad, rel_tol=1e-12)


def test_too_many_paths_says_how_many_without_listing_them():
    x = Value(1.0, label="x")
    y = x
    for _ in range(60):
        y = y * y   # 2 ** 60 paths: counting must not enumerate them
    y.label = "y"
    assert count_paths(y, x) == 2**60
    with pytest.raises(TooManyPathsError, match=r"there are 1,152,921,504,606,846,976 paths from x to y, more than max_paths=1000") as info:
        paths(y, x)
    assert info.value.count == 2**60


def test_paths_to_an_unrelated_value_or_with_swapped_arguments_say_why():
    x, z = Value(1.0, label="x"), Value(2.0, label="z")
    y = x * 3
    with pytest.raises(ValueError, match=r"paths: Value\(data=3.0.* does not depend on Value\(data=2.0.*label='z'.*not in the output's graph"):
        paths(y, z)
    with pytest.raises(ValueError, match=r"count_paths: .* does not depend on"):
        count_paths(y, z)
    with pytest.raises(ValueError, match=r"paths: Value\(data=3.0.* is computed from Value\(data=1.0.*label='x'.*did you swap the arguments\?"):
        paths(x, y)
    with pytest.raises(ValueError, match=r"paths: the output .* is a constant \(requires_grad=False\)"):
        paths(Value(2.0, requires_grad=False) * 2, x)
    with pytest.raises(TypeError, match="paths: leaf must be a Value, got int: 3"):
        paths(x * 3, 3)
    with pytest.raises(ValueError, match="paths: max_paths must be a positive integer or None, got 0"):
        paths(x * 3, x, max_paths=0)


def test_paths_stop_at_an_interior_value_with_requires_grad_false_as_backward_does():
    x = Value(3.0, label="x")
    y = x * x
    y.label = "y"
    y.requires_grad = False
    z = y + x
    z.label = "z"
    z.backward()
    found = paths(z, x)
    assert x.grad == 1.0 and [str(p) for p in found] == ["x -[1]-> z   product 1"]   # was 3 paths, summing to 7
    assert count_paths(z, x) == 1 and backward_steps(z).grad(x) == 1.0
    c = Value(2.0, label="c", requires_grad=False)
    assert paths(c * x, c) == [] and count_paths(c * x, c) == 0       # a constant leaf gets no gradient
    leaf = next(n for n in explore(z).data["nodes"] if n["name"] == "x")
    assert leaf["grad"] == 1.0 and math.isclose(leaf["fd"], 1.0, rel_tol=1e-6)   # y held fixed, as backward() does
    assert sum(p["product"] for p in leaf["paths"]["listed"]) == 1.0


@settings(max_examples=EXAMPLES)
@given(RANDOM_PROGRAMS, st.data())
def test_paths_backward_steps_and_backward_agree_with_constant_interior_nodes(case, data):
    """Guard (issue 21): random programs, random interior values set to requires_grad=False
    after the graph is built; the three views of the gradient must agree."""
    program, inputs = case
    xs = [Value(x, label=f"x{i}") for i, x in enumerate(inputs)]
    values = program.trace(xs)
    out = values[-1]
    interior = [v for v in values[len(xs):-1] if v is not out]
    for v in interior:
        if data.draw(st.booleans(), label=f"freeze {v!r}"):
            v.requires_grad = False
    steps = backward_steps(out)
    out.backward()
    graph = autograd.topological_order(out)
    for node in graph:
        if node.requires_grad:
            assert steps.grad(node) == node.grad, node
    for x in xs:
        if x not in set(graph):   # an input the program does not use: paths() says so (tested above)
            assert not x.has_grad
            continue
        if count_paths(out, x) > 2000:
            continue
        products = [p.product for p in paths(out, x, max_paths=None)]
        assume(all(math.isfinite(q) for q in products))
        assert math.isclose(math.fsum(products), x.grad, rel_tol=1e-9, abs_tol=1e-9 * max(1.0, math.fsum(abs(q) for q in products)))
        if not products:
            assert x.grad == 0.0


def test_a_path_through_a_dead_relu_prints_product_0_not_minus_0():
    x = Value(-2.0, label="x")
    y = (x * 3).relu() * -1.0
    y.label = "y"
    [path] = paths(y, x)
    assert path.product == 0 and str(path).endswith("product 0") and "-0" not in str(path)
    assert "-0" not in str(backward_steps(y))


# -- the explorer's data ---------------------------------------------------------------------


def _state_grads(ex, frame):
    return {i: s["grad"] for i, s in ex.state(frame).items()}


def test_the_last_frame_shows_exactly_the_engines_gradients():
    E, params = tutorial_network()
    ex = explore(E)
    E.backward()
    names = {n["id"]: n["name"] for n in ex.data["nodes"]}
    shown = _state_grads(ex, len(ex.frames) - 1)
    by_name = {names[i]: g for i, g in shown.items()}
    for p in params + [E]:
        assert by_name[p.label] == p.grad
    assert math.isclose(by_name["w5"], 0.082167041, abs_tol=5e-10)


def test_frames_run_forward_in_topological_order_then_backward_in_engine_order():
    E, _ = tutorial_network()
    ex = explore(E)
    kinds = [f["kind"] for f in ex.frames]
    assert kinds[0] == "start" and kinds[-1] == "done"
    seed = kinds.index("seed")
    assert set(kinds[1:seed]) == {"forward"} and set(kinds[seed + 1:-1]) == {"edge"}
    order = [f"v{i}" for i, _ in enumerate(autograd.topological_order(E))]
    forward = [f["nodes"][0] for f in ex.frames[2:seed]]
    assert forward == [i for i in order if i in forward]   # topological
    steps = [f["step"] for f in ex.frames if f["kind"] == "edge"]
    assert steps == sorted(steps)
    # forward: before its frame a value is not shown, after it it is
    f = ex.frames.index(next(fr for fr in ex.frames if fr.get("node") == forward[3] and fr["kind"] == "forward"))
    assert ex.state(f - 1)[forward[3]]["data"] is None and ex.state(f)[forward[3]]["data"] is not None


def test_a_merge_frame_says_grad_plus_equals():
    a = Value(3.0, label="a")
    y = a * a
    y.label = "y"
    ex = explore(y)
    edges = [f for f in ex.frames if f["kind"] == "edge"]
    assert [f["merge"] for f in edges] == [False, True]
    assert edges[1]["text"] == "y → a: local ∂y/∂a = 3 × upstream 1 = 3;  a.grad += 3 → 6"
    assert ex.state(ex.frames.index(edges[0]))["v0"]["grad"] == 3.0
    assert ex.state(ex.frames.index(edges[1]))["v0"]["grad"] == 6.0


def test_leaves_carry_a_finite_difference_estimate_beside_the_gradient():
    E, params = tutorial_network()
    ex = explore(E)
    E.backward()
    estimates = {n["name"]: n["fd"] for n in ex.data["nodes"] if "fd" in n}
    assert set(estimates) == {p.label for p in params}
    for p in params:
        assert math.isclose(estimates[p.label], p.grad, rel_tol=1e-5, abs_tol=1e-9)
    assert "fd" not in next(n for n in ex.data["nodes"] if n["name"] == "i1")   # a constant


def test_the_svg_has_every_node_and_edge_the_player_looks_for():
    E, _ = tutorial_network()
    ex = explore(E)
    svg = ex.data["svg"]
    for n in ex.data["nodes"]:
        assert f'id="{n["id"]}"' in svg
    for f in ex.frames:
        if f["kind"] == "edge":
            assert f'id="{f["edge"]}"' in svg and f'id="{f["op_edge"]}"' in svg
    assert svg.startswith("<svg") and "<?xml" not in svg


def test_a_too_large_graph_gets_a_clear_message_and_a_sub_graph_works():
    model = nn.MLP(2, [16, 16, 1], seed=0)
    out = model([0.5, -0.3])
    with pytest.raises(GraphTooLargeError, match=r"explore: the graph has 467 values and 98 ops, more than max_nodes=150.*around=some_value, depth=2"):
        explore(out)
    ex = explore(out, around=out.parents[0], depth=2)
    assert len(ex.data["nodes"]) < 150 and ex.data["subgraph"]["hidden"] > 0
    out.backward()
    shown = _state_grads(ex, len(ex.frames) - 1)
    for n, value in zip(ex.data["nodes"], ex.values):
        if value.requires_grad:
            assert shown[n["id"]] == value.grad   # a sub-graph still shows the real gradients


def test_a_neuron_of_an_mlp_is_grouped_by_its_parameter_names():
    model = nn.MLP(3, [2, 1], activation="tanh", seed=1)
    out = model([1.0, -2.0, 0.5])
    ex = explore(out)
    clusters = re.findall(r'<g id="clust\d+" class="cluster">\s*<title>[^<]*</title>.*?>([^<]+)</text>', ex.data["svg"], re.S)
    assert sorted(clusters) == ["layers.0.neurons.0", "layers.0.neurons.1", "layers.1.neurons.0"]
    out.backward()
    shown = _state_grads(ex, len(ex.frames) - 1)
    for n, value in zip(ex.data["nodes"], ex.values):
        if value.requires_grad:
            assert shown[n["id"]] == value.grad


def test_a_highlighted_path_names_its_nodes_and_edges():
    x = Value(2.0, label="x")
    y = x * x
    z = y + x
    p = paths(z, x)[1]
    ex = explore(z, highlight_path=p)
    assert ex.data["highlight"]["edges"] == ["e1_1", "o1", "e2_0", "o2"]
    leaf = next(n for n in ex.data["nodes"] if n["name"] == "x")
    assert leaf["paths"]["count"] == 3 and len(leaf["paths"]["listed"]) == 3
    assert ex.data["highlight"]["key"] == "v0:1"   # the player marks it in x's list of paths
    assert [q["text"] for q in leaf["paths"]["listed"]] == ["x → (input 1) v1 → v2", "x → (input 2) v1 → v2", "x → v2"]
    with pytest.raises(ValueError, match="explore: highlight_path must be a Path from autograd.paths"):
        explore(z, highlight_path=paths(y, x)[0])
    assert math.isclose(sum(q["product"] for q in leaf["paths"]["listed"]), 2 * 2.0 + 1)


def test_explore_names_bad_arguments():
    x = Value(1.0)
    with pytest.raises(TypeError, match="explore: expected a Value, got str: 'x'"):
        explore("x")
    with pytest.raises(ValueError, match="explore: around=Value.* is not in the graph"):
        explore(x * 2, around=Value(3.0))
    with pytest.raises(ValueError, match="explore: max_nodes must be a positive integer or None, got 0"):
        explore(x * 2, max_nodes=0)
    with pytest.raises(TypeError, match="explore: max_nodes must be a positive integer or None, got float: 5.0"):
        explore(x * 2, max_nodes=5.0)
    with pytest.raises(ValueError, match="explore: unknown rankdir 'up'; choose one of 'LR', 'TB', 'RL', 'BT'"):
        explore(x * 2, rankdir="up")
    with pytest.raises(ValueError, match="explore: invalid number_format 'q'"):
        explore(x * 2, number_format="q")
    with pytest.raises(TypeError, match="explore: number_format must be a format spec such as '.4g', got int: 4"):
        explore(x * 2, number_format=4)
    with pytest.raises(ValueError, match="explore: timeout must be a finite number >= 0, got -1"):
        explore(x * 2, timeout=-1)
    with pytest.raises(ValueError, match=r"explore: Value\(data=2.0.*is a constant \(requires_grad=False\)"):
        explore(Value(2.0, requires_grad=False))


def test_a_one_megabyte_label_is_shortened_as_the_pictures_shorten_it(tmp_path):
    x = Value(2.0, label="x" * 1_000_000)
    y = x * x
    y.label = "y"
    ex = explore(y)
    leaf = next(n for n in ex.data["nodes"] if n["id"] == "v0")
    assert leaf["name"] == "x" * 199 + "…" and leaf["label"] == leaf["name"]   # the Value keeps its label
    assert len(x.label) == 1_000_000 and ex.frames[-2]["text"].startswith("y → " + "x" * 199 + "…")
    page = ex.save_html(tmp_path / "big.html")
    assert os.path.getsize(page) < 200_000
    assert ">" + "x" * 199 + "…<" in autograd.to_dot(y)     # the same shortening as the pictures
    # the other texts that show names: the steps table and a path
    assert max(len(line) for line in str(backward_steps(y)).splitlines()) < 300
    assert len(str(paths(y, x)[0])) < 500


def test_tables_and_paths_write_lone_surrogates_visibly():
    x = Value(2.0, label="x\udc80")
    y = x * 3
    y.label = "y"
    assert "x\\xdc80" in str(backward_steps(y)) and "x\\xdc80" in str(paths(y, x)[0])
    backward_steps(y)._repr_html_().encode("utf-8")   # what Jupyter sends


def test_lone_surrogates_in_labels_and_titles_reach_the_page(tmp_path):
    x = Value(2.0, label="x\udc80")
    y = (x * 3).tanh()
    y.label = "y\ud800"
    ex = explore(y, title="backprop \udfff")
    page = open(ex.save_html(tmp_path / "s.html"), encoding="utf-8").read()
    names = sorted(n["name"] for n in ex.data["nodes"])
    assert "x\\xdc80" in names and "y\\xd800" in names and ex.data["title"] == "backprop \\xdfff"   # visible, as in pictures
    assert all(json.dumps(name, ensure_ascii=False)[1:-1] in page for name in names + [ex.data["title"]])
    json.dumps(ex.data).encode("utf-8")  # what Jupyter sends: encodable
    ex.save_html(tmp_path / "t.html", title="other \ud800")
    model = nn.MLP(2, [2, 1], seed=0)
    for p in model.parameters():
        p.label = p.label.replace("layers", "l\udc80ayers")
    loss = (model([0.5, -0.3]) - 1.0) ** 2
    explore(loss, collapse="neuron").save_html(tmp_path / "n.html")


def test_a_single_leaf_still_plays():
    ex = explore(Value(2.0, label="x"))
    assert [f["kind"] for f in ex.frames] == ["start", "forward", "seed", "done"]
    assert ex.state(3)["v0"] == {"data": 2.0, "grad": 1.0}


# -- the page and the widget -----------------------------------------------------------------


def test_the_page_is_self_contained_and_carries_the_data(tmp_path):
    E, _ = tutorial_network()
    ex = explore(E)
    path = ex.save_html(tmp_path / "net.html")
    page = open(path, encoding="utf-8").read()
    assert not [u for u in re.findall(r"(?:https?:)?//[\w.-]+", page) if "www.w3.org" not in u]
    assert re.search(r"<(script|link|img|iframe)[^>]+(src|href)=", page) is None
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page).group(1)
    assert csp.startswith("default-src 'none'; script-src 'sha256-")
    data = json.loads(re.search(r'<script type="application/json" id="dagrad-data">(.*?)</script>', page, re.S).group(1))
    assert data == json.loads(json.dumps(ex.data))
    assert sorted(os.listdir(tmp_path)) == ["net.html"]   # written atomically: no temporary left


def test_the_script_hash_in_the_policy_is_the_scripts():
    import base64
    import hashlib

    page = explore(Value(2.0) * 3).to_html()
    script = re.search(r"<script>(.*?)</script>", page, re.S).group(1)
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    assert f"'sha256-{digest}'" in page


def test_labels_cannot_break_out_of_the_page():
    x = Value(1.0, label="</script><script>alert(1)</script>")
    page = explore(x * 2).to_html()
    assert "<script>alert(1)" not in page


def test_the_widget_carries_the_same_data_and_a_synced_frame():
    pytest.importorskip("anywidget")
    E, _ = tutorial_network()
    ex = explore(E)
    w = ex.widget()
    assert w.data == ex.data and w.frame == 0
    assert "export default" in w._esm and "dagradExplorer" in w._esm and ".dagrad-explorer" in w._css
    assert "https://" not in w._esm and "import " not in w._esm.split("export default")[0]
    bundle = ex._repr_mimebundle_()
    data = bundle[0] if isinstance(bundle, tuple) else bundle
    assert "application/vnd.jupyter.widget-view+json" in data


def test_import_autograd_stays_light():
    code = "import sys, autograd; print(sorted(m for m in sys.modules if m.startswith(('anywidget', 'autograd.explorer', 'traitlets'))))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
    # the widget library is loaded only when a widget is shown, not by explore() or save_html
    code = ("import sys, autograd; x = autograd.Value(2.0); autograd.explore(x * x).to_html(); "
            "print('anywidget' in sys.modules, 'traitlets' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False False"


def test_without_anywidget_jupyter_gets_the_page_in_a_sandboxed_frame(monkeypatch):
    from autograd.explorer import player

    def missing():
        raise ImportError("explore: the Jupyter widget needs anywidget")

    monkeypatch.setattr(player, "_widget_class", missing)
    bundle = explore(Value(2.0, label="x") * 3)._repr_mimebundle_()
    assert bundle["text/html"].startswith('<iframe srcdoc="&lt;!DOCTYPE html&gt;')
    assert 'sandbox="allow-scripts"' in bundle["text/html"]


def test_around_an_nn_neuron_shows_its_parameters_and_their_real_gradients():
    model = nn.MLP(2, [16, 16, 1], activation="tanh", seed=0)
    out = model([0.5, -0.3])
    neuron = model.layers[1].neurons[3]
    ex = explore(out, around=neuron, depth=2)
    shown = {n["name"] for n in ex.data["nodes"]}
    assert {p.label for p in neuron.parameters()} <= shown and len(shown) < 150
    assert ex.data["subgraph"]["around"].startswith("layers.1.neurons.3.")
    out.backward()
    final = ex.state(len(ex.frames) - 1)
    for n, value in zip(ex.data["nodes"], ex.values):
        if value.requires_grad:   # every value drawn, its gradient complete even when it comes from outside
            assert final[n["id"]]["grad"] == value.grad, n["name"]
    assert sum(len(f.get("arrived", ())) for f in ex.frames) > 0   # applied silently, with the next frame
    with pytest.raises(TypeError, match="explore: around must be a Value, a list of Values or an nn module, got int: 3"):
        explore(out, around=3)


@settings(max_examples=min(EXAMPLES, 25))   # each example lays a graph out: a subprocess
@given(RANDOM_PROGRAMS)
def test_the_player_ends_at_the_engines_gradients_on_random_programs(case):
    out, _ = _run(case)
    ex = explore(out)
    final = ex.state(len(ex.frames) - 1)
    out.backward()
    def shown(x):  # JSON has no NaN or infinity: the player's data holds None for them
        return x if math.isfinite(x) else None

    for n, value in zip(ex.data["nodes"], ex.values):
        assert final[n["id"]]["data"] == shown(value.data)
        if value.requires_grad:
            assert final[n["id"]]["grad"] == shown(value.grad)


def test_nan_and_infinity_become_null_in_the_data_and_stay_readable_as_text():
    x = Value(float("inf"), label="x")
    y = Value(float("nan"), label="y")
    z = x * 2 + y
    ex = explore(z)
    page = ex.to_html()
    data = json.loads(re.search(r'<script type="application/json" id="dagrad-data">(.*?)</script>', page, re.S).group(1),
                      parse_constant=lambda name: pytest.fail(f"{name} in the page's JSON"))
    x_node = next(n for n in data["nodes"] if n["name"] == "x")
    assert x_node["data"] is None and x_node["data_text"] == "inf"
    assert next(n for n in data["nodes"] if n["name"] == "y")["data_text"] == "nan"


def test_paths_and_steps_through_a_negative_base_use_the_base_derivative():
    # d/dx (x - 3)**2 = 2 (x - 3) = -5 at 0.5: each rule runs on its own, so the undefined
    # exponent derivative (log of -2.5) does not hide the base's.
    from autograd import backward_steps, paths
    from autograd.explorer.steps import local_derivatives

    x = Value(0.5, label="x")
    y = (x - 3.0) ** 2
    assert local_derivatives(y) == [-5.0, None]
    [path] = paths(y, x)
    assert path.product == -5.0
    step = backward_steps(y).steps[0]
    assert [c.local for c in step.contributions] == [-5.0, None]
