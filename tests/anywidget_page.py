"""A page that loads a widget's ES module the way anywidget does in JupyterLab, Notebook 7 and
VS Code (import the module, call its render({model, el})), with a stand-in for anywidget's model:
`window.model`, the messages the widget sends in `window.sent`, `window.saved` counting
save_changes(), and `window.kernelSets(name, value)` to change a trait as the kernel would."""

import json


def _script_json(value) -> str:
    return json.dumps(value).replace("<", "\\u003c")


def write_widget_page(path, widget, state: dict) -> str:
    """Write the page for `widget` (its _esm and _css) with the traits in `state`; return the URL."""
    path.write_text(
        "<!DOCTYPE html><html><head><meta charset='utf-8'><style>" + widget._css + "</style></head><body>"
        "<div id='out'></div>"
        f"<script type='application/json' id='esm'>{_script_json(widget._esm)}</script>"
        f"<script type='application/json' id='state'>{_script_json(state)}</script>"
        "<script type='module'>"
        "const state = JSON.parse(document.getElementById('state').textContent); const handlers = {};"
        "window.sent = []; window.saved = 0;"
        "const model = {get: k => state[k], set: (k, v) => { state[k] = v; }, save_changes: () => { window.saved++; },"
        "  send: m => window.sent.push(m), on: (e, f) => { (handlers[e] = handlers[e] || []).push(f); }, off: () => {}};"
        "window.model = model;"
        "window.kernelSets = (k, v) => { state[k] = v; (handlers['change:' + k] || []).forEach(h => h()); };"
        "const url = URL.createObjectURL(new Blob([JSON.parse(document.getElementById('esm').textContent)],"
        " {type: 'text/javascript'}));"
        "const mod = await import(url);"
        "mod.default.render({model, el: document.getElementById('out')});"
        "window.ready = true;"
        "</script></body></html>",
        encoding="utf-8",
    )
    return "file://" + str(path)
