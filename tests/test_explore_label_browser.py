"""The explorer's flow label ("local × upstream = contribution") covers no box, the page follows
`#frame=N`, and "fit" on a big graph offers a readable zoom that follows the step. In headless
Chromium, as tests/test_explore_browser.py (whose browser fixture this reuses)."""

import time

from explore_graphs import tutorial_network
from test_explore_browser import _open, _press, driver  # noqa: F401 - the browser fixture

from autograd import explore
from benchmarks.render import long_range_dag

# For each frame asked for: move there with the slider (as a user would; it shows the frame at
# once), then compare the label's box with every value box and op circle on screen.
OVERLAPS = """
const frames = arguments[0];
const root = document.querySelector('.dg-root'), slider = document.querySelector('.dg-slider');
const shapes = Array.from(document.querySelectorAll('.dg-value, .dg-opnode'))
  .map(g => [g.id, g.querySelector('path, polygon, ellipse')]).filter(([, s]) => s);
const result = [];
for (const f of frames) {
  slider.value = f;
  slider.dispatchEvent(new Event('input'));
  const flow = document.querySelector('.dg-flow');
  const shown = root.dataset.frame === String(f) && flow.style.display !== 'none';
  const a = flow.querySelector('rect').getBoundingClientRect();
  const hit = shapes.filter(([, s]) => {
    const b = s.getBoundingClientRect();
    return a.left < b.right - 0.5 && b.left < a.right - 0.5 && a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5;
  }).map(([id]) => id);
  result.push([f, shown, hit, flow.dataset.placed, root.dataset.frame, flow.style.display]);
}
return result;
"""


def _wait_frame(driver, frame: int) -> str:
    """The player's frame once it is `frame` (a hash change arrives as an event), or after 10 s."""
    for _ in range(100):
        shown = driver.find_element("css selector", ".dg-root").get_attribute("data-frame")
        if shown == str(frame):
            break
        time.sleep(0.1)
    return shown


def _check_every_backward_frame(driver, ex, path):
    _open(driver, path)
    edges = [i for i, f in enumerate(ex.frames) if f["kind"] == "edge"]
    result = driver.execute_script(OVERLAPS, edges)
    assert [r for r in result if not r[1]] == []  # every backward step has its label
    assert [(r[0], r[2]) for r in result if r[2]] == []  # and it covers no box
    return result


def test_the_flow_label_covers_no_box_at_any_backward_step_of_the_2_2_2_network(driver, tmp_path):
    E, _ = tutorial_network()
    ex = explore(E)
    result = _check_every_backward_frame(driver, ex, ex.save_html(tmp_path / "network.html"))
    # At w5's step the label used to hide out_h1, whose data 0.5933 is the local derivative.
    w5 = next(i for i, f in enumerate(ex.frames) if f["kind"] == "edge" and f["parent_name"] == "w5")
    assert ex.frames[w5]["local_text"] == "0.5933"
    assert w5 in [f for f, *_ in result]


def test_the_flow_label_covers_no_box_in_a_150_value_random_graph(driver, tmp_path):
    root = long_range_dag(150)
    ex = explore(root)
    result = _check_every_backward_frame(driver, ex, ex.save_html(tmp_path / "random.html"))
    assert len(result) > 200
    assert [r[3] for r in result].count("beside") > len(result) // 4  # most sit right beside their edge


def test_the_page_follows_hash_changes_and_writes_the_frame_into_the_address(driver, tmp_path):
    E, _ = tutorial_network()
    path = explore(E).save_html(tmp_path / "network.html")
    _open(driver, path)
    driver.execute_script("location.hash = '#frame=37'")
    assert _wait_frame(driver, 37) == "37"
    _press(driver, "ARROW_RIGHT")
    assert driver.execute_script("return location.hash") == "#frame=38"
    assert driver.find_element("css selector", ".dg-root").get_attribute("data-frame") == "38"
    driver.get("file://" + str(path) + "#frame=12")  # a shared link opens there
    assert _wait_frame(driver, 12) == "12"


