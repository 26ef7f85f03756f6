"""The saved explorer page in a real browser: Debian's Chromium driven by Selenium.

Outside CI these tests skip (saying why) when chromium or chromedriver is missing; under CI
(env CI set, as `.ci/run` does) a missing browser is a failure, not a skip.
"""

import math
import os
import shutil
import tempfile
import time

import pytest
from explore_graphs import tutorial_network

from autograd import explore

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"


def _browser_missing() -> str:
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[test]')"
    for path, package in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
        if not os.path.exists(path):
            return f"{path} not found: apt-get install {package}"
    return ""


@pytest.fixture(scope="module")
def driver():
    missing = _browser_missing()
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"browser tests must run in CI: {missing}")
        pytest.skip(missing)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="dagrad-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                f"--user-data-dir={profile}", "--window-size=1400,1000"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    browser = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    try:
        yield browser
    finally:
        browser.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="module")
def network_page(tmp_path_factory):
    E, params = tutorial_network()
    path = explore(E).save_html(tmp_path_factory.mktemp("page") / "network.html")
    E.backward()
    return path, E, params


def _open(driver, path):
    driver.get("file://" + os.path.abspath(path))
    driver.get_log("browser")  # start each page with an empty log... of earlier pages
    driver.refresh()
    for _ in range(50):
        if driver.execute_script("return !!document.querySelector('.dg-root[data-frame]')"):
            return
        time.sleep(0.1)
    raise AssertionError("the explorer did not start: " + repr(driver.get_log("browser")))


def _press(driver, key):
    from selenium.webdriver.common.keys import Keys

    driver.find_element("css selector", ".dg-root").send_keys(getattr(Keys, key))


def _current(driver):
    return driver.execute_script(
        "return Array.from(document.querySelectorAll('.dg-value.dg-current')).map(g => g.id)"
    )


def test_the_page_loads_without_console_errors_or_network_requests(driver, network_page):
    path, _, _ = network_page
    _open(driver, path)
    logs = driver.get_log("browser")
    assert [entry for entry in logs if entry["level"] in ("SEVERE", "WARNING")] == []
    assert driver.execute_script("return performance.getEntriesByType('resource').length") == 0
    assert driver.execute_script("return document.querySelectorAll('.dg-value').length") == 45
    assert driver.find_element("css selector", ".dg-root").get_attribute("data-frame") == "0"


def test_stepping_with_the_arrow_keys_moves_the_highlighted_node(driver, network_page):
    path, _, _ = network_page
    _open(driver, path)
    _press(driver, "ARROW_RIGHT")   # all leaves at once
    _press(driver, "ARROW_RIGHT")   # the first op node of the forward pass
    first = _current(driver)
    _press(driver, "ARROW_RIGHT")
    second = _current(driver)
    assert len(first) == 1 and len(second) == 1 and first != second
    _press(driver, "ARROW_LEFT")
    assert _current(driver) == first
    assert driver.find_element("css selector", ".dg-root").get_attribute("data-frame") == "2"


def test_after_the_last_step_the_page_shows_the_engines_gradients(driver, network_page):
    path, E, params = network_page
    _open(driver, path)
    _press(driver, "END")
    shown = driver.execute_script(
        "const r = {}; document.querySelectorAll('.dg-value').forEach(g => {"
        "  const name = g.querySelector('text').textContent;"
        "  r[name] = [g.getAttribute('data-grad'), g.querySelectorAll('text')[2] ? g.querySelectorAll('text')[2].textContent : null]; });"
        "return r;"
    )
    for p in params + [E]:
        attr, text = shown[p.label]
        assert float(attr) == p.grad, p.label       # exactly the engine's number
        assert text == "grad " + format(p.grad, ".4g").replace("-", "−")
    assert math.isclose(float(shown["w5"][0]), 0.082167041, abs_tol=5e-10)


