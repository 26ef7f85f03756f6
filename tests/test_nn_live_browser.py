"""The training view in a real browser: the replay page, and the widget module driven by a
stand-in for anywidget's model (as tests/test_explore_browser.py does for the explorer)."""

import time
import warnings

import pytest
from test_explore_browser import driver  # noqa: F401 - the shared headless Chromium fixture

import nn

pytest.importorskip("numpy")


@pytest.fixture(scope="module")
def moons_run():
    X, labels = nn.datasets.make_moons(60, noise=0.1, seed=0)
    model = nn.MLP(2, [8, 8, 1], activation="relu", seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        history = nn.fit(
            model,
            X,
            nn.datasets.to_signed(labels),
            loss="hinge",
            optimizer=nn.Adam(model.parameters(), lr=0.05),
            epochs=25,
            live=True,
            progress=False,
        )
    return history


def _wait(browser, script, seconds=10):
    for _ in range(int(seconds * 10)):
        if browser.execute_script(script):
            return
        time.sleep(0.1)
    raise AssertionError("timed out: " + script + " " + repr(browser.get_log("browser")))


def test_the_replay_page_scrubs_every_recorded_frame_offline(driver, moons_run, tmp_path):  # noqa: F811
    path = moons_run.save_html(tmp_path / "run.html")
    driver.get("file://" + str(path))
    _wait(driver, "return !!document.querySelector('.dg-live[data-frame]')")
    assert [e for e in driver.get_log("browser") if e["level"] in ("SEVERE", "WARNING")] == []
    assert driver.execute_script("return performance.getEntriesByType('resource').length") == 0  # no request at all
    frames = moons_run.recording.frames
    assert driver.execute_script("return +document.querySelector('.dg-slider').max + 1") == len(frames) == 25
    # the last frame: its epoch and loss are the history's last
    root = driver.find_element("css selector", ".dg-live")
    assert root.get_attribute("data-epoch") == "25"
    assert float(root.get_attribute("data-loss")) == moons_run.loss[-1]
    images = "return Array.from(document.querySelectorAll('.dg-live-neuron[data-layer=\"1\"] image')).map(i => i.getAttribute('href'))"
    last = driver.execute_script(images)
    driver.execute_script(
        "const s = document.querySelector('.dg-slider'); s.value = 0; s.dispatchEvent(new Event('input'))"
    )
    assert root.get_attribute("data-epoch") == "1"
    first = driver.execute_script(images)
    assert len(first) == len(last) == 8 and sum(a != b for a, b in zip(first, last)) >= 4  # the heatmaps moved
    # the edges: one per weight, coloured by the sign of the weight they carry
    signs = driver.execute_script(
        "return Array.from(document.querySelectorAll('.dg-live-edge')).map(e => [e.classList.contains('dg-pos'), +e.dataset.weight])"
    )
    assert len(signs) == 2 * 8 + 8 * 8 + 8 and all(pos == (w >= 0) for pos, w in signs)
    driver.execute_script("location.hash = 'frame=10'")
    _wait(driver, "return document.querySelector('.dg-live').dataset.frame === '10'")
    assert (
        driver.find_element("css selector", ".dg-phase").text.lower() == "replay"
    )  # the end state shows on the last frame only
    driver.get("file://" + str(path) + "#frame=0")  # a link to the first frame opens at it
    _wait(
        driver, "return document.querySelector('.dg-live') && document.querySelector('.dg-live').dataset.epoch === '1'"
    )


def test_the_widget_module_sends_the_buttons_controls_and_follows_the_kernel(driver, moons_run, tmp_path):  # noqa: F811
    pytest.importorskip("anywidget")
    from anywidget_page import write_widget_page

    from nn.live import _widget_class

    w = _widget_class()(meta=moons_run.recording.meta)
    rec = moons_run.recording
    empty = {"epoch": [], "loss": [], "accuracy": [], "lr": [], "grad_norm": []}
    status = {"state": "running", "epoch": 0, "message": ""}
    url = write_widget_page(
        tmp_path / "widget.html", w, {"meta": w.meta, "series": empty, "frame": {}, "status": status}
    )
    driver.get(url)
    _wait(driver, "return window.ready === true")
    assert [e for e in driver.get_log("browser") if e["level"] == "SEVERE"] == []
    for name in ("pause", "step", "epoch", "stop"):
        driver.find_element("css selector", ".dg-live-" + name).click()
    from selenium.webdriver.support.ui import Select

    Select(driver.find_element("css selector", ".dg-speed")).select_by_visible_text("slow")
    sent = driver.execute_script("return window.sent")
    assert sent == [{"control": c} for c in ("pause", "step", "epoch", "stop")] + [{"control": "speed", "delay": 0.2}]
    # the kernel sends a frame, the series and a paused status: the view follows
    driver.execute_script("window.kernelSets('series', arguments[0])", rec.series)
    driver.execute_script("window.kernelSets('frame', arguments[0])", rec.frames[-1])
    driver.execute_script("window.kernelSets('status', {state: 'paused', controls: 'paused', epoch: 25, message: ''})")
    root = driver.find_element("css selector", ".dg-live")
    assert root.get_attribute("data-epoch") == "25" and root.get_attribute("data-state") == "paused"
    assert driver.find_element("css selector", ".dg-live-pause").text == "▶ Resume"
    assert len(driver.find_elements("css selector", ".dg-live-neuron image")) == 2 + 8 + 8 + 1
    driver.execute_script(
        "window.kernelSets('status', {state: 'error', epoch: 25, message: 'FloatingPointError: fit: the loss became nan'})"
    )
    assert "the loss became nan" in driver.find_element("css selector", ".dg-live-message").text
    assert driver.find_element("css selector", ".dg-live-stop").get_attribute("disabled") == "true"