def test_fit_on_a_big_graph_offers_a_readable_zoom_that_follows_the_step(driver, tmp_path):
    root = long_range_dag(150)
    ex = explore(root)
    _open(driver, ex.save_html(tmp_path / "random.html"))
    follow = driver.find_element("css selector", ".dg-follow")
    assert not follow.is_displayed()  # at the readable zoom the page opens with
    driver.find_element("css selector", ".dg-zbtn[data-zoom='fit']").click()
    assert float(driver.find_element("css selector", ".dg-root").get_attribute("data-zoom")) < 0.6
    assert follow.is_displayed()
    follow.click()
    assert float(driver.find_element("css selector", ".dg-root").get_attribute("data-zoom")) >= 1
    assert not follow.is_displayed()
    edge = next(i for i, f in enumerate(ex.frames) if f["kind"] == "edge" and i > len(ex.frames) * 2 // 3)
    driver.execute_script(f"location.hash = '#frame={edge}'")
    assert _wait_frame(driver, edge) == str(edge)
    inside = driver.execute_script(
        "const g = document.querySelector('.dg-value.dg-receiving'), s = document.querySelector('.dg-stage');"
        "const r = g.getBoundingClientRect(), t = s.getBoundingClientRect();"
        "return r.left >= t.left && r.right <= t.right && r.top >= t.top && r.bottom <= t.bottom;"
    )
    assert inside  # the value receiving the gradient is on screen at the readable zoom


def test_the_neuron_in_play_lights_up_its_own_weighted_edges(driver, tmp_path):
    import nn

    loss = (nn.MLP(2, [4, 4, 1], seed=0)([0.5, -0.3]) - 1.0) ** 2
    ex = explore(loss, collapse="neuron")
    _open(driver, ex.save_html(tmp_path / "neurons.html"))
    edge = next(i for i, f in enumerate(ex.frames) if f["kind"] == "edge" and f["node_name"] == "layers.1.neurons.2")
    driver.execute_script(f"location.hash = '#frame={edge}'")
    assert _wait_frame(driver, edge) == str(edge)
    touching = driver.execute_script(
        "return Array.from(document.querySelectorAll('.dg-edge.dg-touching')).map(g => g.id)"
    )
    box = ex.frames[edge]["node"]  # v<i>: its inputs are edges e<i>_k, its one use is an edge into layers.2
    assert sorted(t for t in touching if t.startswith(f"e{box[1:]}_")) == [f"e{box[1:]}_{k}" for k in range(4)]
    assert len(touching) == 4 + 1
    faded = driver.execute_script(
        "return getComputedStyle(document.querySelector('.dg-edge.dg-weight:not(.dg-touching):not(.dg-active)')).opacity"
    )
    assert float(faded) < 0.5


OVERFLOWS = """
return Array.from(document.querySelectorAll('.dg-value')).flatMap(g => {
  const b = g.querySelector('path, polygon').getBoundingClientRect();
  return Array.from(g.querySelectorAll('text')).filter(t => {
    const r = t.getBoundingClientRect();
    return r.width > 0 && (r.left < b.left - 1 || r.right > b.right + 1);
  }).map(t => [g.id, t.textContent]);
});
"""


def test_every_line_the_page_writes_stays_inside_its_box(driver, tmp_path):
    # "grad −3.989e−07" (typographic minus signs, bold) is wider than the ASCII text the box was
    # laid out for: the page condenses such a line to the box's width.
    ex = explore(long_range_dag(150))
    _open(driver, ex.save_html(tmp_path / "random.html"))
    for frame in (len(ex.frames) // 2, len(ex.frames) - 1):
        driver.execute_script(f"location.hash = '#frame={frame}'")
        assert _wait_frame(driver, frame) == str(frame)
        assert driver.execute_script(OVERFLOWS) == []
    assert driver.execute_script("return document.querySelectorAll('.dg-value text[textLength]').length") > 0