def test_the_backward_step_labels_its_edge_and_play_advances(driver, network_page):
    path, _, _ = network_page
    _open(driver, path)
    driver.execute_script("document.querySelector('.dg-slider').value = 40; document.querySelector('.dg-slider').dispatchEvent(new Event('input'))")
    assert driver.execute_script("return document.querySelectorAll('.dg-edge.dg-active').length") == 2
    label = driver.execute_script("return document.querySelector('.dg-flow-main').textContent")
    assert " × " in label and " = " in label
    driver.find_element("css selector", ".dg-speed").send_keys("fast")
    driver.find_element("css selector", ".dg-play").click()
    time.sleep(1.3)
    assert int(driver.find_element("css selector", ".dg-root").get_attribute("data-frame")) > 40
    driver.find_element("css selector", ".dg-play").click()  # pause


def test_clicking_a_leaf_shows_a_finite_difference_beside_the_gradient_and_its_paths(driver, network_page):
    path, _, params = network_page
    _open(driver, path)
    _press(driver, "END")
    b1 = next(p for p in params if p.label == "b1")
    driver.execute_script(
        "const g = Array.from(document.querySelectorAll('.dg-value')).find(g => g.querySelector('text').textContent === 'b1');"
        "g.dispatchEvent(new MouseEvent('click', {bubbles: true}));"
    )
    info = driver.find_element("css selector", ".dg-info").text
    assert "finite difference" in info and "agrees with autograd" in info
    assert format(b1.grad, ".4g") in info
    assert "paths to the output 4" in info   # b1 feeds h1 and h2, each feeding o1 and o2
    driver.find_element("css selector", ".dg-path").click()
    assert driver.execute_script("return document.querySelectorAll('.dg-edge.dg-on-path').length") > 0


def test_the_console_check_would_catch_a_request_the_page_must_not_make(driver, network_page, tmp_path):
    # The detector itself: the same page with one outside image. The page's policy blocks it
    # and the browser reports it on the console, which the first test requires to be silent.
    path, _, _ = network_page
    page = open(path, encoding="utf-8").read().replace("<body>", '<body><img src="https://example.invalid/x.png">', 1)
    bad = tmp_path / "bad.html"
    bad.write_text(page, encoding="utf-8")
    _open(driver, bad)
    logs = driver.get_log("browser")
    assert any("Content Security Policy" in entry["message"] for entry in logs), logs


def test_the_widget_module_renders_and_syncs_its_frame_with_a_model(driver, tmp_path):
    pytest.importorskip("anywidget")
    from anywidget_page import write_widget_page

    E, _ = tutorial_network()
    w = explore(E).widget()
    url = write_widget_page(tmp_path / "widget.html", w, {"data": w.data, "frame": 0})
    driver.get(url)
    for _ in range(50):
        if driver.execute_script("return window.ready === true"):
            break
        time.sleep(0.1)
    assert [e for e in driver.get_log("browser") if e["level"] == "SEVERE"] == []
    assert driver.execute_script("return document.querySelectorAll('#out .dg-value').length") == 45
    _press(driver, "ARROW_RIGHT")
    assert driver.execute_script("return window.model.get('frame')") == 1 and driver.execute_script("return window.saved") >= 1
    driver.execute_script("window.kernelSets('frame', 30)")  # the kernel moved the player
    assert driver.find_element("css selector", ".dg-root").get_attribute("data-frame") == "30"


def test_a_sub_graph_of_an_mlp_plays_to_the_real_gradients(driver, tmp_path):
    import nn

    model = nn.MLP(2, [16, 16, 1], activation="tanh", seed=0)
    out = model([0.5, -0.3])
    ex = explore(out, around=model.layers[1].neurons[3], depth=2)
    path = ex.save_html(tmp_path / "neuron.html")
    out.backward()
    _open(driver, path)
    assert [e for e in driver.get_log("browser") if e["level"] in ("SEVERE", "WARNING")] == []
    for _ in range(3):
        _press(driver, "ARROW_RIGHT")
    _press(driver, "END")
    shown = driver.execute_script(
        "const r = {}; document.querySelectorAll('.dg-value').forEach(g => { r[g.id] = g.getAttribute('data-grad'); }); return r;"
    )
    for n, value in zip(ex.data["nodes"], ex.values):
        if value.requires_grad:
            assert float(shown[n["id"]]) == value.grad, n["name"]
    assert [e for e in driver.get_log("browser") if e["level"] in ("SEVERE", "WARNING")] == []


