// dagrad's training view: the network (columns of neurons, each a heatmap of its output over the
// input plane; edges coloured by the weight's sign, as wide as its size), the decision over the
// plane, loss and accuracy curves, each layer's gradient norm and the dead ReLUs.
// Live (in Jupyter, options.send set) it shows the newest frame and sends the buttons' controls;
// as a replay page it scrubs through the recorded frames. No network access, no dependencies.
function dagradLive(host, data, options) {
  "use strict";
  options = options || {};
  const NS = "http://www.w3.org/2000/svg";
  const live = typeof options.send === "function";
  const meta = data.meta;
  const EMPTY = { epoch: [], loss: [], accuracy: [], lr: [], grad_norm: [] };
  const complete = (s) => Object.assign({}, EMPTY, s || {});  // a widget starts with {}
  let series = complete(data.series);
  let frames = data.frames || [];
  let status = options.status || data.status || { state: live ? "running" : "done", epoch: 0, message: "" };
  let index = Math.max(0, Math.min(frames.length - 1, options.frame === undefined ? frames.length - 1 : options.frame));
  let timer = null;

  const el = (tag, attrs, parent, text) => {
    const node = tag.startsWith("svg:") ? document.createElementNS(NS, tag.slice(4)) : document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    if (text !== undefined) node.textContent = text;
    if (parent) parent.appendChild(node);
    return node;
  };
  const fmt = (x, digits) => (x === null || x === undefined ? "–" : Number(x).toPrecision(digits || 4));

  // Orange for negative, white for zero, blue for positive (as TensorFlow Playground draws).
  const NEG = [234, 88, 12], MID = [255, 255, 255], POS = [37, 99, 235];
  const CLASS_COLOURS = [[234, 88, 12], [37, 99, 235], [22, 163, 74], [147, 51, 234], [202, 138, 4], [219, 39, 119]];
  const colourAt = (byte) => {
    const t = byte / 127.5 - 1;
    const [a, b] = t < 0 ? [MID, NEG] : [MID, POS];
    const s = Math.abs(t);
    return a.map((c, i) => Math.round(c + (b[i] - c) * s));
  };
  const decode = (b64) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const planeImage = (b64, classes, faint) => {
    const grid = meta.plane.grid, bytes = decode(b64);
    const canvas = document.createElement("canvas");
    canvas.width = canvas.height = grid;
    const ctx = canvas.getContext("2d"), img = ctx.createImageData(grid, grid);
    for (let i = 0; i < bytes.length; i++) {
      let rgb = classes ? CLASS_COLOURS[bytes[i] % CLASS_COLOURS.length] : colourAt(bytes[i]);
      if (faint || classes) rgb = rgb.map((c) => Math.round(c + (255 - c) * 0.5));  // lighter, so the data points stand out
      img.data.set([...rgb, 255], 4 * i);
    }
    ctx.putImageData(img, 0, 0);
    return canvas.toDataURL();
  };

  // -- the frame of the page ---------------------------------------------------------------------
  host.classList.add("dagrad-explorer");
  host.innerHTML = "";
  const root = el("div", { class: "dg-root dg-live", tabindex: "0" }, host);
  const head = el("div", { class: "dg-head" }, root);
  el("div", { class: "dg-title" }, head, meta.title || "Training");
  const legend = el("div", { class: "dg-legend" }, head);
  el("span", { class: "dg-key dg-key-neg" }, legend, "negative weight / output");
  el("span", { class: "dg-key dg-key-pos" }, legend, "positive weight / output");
  el("span", { class: "dg-key dg-key-dead" }, legend, "dead ReLU");
  const bar = el("div", { class: "dg-bar" }, root);
  const buttons = {};
  let slider = null, counter = null;
  if (live) {
    const button = (name, text, title) => {
      buttons[name] = el("button", { class: "dg-btn dg-live-" + name, type: "button", title }, bar, text);
      return buttons[name];
    };
    button("pause", "⏸ Pause", "Pause training (the model keeps what it learned)").classList.add("dg-play");
    button("step", "Step", "Run one optimizer step (one batch)");
    button("epoch", "Epoch", "Run to the end of this epoch");
    button("stop", "■ Stop", "Stop training: fit returns its history");
    const speed = el("select", { class: "dg-speed", title: "Pause after each epoch" }, bar);
    for (const [label, delay] of [["full speed", 0], ["slow", 0.2], ["slower", 1]]) el("option", { value: String(delay) }, speed, label);
    buttons.pause.onclick = () => options.send({ control: status.controls === "paused" || status.state === "paused" ? "resume" : "pause" });
    buttons.step.onclick = () => options.send({ control: "step" });
    buttons.epoch.onclick = () => options.send({ control: "epoch" });
    buttons.stop.onclick = () => options.send({ control: "stop" });
    speed.onchange = () => options.send({ control: "speed", delay: Number(speed.value) });
  } else {
    buttons.play = el("button", { class: "dg-btn dg-play", type: "button" }, bar, "▶ Play");
    slider = el("input", { class: "dg-slider", type: "range", min: "0", max: String(Math.max(0, frames.length - 1)), value: String(index) }, bar);
    counter = el("span", { class: "dg-counter" }, bar);
    slider.oninput = () => go(Number(slider.value));
    buttons.play.onclick = () => (timer ? stop() : play());
  }
  const statusLine = el("div", { class: "dg-narration dg-live-status" }, root);
  const body = el("div", { class: "dg-live-body" }, root);
  const networkBox = el("div", { class: "dg-live-network" }, body);
  const side = el("div", { class: "dg-live-side" }, body);
  const planeBox = el("div", { class: "dg-live-panel" }, side);
  const curvesBox = el("div", { class: "dg-live-panel" }, side);
  const gradsBox = el("div", { class: "dg-live-panel" }, side);
  if (meta.note) el("div", { class: "dg-live-note" }, root, meta.note);

  // -- the network ---------------------------------------------------------------------------------
  function drawNetwork(frame) {
    networkBox.innerHTML = "";
    if (!meta.sizes || !frame || !frame.layers || !frame.layers.length) {
      el("div", { class: "dg-live-note" }, networkBox, meta.sizes ? "waiting for the first epoch…" : "this model is not an MLP, Layer or Neuron: curves only");
      return;
    }
    const sizes = meta.sizes, tallest = Math.max(...sizes);
    const box = Math.max(14, Math.min(48, Math.floor(520 / tallest) - 6)), gap = Math.max(4, Math.round(box / 5));
    const colGap = Math.max(110, Math.min(190, 560 / Math.max(1, sizes.length - 1))), width = 40 + colGap * (sizes.length - 1) + box + 40;
    const height = tallest * (box + gap) + 30;
    const svg = el("svg:svg", { class: "dg-live-net", width, height, viewBox: `0 0 ${width} ${height}` }, networkBox);
    const pos = sizes.map((n, c) => Array.from({ length: n }, (_, i) => ({
      x: 40 + c * colGap, y: 20 + (height - 30 - n * (box + gap)) / 2 + i * (box + gap),
    })));
    frame.layers.forEach((layer, l) => {
      const biggest = Math.max(1e-12, ...layer.w.flat().map(Math.abs));
      layer.w.forEach((row, j) => row.forEach((w, i) => {
        const a = pos[l][i], b = pos[l + 1][j];
        el("svg:path", {
          class: "dg-live-edge " + (w >= 0 ? "dg-pos" : "dg-neg"),
          d: `M${a.x + box},${a.y + box / 2} C${a.x + box + colGap / 3},${a.y + box / 2} ${b.x - colGap / 3},${b.y + box / 2} ${b.x},${b.y + box / 2}`,
          "stroke-width": (0.4 + 4.6 * Math.abs(w) / biggest).toFixed(2),
          "data-weight": String(w),
        }, svg).appendChild(el("svg:title", {}, null, `w = ${fmt(w)} (layer ${l + 1}, neuron ${j} ← input ${i})`));
      }));
    });
    pos.forEach((column, c) => column.forEach((p, i) => {
      const g = el("svg:g", { class: "dg-live-neuron", "data-layer": String(c), "data-index": String(i) }, svg);
      const image = c === 0 ? inputImage(i) : frame.planes ? planeImage(frame.planes[c - 1][i]) : null;
      if (image) el("svg:image", { href: image, x: p.x, y: p.y, width: box, height: box, preserveAspectRatio: "none" }, g);
      else el("svg:rect", { x: p.x, y: p.y, width: box, height: box, class: c === 0 ? "dg-live-input" : "dg-live-blank" }, g);
      const dead = c > 0 && (frame.dead_units || []).some(([l, j]) => l === c - 1 && j === i);
      el("svg:rect", { x: p.x, y: p.y, width: box, height: box, class: "dg-live-frame" + (dead ? " dg-live-dead" : "") }, g);
      if (dead) el("svg:path", { d: `M${p.x + 3},${p.y + 3}L${p.x + box - 3},${p.y + box - 3}M${p.x + box - 3},${p.y + 3}L${p.x + 3},${p.y + box - 3}`, class: "dg-live-dead-mark" }, g);
      const title = c === 0 ? `input x${i + 1}` : `layer ${c} neuron ${i} (${meta.activations[c - 1]}), b = ${fmt(frame.layers[c - 1].b[i])}${dead ? ": dead (output 0 on every training input)" : ""}`;
      g.appendChild(el("svg:title", {}, null, title));
    }));
    sizes.forEach((n, c) => el("svg:text", { x: 40 + c * colGap + box / 2, y: height - 4, class: "dg-live-caption" }, svg,
      c === 0 ? "input" : c === sizes.length - 1 ? "output" : `${meta.activations[c - 1]} ×${n}`));
  }
  // The inputs' own "heatmaps": x1 grows left to right, x2 bottom to top.
  const inputImages = {};
  function inputImage(i) {
    if (!meta.plane || i > 1) return null;
    if (!inputImages[i]) {
      const grid = meta.plane.grid, bytes = new Uint8Array(grid * grid);
      for (let r = 0; r < grid; r++) for (let c = 0; c < grid; c++) bytes[r * grid + c] = Math.round(255 * (i === 0 ? c : grid - 1 - r) / (grid - 1));
      inputImages[i] = planeImage(btoa(String.fromCharCode(...bytes)));
    }
    return inputImages[i];
  }

  // -- the decision over the plane, with the data ---------------------------------------------------
  function drawPlane(frame) {
    planeBox.innerHTML = "";
    el("div", { class: "dg-live-heading" }, planeBox, "decision over the input plane");
    if (!meta.plane || !frame || !frame.decision_plane) {
      el("div", { class: "dg-live-note" }, planeBox, meta.plane ? "waiting for the first epoch…" : "(inputs are not 2-D)");
      return;
    }
    const size = 220, [x0, x1, y0, y1] = meta.plane.extent;
    const svg = el("svg:svg", { class: "dg-live-plane", width: size, height: size, viewBox: `0 0 ${size} ${size}` }, planeBox);
    el("svg:image", { href: planeImage(frame.decision_plane.data, frame.decision_plane.classes, true), x: 0, y: 0, width: size, height: size, preserveAspectRatio: "none" }, svg);
    for (const [x, y, t] of meta.plane.points) {
      const cls = t === null ? "" : t > 0 ? (meta.decision === "argmax" ? `dg-class-${t}` : "dg-pos") : "dg-neg";
      el("svg:circle", { cx: ((x - x0) / (x1 - x0)) * size, cy: ((y1 - y) / (y1 - y0)) * size, r: 3.2, class: "dg-live-point " + cls }, svg);
    }
  }

  // -- curves ---------------------------------------------------------------------------------------
  function chart(box, heading, lines, upto, logScale) {
    box.innerHTML = "";
    el("div", { class: "dg-live-heading" }, box, heading);
    const w = 300, h = 110, pad = 4;
    const svg = el("svg:svg", { class: "dg-live-chart", width: w, height: h, viewBox: `0 0 ${w} ${h}` }, box);
    const epochs = series.epoch.filter((e) => e <= upto);
    const n = epochs.length, total = Math.max(meta.epochs || 1, n);
    const values = lines.flatMap((l) => l.values.slice(0, n)).filter((v) => v !== null && (!logScale || v > 0));
    if (!values.length) return;
    const tr = logScale ? Math.log10 : (v) => v;
    let lo = Math.min(...values.map(tr)), hi = Math.max(...values.map(tr));
    if (lines.some((l) => l.fixed)) [lo, hi] = [0, 1];
    if (hi - lo < 1e-12) [lo, hi] = [lo - 0.5, hi + 0.5];
    const X = (i) => pad + ((w - 2 * pad) * i) / Math.max(1, total - 1), Y = (v) => h - pad - ((h - 2 * pad) * (tr(v) - lo)) / (hi - lo);
    lines.forEach((line) => {
      const pts = [];
      line.values.slice(0, n).forEach((v, i) => { if (v !== null && (!logScale || v > 0)) pts.push(`${X(i).toFixed(1)},${Y(v).toFixed(1)}`); });
      el("svg:polyline", { points: pts.join(" "), class: "dg-live-line", stroke: line.colour }, svg);
    });
    const keys = el("div", { class: "dg-legend" }, box);
    lines.forEach((line) => {
      const last = line.values.slice(0, n).filter((v) => v !== null).pop();
      el("span", { class: "dg-live-swatch" }, keys, `${line.name} ${fmt(last, 3)}`).style.borderColor = line.colour;  // CSSOM: allowed by the page's policy
    });
  }
  const GROUP_COLOURS = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ca8a04", "#0891b2", "#db2777"];
  function drawCurves(upto) {
    const lines = [{ name: "loss", values: series.loss, colour: "#111827" }];
    const positive = series.loss.filter((v) => v !== null && v > 0);
    const useLog = positive.length > 1 && Math.max(...positive) / Math.min(...positive) > 30;
    chart(curvesBox, "loss" + (useLog ? " (log scale)" : ""), lines, upto, useLog);
    if (series.accuracy.some((a) => a !== null)) {
      const acc = el("div", {}, curvesBox);
      chart(acc, "training accuracy", [{ name: "accuracy", values: series.accuracy, colour: "#16a34a", fixed: true }], upto, false);
    }
    const groups = meta.groups || [];
    chart(gradsBox, "gradient norm per layer (log scale)", groups.map((name, g) => ({
      name, values: series.grad_norm.map((norms) => norms[g]), colour: GROUP_COLOURS[g % GROUP_COLOURS.length],
    })), upto, true);
  }

  // -- showing a frame ------------------------------------------------------------------------------
  function show() {
    const frame = frames[index] || null;
    const upto = frame ? frame.epoch : live ? Infinity : 0;
    drawNetwork(frame);
    drawPlane(frame);
    drawCurves(live ? Infinity : upto);
    root.dataset.frame = String(index);
    // Live: the last epoch trained (the frame may be older); a replay: the frame's epoch.
    root.dataset.epoch = live ? String(series.epoch.length ? series.epoch[series.epoch.length - 1] : 0) : frame ? String(frame.epoch) : "0";
    root.dataset.loss = frame && frame.loss !== null ? String(frame.loss) : "";
    root.dataset.state = status.state;
    const n = live ? series.epoch.length : upto;
    const at = live ? n - 1 : series.epoch.indexOf(upto);
    const parts = [`epoch ${n}${meta.epochs ? " / " + meta.epochs : ""}`];
    if (at >= 0) parts.push(`loss ${fmt(series.loss[at])}`);
    if (at >= 0 && series.accuracy[at] !== null) parts.push(`accuracy ${fmt(series.accuracy[at], 3)}`);
    if (frame && frame.dead !== null && frame.dead !== undefined) parts.push(`${frame.dead} dead ReLU${frame.dead === 1 ? "" : "s"} (output 0 on every training input)`);
    statusLine.textContent = "";
    const badge = live || index === frames.length - 1 ? status.state : "replay";  // the run's end state only on its last frame
    el("span", { class: "dg-phase dg-live-state-" + badge }, statusLine, badge);
    el("span", { class: "dg-live-numbers" }, statusLine, parts.join(" · "));
    if (status.message) el("span", { class: "dg-live-message" + (status.state === "error" ? " dg-live-error" : "") }, statusLine, status.message);
    if (live) {
      const paused = status.controls === "paused" || status.state === "paused";
      buttons.pause.textContent = paused ? "▶ Resume" : "⏸ Pause";
      const over = ["done", "stopped", "error"].includes(status.state);
      for (const b of Object.values(buttons)) b.disabled = over;
    } else {
      slider.value = String(index);
      counter.textContent = `${frames.length ? index + 1 : 0} / ${frames.length}`;
    }
  }
  function go(i) { index = Math.max(0, Math.min(frames.length - 1, i)); show(); }
  function play() {
    if (index >= frames.length - 1) go(0);
    buttons.play.textContent = "⏸ Pause";
    timer = setInterval(() => (index >= frames.length - 1 ? stop() : go(index + 1)), 120);
  }
  function stop() { clearInterval(timer); timer = null; if (buttons.play) buttons.play.textContent = "▶ Play"; }
  root.addEventListener("keydown", (e) => {
    if (live) return;
    if (e.key === "ArrowRight") { go(index + 1); e.preventDefault(); }
    if (e.key === "ArrowLeft") { go(index - 1); e.preventDefault(); }
  });
  show();

  return {
    update(change) {
      if (change.series) series = complete(change.series);
      if (change.frame && change.frame.epoch !== undefined) { frames = [change.frame]; index = 0; }
      if (change.status) status = change.status;
      show();
    },
    go,
    frame: () => index,
    destroy() { stop(); host.innerHTML = ""; },
  };
}
