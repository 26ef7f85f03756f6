// The standalone page: the data sits in the page itself, as JSON.
dagradExplorer(
  document.getElementById("dagrad-explorer"),
  JSON.parse(document.getElementById("dagrad-data").textContent),
  // A link can open the player at a frame: page.html#frame=40
  { page: true, frame: +((/frame=(\d+)/.exec(location.hash) || [])[1] || 0) }
);
