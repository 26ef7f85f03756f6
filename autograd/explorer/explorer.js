// dagrad's backprop explorer: plays the frames that autograd.explore built in Python over the
// graph's SVG. Shared by the Jupyter widget (widget.js) and the standalone page (page.js).
// No network, no dependencies: everything it needs is in `data`.
"use strict";

function dagradExplorer(el, data, options) {
  options = options || {};
  const frames = data.frames;
  const nodes = new Map(data.nodes.map((n) => [n.id, n]));
  const last = frames.length - 1;
  const SVGNS = "http://www.w3.org/2000/svg";
  let frame = 0, timer = null, pinned = null, hovered = null, pathIds = data.highlight || null;

  const icon = (d) => `<svg viewBox="0 0 16 16" width="14" height="14" aria-hidden="true"><path d="${d}" fill="currentColor"/></svg>`;
  const ICONS = {
    first: icon("M3 2h2v12H3zM14 2v12L6 8z"),
    back: icon("M12 2v12L4 8z"),
    play: icon("M4 2v12l10-6z"),
    pause: icon("M3 2h4v12H3zM9 2h4v12H9z"),
    next: icon("M4 2v12l8-6z"),
    last: icon("M11 2h2v12h-2zM2 2v12l8-6z"),
  };
  const esc = (s) => String(s == null ? "" : s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));

  el.classList.add("dagrad-explorer");
  el.innerHTML = `
    <div class="dg-root" tabindex="0" aria-label="backprop explorer: arrow keys step, space plays" data-lm-suppress-shortcuts="true" data-p-suppress-shortcuts="true">
      <div class="dg-head">
        <div class="dg-title">${esc(data.title)}</div>
        <div class="dg-legend">
          <span class="dg-key dg-key-input">input / parameter</span>
          <span class="dg-key dg-key-constant">constant</span>
          <span class="dg-key dg-key-output">output</span>${data.collapse ? `<span class="dg-key dg-key-group">${esc(data.collapse)} (collapsed)</span>` : ""}${data.collapse === "neuron" ? `<span class="dg-key dg-key-wpos" title="an edge into a neuron: its weight; as wide as |w|; the 3 largest |w| of each neuron (the others faint)">w &gt; 0</span><span class="dg-key dg-key-wneg" title="an edge into a neuron: its weight; as wide as |w|">w &lt; 0</span>` : ""}
          <span class="dg-key dg-key-fwd">forward</span>
          <span class="dg-key dg-key-bwd">backward</span>
        </div>
      </div>
      <div class="dg-bar">
        <button type="button" class="dg-btn" data-act="first" title="first frame (Home)">${ICONS.first}</button>
        <button type="button" class="dg-btn" data-act="back" title="step back (←)">${ICONS.back}</button>
        <button type="button" class="dg-btn dg-play" data-act="play" title="play / pause (space)">${ICONS.play}<span>Play</span></button>
        <button type="button" class="dg-btn" data-act="next" title="step forward (→)">${ICONS.next}</button>
        <button type="button" class="dg-btn" data-act="last" title="last frame (End)">${ICONS.last}</button>
        <input type="range" class="dg-slider" min="0" max="${last}" value="0" aria-label="frame">
        <span class="dg-counter"></span>
        <select class="dg-speed" aria-label="speed" title="speed">
          <option value="1800">slow</option><option value="1000" selected>normal</option><option value="450">fast</option>
        </select>
        <span class="dg-zoom">
          <button type="button" class="dg-btn dg-zbtn" data-zoom="out" title="zoom out">−</button>
          <button type="button" class="dg-btn dg-zbtn" data-zoom="fit" title="fit the graph to the width">fit</button>
          <button type="button" class="dg-btn dg-zbtn" data-zoom="in" title="zoom in">+</button>
          <button type="button" class="dg-btn dg-zbtn dg-follow" data-zoom="follow" title="readable size, the view following the step" hidden>follow the step</button>
        </span>
      </div>
      <div class="dg-narration"><span class="dg-phase"></span><span class="dg-text"></span></div>
      ${data.subgraph ? `<div class="dg-note">Showing the values within ${data.subgraph.depth} edges of ${esc(data.subgraph.around)}; ${data.subgraph.hidden} more are not drawn (dashed boxes have hidden inputs). Their gradients are still the real ones.</div>` : ""}
      <div class="dg-main">
        <div class="dg-stage">${data.svg}</div>
        <aside class="dg-info"><div class="dg-info-hint">Hover or click a value to see its op, data and gradient; click an input to compare with a finite-difference estimate and list its paths.</div></aside>
      </div>
      <details class="dg-steps" open>
        <summary>Backward steps, in the engine's order <span class="dg-muted">(click a row to jump there)</span></summary>
        <div class="dg-table-wrap"><table class="dg-table">
          <thead><tr><th>step</th><th>node</th><th>→ parent</th><th>local</th><th>× upstream</th><th>= contribution</th><th>parent's grad</th></tr></thead>
          <tbody></tbody>
        </table></div>
      </details>
    </div>`;

  const root = el.querySelector(".dg-root");
  const svg = el.querySelector(".dg-stage svg");
  const graph = svg.querySelector("g.graph") || svg;
  const slider = el.querySelector(".dg-slider");
  const counter = el.querySelector(".dg-counter");
  const phase = el.querySelector(".dg-phase");
  const text = el.querySelector(".dg-text");
  const info = el.querySelector(".dg-info");
  const playButton = el.querySelector(".dg-play");
  const speed = el.querySelector(".dg-speed");
  const tbody = el.querySelector(".dg-table tbody");
  const tableWrap = el.querySelector(".dg-table-wrap");
  const stage = el.querySelector(".dg-stage");

  // -- the SVG's parts, found by the ids the DOT text gave them ---------------------------------
  const valueEls = new Map(), opEls = new Map(), edgeEls = [];
  svg.querySelectorAll("g[id]").forEach((g) => {
    const id = g.getAttribute("id");
    if (/^v\d+$/.test(id)) valueEls.set(id, g);
    else if (/^op\d+$/.test(id)) opEls.set(id, g);
    else if (/^(e\d+_\d+|o\d+)$/.test(id)) edgeEls.push(g);
    const title = g.querySelector("title");
    if (title) title.remove(); // our own panel replaces the browser's tooltip
  });
  // Boxes from the shapes' own attributes (Graphviz writes absolute coordinates), not getBBox():
  // in Jupyter the widget is built before it is on the page, when nothing has a layout yet.
  function boxOf(shape) {
    if (shape.tagName.toLowerCase() === "ellipse") {
      const cx = +shape.getAttribute("cx"), cy = +shape.getAttribute("cy"), rx = +shape.getAttribute("rx"), ry = +shape.getAttribute("ry");
      return { x: cx - rx, y: cy - ry, width: 2 * rx, height: 2 * ry };
    }
    const nums = (shape.getAttribute("d") || shape.getAttribute("points") || "").match(/-?\d*\.?\d+(?:e[-+]?\d+)?/gi) || [];
    const xs = [], ys = [];
    for (let i = 0; i + 1 < nums.length; i += 2) { xs.push(+nums[i]); ys.push(+nums[i + 1]); }
    const x = Math.min(...xs), y = Math.min(...ys);
    return { x, y, width: Math.max(...xs) - x, height: Math.max(...ys) - y };
  }
  valueEls.forEach((g, id) => {
    g.classList.add("dg-value", "dg-role-" + nodes.get(id).role);
    if (nodes.get(id).boundary) g.classList.add("dg-boundary");
    // Centre the text lines in the box: they change length as values appear.
    const shape = g.querySelector("path, polygon");
    const box = boxOf(shape);
    g._box = box;
    const lines = Array.from(g.querySelectorAll("text"));
    // A collapsed box (a neuron or a layer) says which line shows what: name, note, data, grad, w, b.
    const kinds = nodes.get(id).lines || ["name", "data", "grad"];
    g._kinds = kinds;
    lines.forEach((t, i) => {
      t.setAttribute("text-anchor", "middle");
      t.setAttribute("x", String(box.x + box.width / 2));
      const k = kinds[i] || "note";
      t.classList.add(k === "name" ? "dg-name" : k === "data" ? "dg-data" : k === "grad" ? "dg-grad" : k === "note" ? "dg-note-line" : "dg-pgrad");
    });
    g._lines = lines;
  });
  opEls.forEach((g) => {
    g.classList.add("dg-opnode");
    const shape = g.querySelector("ellipse, path, polygon");
    const box = boxOf(shape);
    g._box = box;
    g.querySelectorAll("text").forEach((t) => { t.setAttribute("text-anchor", "middle"); t.setAttribute("x", String(box.x + box.width / 2)); });
  });
  edgeEls.forEach((g) => {
    g.classList.add("dg-edge");
    // An edge into a neuron (collapsed view) carries its weight: its two ends, to light it up
    // when either is the box in play.
    const from = /dg-from-(v\d+)/.exec(g.getAttribute("class") || "");
    if (from) { g._from = from[1]; g._to = "v" + g.getAttribute("id").slice(1).split("_")[0]; }
  });
  const nodeBoxes = [];
  valueEls.forEach((g, id) => nodeBoxes.push(Object.assign({ id }, g._box)));
  opEls.forEach((g, id) => nodeBoxes.push(Object.assign({ id }, g._box)));
  // What needs a layout (measuring text, points along an edge, the stage's width) waits until
  // the player is on the page and visible.
  let laidOut = false, destroyed = false;
  function visible() {
    if (!laidOut && svg.isConnected && svg.getBoundingClientRect().width > 0) { laidOut = true; readable(); }
    return laidOut;
  }
  function whenVisible() {
    if (destroyed) return;
    if (visible()) show(frame, true); else setTimeout(whenVisible, 120);
  }
  const edgeById = new Map(edgeEls.map((g) => [g.getAttribute("id"), g]));
  const opOf = (valueId) => opEls.get("op" + valueId.slice(1));

  // The flow label: `local × upstream = contribution`, beside the edge in use, never over a box
  // (the student needs what the boxes say: the local derivative is often a parent's data). Where
  // the edge has no free room beside it, the label goes to the nearest free space, or to a band
  // kept free above the drawing, with a leader line to the edge.
  const flow = document.createElementNS(SVGNS, "g");
  flow.setAttribute("class", "dg-flow");
  flow.innerHTML = `<line class="dg-flow-leader"></line><rect rx="4" ry="4"></rect><text class="dg-flow-head"></text><text class="dg-flow-main"></text><text class="dg-flow-merge"></text>`;
  graph.appendChild(flow);
  const BAND = 44; // graph units kept free above the drawing: room for a label of three lines
  const drawn = nodeBoxes.length ? {
    minX: Math.min(...nodeBoxes.map((o) => o.x)) - 4, maxX: Math.max(...nodeBoxes.map((o) => o.x + o.width)) + 4,
    minY: Math.min(...nodeBoxes.map((o) => o.y)) - 4, maxY: Math.max(...nodeBoxes.map((o) => o.y + o.height)) + 4,
  } : { minX: 0, maxX: 100, minY: 0, maxY: 100 };
  (function reserveBand() { // grow the viewBox upwards by BAND (the graph's own coordinates are kept)
    const v = (svg.getAttribute("viewBox") || "").split(/[ ,]+/).map(Number);
    if (v.length !== 4 || !edgeEls.length) return;
    svg.setAttribute("viewBox", `${v[0]} ${v[1] - BAND} ${v[2]} ${v[3] + BAND}`);
  })();

  // -- state at a frame: replay the frames up to it (cheap: a few hundred events) ---------------
  function stateAt(f) {
    const data_ = new Set(), grad = new Map(), used = new Set(), merged = new Set(), params = new Map();
    for (let i = 0; i <= f; i++) {
      const fr = frames[i];
      (fr.params || []).forEach((u) => params.set(u.node, Object.assign({}, params.get(u.node) || {}, u))); // a box's own weights and bias
      if (fr.kind === "forward") fr.nodes.forEach((id) => data_.add(id));
      else if (fr.kind === "seed" && fr.node) grad.set(fr.node, { value: fr.grad, text: fr.grad_text });
      (fr.arrived || []).forEach((u) => grad.set(u.parent, { value: u.total, text: u.total_text })); // from outside the drawing
      if (fr.kind === "edge") {
        grad.set(fr.parent, { value: fr.total, text: fr.total_text });
        used.add(fr.edge); used.add(fr.op_edge);
        if (fr.merge) merged.add(fr.parent);
      }
    }
    return { data: data_, grad, used, merged, params };
  }

  function setClass(g, name, on) { if (g) g.classList.toggle(name, !!on); }

  // A line the page writes ("grad −3.989e−07", bold once it has a gradient) can be wider than the
  // text its box was laid out for (typographic minus signs, bold, the viewer's font): then it is
  // drawn condensed to the box's width rather than running past its border.
  const textWidths = new Map();
  function fitLine(g, line) {
    line.removeAttribute("textLength");
    line.removeAttribute("lengthAdjust");
    if (!laidOut) return; // measuring needs a layout; show() runs again once the player is visible
    const key = (g.classList.contains("dg-has-grad") ? "b|" : "r|") + line.getAttribute("class") + "|" + line.textContent;
    let width = textWidths.get(key);
    if (width === undefined) { width = line.getComputedTextLength(); textWidths.set(key, width); }
    const room = g._box.width - 12; // clear of a thick border (the value in play)
    if (width > room) { line.setAttribute("textLength", String(room)); line.setAttribute("lengthAdjust", "spacingAndGlyphs"); }
  }

  function placeFlow(fr) {
    const g = edgeById.get(fr.edge);
    if (!g) { flow.style.display = "none"; return; }
    const path = g.querySelector("path");
    const len = path.getTotalLength();
    const head = flow.querySelector(".dg-flow-head"), main = flow.querySelector(".dg-flow-main"), merge = flow.querySelector(".dg-flow-merge");
    head.textContent = fr.flow_head || "local × upstream = contribution";
    main.textContent = fr.flow_main || `${fr.local_text} × ${fr.upstream_text} = ${fr.contribution_text}`;
    // A merge: the parent already held a gradient from another use, and this one adds to it.
    merge.textContent = fr.merge ? `${fr.parent_name}.grad += ${fr.contribution_text} → ${fr.total_text}` : "";
    merge.style.display = fr.merge ? "" : "none";
    flow.style.display = "";
    const rect = flow.querySelector("rect"), leader = flow.querySelector(".dg-flow-leader");
    const { minX, maxX, minY, maxY } = drawn;
    head.setAttribute("x", 0); main.setAttribute("x", 0); merge.setAttribute("x", 0);
    head.setAttribute("y", -12); main.setAttribute("y", 0); merge.setAttribute("y", 13);
    const a0 = head.getBBox(), b0 = fr.merge ? merge.getBBox() : main.getBBox(), m0 = main.getBBox();
    const w = Math.max(a0.width, b0.width, m0.width) + 10, h = b0.y + b0.height - a0.y + 6;
    const covers = (r) => nodeBoxes.some((o) => r.x < o.x + o.width + 2 && o.x - 2 < r.x + r.width && r.y < o.y + o.height + 2 && o.y - 2 < r.y + r.height);
    const inside = (r) => r.x >= minX && r.x + r.width <= maxX && r.y >= minY - BAND && r.y + r.height <= maxY;
    const free = (r) => inside(r) && !covers(r);
    const at = (cx, cy) => ({ x: cx - w / 2, y: cy - h / 2, width: w, height: h });
    const points = [0.5, 0.62, 0.38, 0.75, 0.25, 0.85, 0.15].map((t) => path.getPointAtLength(len * t));
    // 1. beside the edge: above, below, left or right of a point along it
    let placed = null, anchor = points[0];
    for (const p of points) {
      for (const [dx, dy] of [[0, -h / 2 - 4], [0, h / 2 + 4], [-w / 2 - 6, 0], [w / 2 + 6, 0]]) {
        const box = at(p.x + dx, p.y + dy);
        if (free(box)) { placed = box; anchor = p; break; }
      }
      if (placed) break;
    }
    // 2. else the free spot nearest the edge's middle (a grid over the drawing), with a leader line
    let lead = false;
    if (!placed) {
      // Square rings of grid spots around the middle, nearest first, within RINGS (a search over a
      // whole big drawing would stall the player); past them the band above the drawing.
      const mid = points[0], GX = 12, GY = 8, RINGS = 40;
      const rings = Math.min(RINGS, Math.ceil(Math.max((maxX - minX) / GX, (maxY - minY + BAND) / GY)));
      for (let r = 1; r <= rings && !placed; r++) {
        let best = Infinity;
        for (let i = -r; i <= r; i++) {
          for (const [gx, gy] of [[i, -r], [i, r], [-r, i], [r, i]]) {
            const box = at(mid.x + gx * GX, mid.y + gy * GY), d = (gx * GX) ** 2 + (gy * GY) ** 2;
            if (d < best && free(box)) { best = d; placed = box; }
          }
        }
      }
      lead = true;
      // 3. the band above the drawing is free by construction
      if (!placed) placed = at(Math.max(minX + w / 2, Math.min(mid.x, maxX - w / 2)), minY - BAND / 2);
    }
    leader.style.display = lead ? "" : "none";
    if (lead) {
      const lx = Math.max(placed.x, Math.min(anchor.x, placed.x + w)), ly = Math.max(placed.y, Math.min(anchor.y, placed.y + h));
      leader.setAttribute("x1", lx); leader.setAttribute("y1", ly); leader.setAttribute("x2", anchor.x); leader.setAttribute("y2", anchor.y);
    }
    flow.dataset.placed = lead ? "leader" : "beside";
    const cx = placed.x + w / 2;
    head.setAttribute("x", cx); main.setAttribute("x", cx); merge.setAttribute("x", cx);
    const baseline = placed.y + 3 + (-12 - a0.y); // the head's top 3 below the box's
    head.setAttribute("y", baseline); main.setAttribute("y", baseline + 12); merge.setAttribute("y", baseline + 25);
    rect.setAttribute("x", placed.x); rect.setAttribute("y", placed.y);
    rect.setAttribute("width", placed.width); rect.setAttribute("height", placed.height);
    graph.appendChild(flow); // on top of everything
  }

  function show(f, fromModel) {
    visible(); // lays out once the player is on the page: the lines below are measured
    frame = Math.max(0, Math.min(last, f | 0));
    const fr = frames[frame];
    const st = stateAt(frame);
    const backward = fr.kind === "seed" || fr.kind === "edge" || fr.kind === "box" || fr.kind === "done";
    root.dataset.frame = String(frame);
    root.dataset.kind = fr.kind;
    slider.value = String(frame);
    counter.textContent = `${frame} / ${last}`;

    const current = fr.kind === "forward" ? fr.nodes : fr.kind === "seed" && fr.node ? [fr.node] : fr.kind === "edge" || fr.kind === "box" ? [fr.node] : [];
    valueEls.forEach((g, id) => {
      const n = nodes.get(id);
      const hasData = st.data.has(id);
      const gr = st.grad.get(id);
      const pg = st.params.get(id);
      setClass(g, "dg-has-grad", !!gr); // before the lines are fitted: a grad line is bold once it has one
      g._lines.forEach((line, i) => {
        const k = g._kinds[i];
        if (k === "data") line.textContent = (n.data_label || "data") + " " + (hasData ? n.data_text : "·");
        else if (k === "grad") line.textContent = (n.grad_label || "grad") + " " + (gr ? gr.text : "·");
        else if (k === "w" || k === "b") line.textContent = pg && pg[k + "_text"] != null ? pg[k + "_text"] : ((n.pending && n.pending[k]) || "grad " + k + " ·");
        if (k !== "name" && k !== "note") fitLine(g, line);
      });
      if (gr) g.setAttribute("data-grad", String(gr.value)); else g.removeAttribute("data-grad");
      ["w", "b"].forEach((k) => { if (pg && pg[k] !== undefined) g.setAttribute("data-" + k + "grad", String(pg[k])); else g.removeAttribute("data-" + k + "grad"); });
      setClass(g, "dg-pending", !hasData);
      setClass(g, "dg-current", current.includes(id));
      setClass(g, "dg-fwd", fr.kind === "forward" && current.includes(id));
      setClass(g, "dg-bwd", backward && current.includes(id));
      setClass(g, "dg-receiving", fr.kind === "edge" && fr.parent === id);
      setClass(g, "dg-merge", fr.kind === "edge" && fr.parent === id && fr.merge);
      const op = opOf(id);
      if (op) {
        setClass(op, "dg-pending", !hasData);
        setClass(op, "dg-current", current.includes(id) && fr.kind !== "seed");
        setClass(op, "dg-fwd", fr.kind === "forward" && current.includes(id));
        setClass(op, "dg-bwd", fr.kind === "edge" && current.includes(id));
      }
    });
    const inPlay = data.collapse && current.length === 1 ? current[0] : null;
    root.classList.toggle("dg-box-focus", !!inPlay);
    edgeEls.forEach((g) => {
      if (g._from) setClass(g, "dg-touching", inPlay && (g._from === inPlay || g._to === inPlay));
      const id = g.getAttribute("id");
      const child = "v" + (id[0] === "o" ? id.slice(1) : id.slice(1).split("_")[0]);
      setClass(g, "dg-pending", !st.data.has(child));
      setClass(g, "dg-used", st.used.has(id));
      setClass(g, "dg-active", fr.kind === "edge" && (fr.edge === id || fr.op_edge === id));
      setClass(g, "dg-fwd", fr.kind === "forward" && fr.node && ("v" + id.slice(1).split("_")[0] === fr.node) && id[0] === "e");
    });
    if (fr.kind === "edge" && visible()) placeFlow(fr); else flow.style.display = "none";
    centre(false);
    applyPath();

    // Narration: the phase, and the arithmetic of this frame in words.
    phase.className = "dg-phase " + (backward ? "dg-phase-bwd" : fr.kind === "forward" ? "dg-phase-fwd" : "");
    phase.textContent = fr.kind === "start" ? "Ready" : fr.kind === "forward" ? "Forward" : fr.kind === "done" ? "Done" : "Backward";
    if (fr.kind === "edge" && fr.vector) {
      text.textContent = fr.text; // a layer passes a vector: its sentence says it with norms
    } else if (fr.kind === "edge") {
      const nm = esc(fr.node_name), pm = esc(fr.parent_name);
      text.innerHTML =
        `step ${fr.step}: <b>${nm}</b> = ${esc(fr.node_expression)} passes its gradient to <b>${pm}</b>: ` +
        `<span class="dg-formula"><span class="dg-term" title="local derivative ∂${nm}/∂${pm}">local ∂${nm}/∂${pm} = ${esc(fr.local_text)}</span> × ` +
        `<span class="dg-term" title="upstream gradient ∂out/∂${nm}">upstream ${esc(fr.upstream_text)}</span> = ` +
        `<span class="dg-term dg-contrib">${esc(fr.contribution_text)}</span></span> ` +
        (fr.merge
          ? `<span class="dg-merge-text">${pm}.grad += ${esc(fr.contribution_text)} → ${esc(fr.total_text)}</span> <span class="dg-muted">(${pm} is used more than once: its gradient is a sum; it held ${esc(fr.previous_text)})</span>`
          : `<span class="dg-set-text">${pm}.grad = ${esc(fr.total_text)}</span>`);
      if (fr.arrived && fr.arrived.length) text.innerHTML += ` <span class="dg-muted">(and ${fr.arrived.length} contribution${fr.arrived.length > 1 ? "s" : ""} from the part not drawn)</span>`;
    } else {
      text.textContent = fr.text;
    }

    // The steps table follows.
    tbody.querySelectorAll("tr.dg-row-current").forEach((r) => r.classList.remove("dg-row-current"));
    tbody.querySelectorAll("tr").forEach((r) => r.classList.toggle("dg-row-done", +r.dataset.frame <= frame));
    const row = tbody.querySelector(`tr[data-frame="${frame}"]`);
    if (row) {
      row.classList.add("dg-row-current");
      const top = row.getBoundingClientRect().top - tableWrap.getBoundingClientRect().top + tableWrap.scrollTop;
      if (top < tableWrap.scrollTop + 30 || top > tableWrap.scrollTop + tableWrap.clientHeight - 30) tableWrap.scrollTop = Math.max(0, top - tableWrap.clientHeight / 2);
    }
    renderInfo();
    if (options.onFrame && !fromModel) options.onFrame(frame);
  }

  // Keep the node in play inside the stage (a wide graph scrolls; the page itself does not);
  // `always`: put it in the middle even when it is already in view.
  function centre(always) {
    const fr = frames[frame];
    const current = fr.kind === "forward" ? fr.nodes : fr.kind === "seed" && fr.node ? [fr.node] : fr.kind === "edge" || fr.kind === "box" ? [fr.node] : [];
    const focus = current.length === 1 ? valueEls.get(fr.kind === "edge" ? fr.parent : current[0]) : null;
    if (!focus || !stage || !visible()) return;
    const r = focus.getBoundingClientRect(), s = stage.getBoundingClientRect();
    if (always || r.left < s.left + 20 || r.right > s.right - 20) stage.scrollLeft += (r.left + r.right) / 2 - (s.left + s.right) / 2;
    if (always || r.top < s.top + 20 || r.bottom > s.bottom - 20) stage.scrollTop += (r.top + r.bottom) / 2 - (s.top + s.bottom) / 2;
  }

  // -- the node panel --------------------------------------------------------------------------
  function fmtNum(x) { return x == null ? "—" : String(x); }
  function autoInfo() { // with nothing hovered or pinned: the value this frame is about
    const fr = frames[frame];
    if (fr.kind === "edge") return fr.parent;
    if (fr.kind === "box") return fr.node;
    if (fr.kind === "forward" && fr.node) return fr.node;
    if (fr.kind === "seed" || fr.kind === "done") return data.root;
    return null;
  }
  function renderInfo() {
    const id = pinned || hovered || autoInfo();
    if (!id || !nodes.has(id)) return;
    const n = nodes.get(id);
    const st = stateAt(frame);
    const gr = st.grad.get(id);
    const rows = [];
    rows.push(`<div class="dg-info-name">${esc(n.name)} <span class="dg-badge dg-role-badge-${n.role}">${esc(n.role)}</span>${pinned ? ' <span class="dg-muted">(pinned: click again to release)</span>' : ""}</div>`);
    if (n.info) rows.push(`<div><span class="dg-k">${esc(n.kind)}</span> ${esc(n.info)}</div>`);
    else if (n.op) rows.push(`<div><span class="dg-k">op</span> ${esc(n.op)}: ${esc(n.name)} = ${esc(n.expression)}</div>`);
    else rows.push(`<div><span class="dg-k">op</span> none (a leaf)</div>`);
    rows.push(`<div><span class="dg-k">${esc(n.data_label || "data")}</span> ${esc(n.data_text)} <span class="dg-muted">${fmtNum(n.data)}</span></div>`);
    if (n.requires_grad) {
      rows.push(`<div><span class="dg-k">${esc(n.grad_label || "grad")} now</span> ${gr ? esc(gr.text) : "not yet"}</div>`);
      rows.push(`<div><span class="dg-k">${esc(n.grad_label || "grad")} (final)</span> ${esc(n.grad_text)} <span class="dg-muted">${fmtNum(n.grad)}</span></div>`);
      if (n.params) ["w", "b"].forEach((k) => { if (n.params[k + "_text"]) rows.push(`<div><span class="dg-k">${k === "w" ? "weights" : "bias"} (final)</span> ${esc(n.params[k + "_text"])}</div>`); });
    } else rows.push(`<div class="dg-muted">a constant: no gradient flows to it</div>`);
    if (n.fd !== undefined) {
      const ok = n.fd != null && n.grad != null && Math.abs(n.fd - n.grad) <= 1e-5 + 1e-3 * Math.abs(n.fd);
      rows.push(`<div class="dg-fd"><span class="dg-k">finite difference</span> ${esc(n.fd_text)} <span class="dg-muted">(f(x+h) − f(x−h)) / 2h</span> ` +
        `<span class="dg-badge ${ok ? "dg-ok" : "dg-bad"}">${ok ? "agrees with autograd" : "differs"}</span></div>`);
    }
    if (n.paths) {
      if (n.paths.listed.length) {
        const items = n.paths.listed.map((p, i) => `<li><button type="button" class="dg-path${pathIds && pathIds.key === id + ":" + i ? " dg-path-on" : ""}" data-path="${i}">${esc(p.text)}</button><span class="dg-muted"> ${p.locals.map(esc).join(" × ")} = </span><b>${esc(p.product_text)}</b></li>`).join("");
        rows.push(`<div class="dg-paths"><div><span class="dg-k">paths to the output</span> ${n.paths.count}: their products sum to the gradient ${esc(n.grad_text)}</div><ol>${items}</ol></div>`);
      } else {
        rows.push(`<div class="dg-paths"><span class="dg-k">paths to the output</span> ${n.paths.count.toLocaleString()} (too many to list; autograd.paths counts them)</div>`);
      }
    }
    info.innerHTML = rows.join("");
    info.querySelectorAll(".dg-path").forEach((b) => b.addEventListener("click", (ev) => {
      ev.stopPropagation();
      const i = +b.dataset.path;
      const key = id + ":" + i;
      pathIds = pathIds && pathIds.key === key ? null : n.paths.listed[i];
      applyPath(); renderInfo();
    }));
  }

  function applyPath() {
    const on = new Set(pathIds ? pathIds.nodes.concat(pathIds.edges) : []);
    valueEls.forEach((g, id) => setClass(g, "dg-on-path", on.has(id)));
    opEls.forEach((g, id) => setClass(g, "dg-on-path", on.has(id)));
    edgeEls.forEach((g) => setClass(g, "dg-on-path", on.has(g.getAttribute("id"))));
    root.classList.toggle("dg-path-mode", on.size > 0);
  }

  valueEls.forEach((g, id) => {
    g.addEventListener("mouseenter", () => { hovered = id; renderInfo(); });
    g.addEventListener("mouseleave", () => { hovered = null; });
    g.addEventListener("click", (ev) => { ev.stopPropagation(); pinned = pinned === id ? null : id; valueEls.forEach((h, j) => setClass(h, "dg-pinned", j === pinned)); renderInfo(); });
  });

  // -- the steps table -------------------------------------------------------------------------
  tbody.innerHTML = frames.map((fr, i) => {
    if (fr.kind !== "edge") return "";
    const total = fr.merge ? `${esc(fr.previous_text)} + ${esc(fr.contribution_text)} = <b>${esc(fr.total_text)}</b>` : `<b>${esc(fr.total_text)}</b>`;
    return `<tr data-frame="${i}"><td>${fr.step}</td><td>${esc(fr.node_name)}</td><td>${esc(fr.parent_name)}${fr.merge ? ' <span class="dg-badge dg-merge-badge">+=</span>' : ""}</td>` +
      `<td>${esc(fr.local_text)}</td><td>${esc(fr.upstream_text)}</td><td>${esc(fr.contribution_text)}</td><td data-grad="${fr.total}">${total}</td></tr>`;
  }).join("");
  tbody.addEventListener("click", (ev) => { const tr = ev.target.closest("tr"); if (tr) { stop(); show(+tr.dataset.frame); } });

  // -- the player ------------------------------------------------------------------------------
  function stop() {
    if (timer) clearInterval(timer);
    timer = null;
    playButton.innerHTML = ICONS.play + "<span>Play</span>";
    root.classList.remove("dg-playing");
  }
  function play() {
    if (frame >= last) show(0);
    playButton.innerHTML = ICONS.pause + "<span>Pause</span>";
    root.classList.add("dg-playing");
    timer = setInterval(() => { if (frame >= last) stop(); else show(frame + 1); }, +speed.value);
  }
  const actions = {
    first: () => { stop(); show(0); },
    back: () => { stop(); show(frame - 1); },
    next: () => { stop(); show(frame + 1); },
    last: () => { stop(); show(last); },
    play: () => (timer ? stop() : play()),
  };
  // -- zoom: readable by default (a wide graph scrolls), "fit" shows all of it -------------------
  const vb = (svg.getAttribute("viewBox") || "0 0 400 300").split(/[ ,]+/).map(Number);
  const natural = vb[2] * 4 / 3; // pt -> px
  // Below READABLE the boxes' text is under about 7 px: "fit" then offers "follow the step".
  const READABLE = 0.6;
  const followButton = el.querySelector(".dg-follow");
  let zoom = null;
  function setZoom(z) {
    zoom = Math.max(0.2, Math.min(3, z));
    svg.style.width = Math.round(natural * zoom) + "px";
    svg.style.maxWidth = "none";
    followButton.hidden = zoom >= READABLE;
    root.dataset.zoom = zoom.toFixed(3);
  }
  function fit() { const w = stage.clientWidth - 14; if (w > 0) setZoom(Math.min(1.2, w / natural)); }
  function follow() { setZoom(Math.max(1, zoom || 1)); centre(true); }
  function readable() { const w = stage.clientWidth - 14; if (w > 0) setZoom(Math.min(1.2, Math.max(0.85, w / natural))); }
  el.querySelectorAll(".dg-zbtn").forEach((b) => b.addEventListener("click", () => {
    const how = b.dataset.zoom;
    if (how === "fit") fit(); else if (how === "follow") follow(); else setZoom((zoom || 1) * (how === "in" ? 1.25 : 0.8));
  }));

  el.querySelectorAll(".dg-btn[data-act]").forEach((b) => b.addEventListener("click", () => { actions[b.dataset.act](); root.focus({ preventScroll: true }); }));
  slider.addEventListener("input", () => { stop(); show(+slider.value); });
  speed.addEventListener("change", () => { if (timer) { stop(); play(); } });
  function onKey(ev) {
    if (ev.target && (ev.target.tagName === "SELECT" || (ev.target.tagName === "INPUT" && ev.target !== slider))) return;
    const key = { ArrowRight: "next", ArrowLeft: "back", Home: "first", End: "last", " ": "play" }[ev.key];
    if (!key) return;
    ev.preventDefault();
    ev.stopPropagation(); // keep Jupyter's own shortcuts out of it
    actions[key]();
  }
  root.addEventListener("keydown", onKey);
  if (options.page) document.addEventListener("keydown", (ev) => { if (!root.contains(ev.target)) onKey(ev); });
  svg.addEventListener("click", () => { if (pinned) { pinned = null; valueEls.forEach((h) => setClass(h, "dg-pinned", false)); } });

  show(options.frame || 0, true);
  if (!laidOut) whenVisible();
  return {
    go: (f) => show(f, true),
    frame: () => frame,
    destroy: () => { destroyed = true; stop(); },
  };
}
