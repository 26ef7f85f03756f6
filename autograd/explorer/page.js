// The standalone page: the data sits in the page itself, as JSON.
// A link can open the player at a frame (page.html#frame=40); changing the hash moves it there,
// and stepping writes the frame into the address (a link to share), without a history entry.
(function () {
  const fromHash = () => { const m = /frame=(\d+)/.exec(location.hash); return m ? +m[1] : null; };
  const player = dagradExplorer(
    document.getElementById("dagrad-explorer"),
    JSON.parse(document.getElementById("dagrad-data").textContent),
    { page: true, frame: fromHash() || 0, onFrame: (f) => history.replaceState(null, "", "#frame=" + f) }
  );
  window.addEventListener("hashchange", () => { const f = fromHash(); if (f !== null && f !== player.frame()) player.go(f); });
})();
