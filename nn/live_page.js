// The replay page: the recorded run sits in the page itself, as JSON. page.html#frame=N opens frame N.
(function () {
  const host = document.getElementById("dagrad-live");
  const data = JSON.parse(document.getElementById("dagrad-data").textContent);
  const hashFrame = () => +((/frame=(\d+)/.exec(location.hash) || [])[1] || data.frames.length - 1);
  const api = dagradLive(host, data, { frame: hashFrame() });
  window.addEventListener("hashchange", () => api.go(hashFrame()));
})();