def test_a_merge_is_drawn_as_grad_plus_equals_on_its_edge(driver, tmp_path):
    E, params = tutorial_network()
    ex = explore(E)
    merge = next(i for i, f in enumerate(ex.frames) if f.get("merge"))
    path = ex.save_html(tmp_path / "merge.html")
    _open(driver, path)
    driver.execute_script(f"const s = document.querySelector('.dg-slider'); s.value = {merge}; s.dispatchEvent(new Event('input'))")
    label = driver.execute_script("return document.querySelector('.dg-flow-merge').textContent")
    f = ex.frames[merge]
    assert label == f"{f['parent_name']}.grad += {f['contribution_text']} → {f['total_text']}"
    assert driver.execute_script("return document.querySelectorAll('.dg-value.dg-merge').length") == 1
    driver.execute_script(f"const s = document.querySelector('.dg-slider'); s.value = {merge - 1}; s.dispatchEvent(new Event('input'))")
    assert driver.execute_script("return document.querySelectorAll('.dg-value.dg-merge').length") == 0


def test_the_collapsed_neuron_page_plays_box_by_box_to_the_engines_gradients(driver, tmp_path):
    import nn
    from autograd.render import neurons as collapsing
    from autograd.render.view import build_view

    model = nn.MLP(2, [16, 16, 1], seed=0)
    loss = (model([0.5, -0.3]) - 1.0) ** 2
    ex = explore(loss, collapse="neuron")
    path = ex.save_html(tmp_path / "neurons.html")
    loss.backward()
    _open(driver, path)
    assert [e for e in driver.get_log("browser") if e["level"] in ("SEVERE", "WARNING")] == []
    assert driver.execute_script("return performance.getEntriesByType('resource').length") == 0
    assert driver.execute_script("return document.querySelectorAll('.dg-value').length") == len(ex.data["nodes"])
    seed = next(i for i, f in enumerate(ex.frames) if f["kind"] == "seed")
    driver.execute_script(f"const s = document.querySelector('.dg-slider'); s.value = {seed}; s.dispatchEvent(new Event('input'))")
    highlighted = []
    for _ in range(4):   # the backward pass, one box or one edge between boxes at a time
        _press(driver, "ARROW_RIGHT")
        highlighted.append(tuple(_current(driver)))
    assert all(len(h) == 1 for h in highlighted) and len(set(highlighted)) > 1
    edge = next(i for i, f in enumerate(ex.frames) if f["kind"] == "edge" and f["node_name"].startswith("layers."))
    driver.execute_script(f"const s = document.querySelector('.dg-slider'); s.value = {edge}; s.dispatchEvent(new Event('input'))")
    assert driver.execute_script("return document.querySelectorAll('.dg-edge.dg-active').length") == 1
    label = driver.execute_script("return document.querySelector('.dg-flow-main').textContent")
    f = ex.frames[edge]
    assert label == f"{f['local_text']} × {f['upstream_text']} = {f['contribution_text']}"
    _press(driver, "END")
    shown = driver.execute_script(
        "const r = {}; document.querySelectorAll('.dg-value').forEach(g => { r[g.id] = ["
        "g.getAttribute('data-grad'), g.getAttribute('data-wgrad'), g.getAttribute('data-bgrad'),"
        "Array.from(g.querySelectorAll('text')).map(t => t.textContent)]; }); return r;"
    )
    view, _ = build_view(loss, collapse="neuron")
    groups = {g.name: g for g in view.groups}
    checked = 0
    for n in ex.data["nodes"]:
        if n["kind"] != "neuron":
            continue
        group = groups[n["name"]]
        grad, wgrad, bgrad, texts = shown[n["id"]]
        assert float(grad) == group.outputs[0].grad, n["name"]          # exactly the engine's numbers
        assert float(wgrad) == collapsing.norm(group.weights), n["name"]
        assert float(bgrad) == group.biases[0].grad, n["name"]
        assert "grad " + format(group.outputs[0].grad, ".4g").replace("-", "−") in texts
        checked += 1
    assert checked == 33
    assert [e for e in driver.get_log("browser") if e["level"] in ("SEVERE", "WARNING")] == []
