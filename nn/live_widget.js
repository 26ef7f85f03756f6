// The Jupyter side (anywidget): the view over the widget's traits; the buttons send controls.
export default {
  render({ model, el }) {
    const api = dagradLive(el, { meta: model.get("meta"), series: model.get("series"), frames: [] }, {
      send: (message) => model.send(message),
      status: model.get("status"),
    });
    const onFrame = () => api.update({ frame: model.get("frame") });
    const onSeries = () => api.update({ series: model.get("series") });
    const onStatus = () => api.update({ status: model.get("status") });
    if (model.get("frame") && model.get("frame").epoch !== undefined) onFrame();
    model.on("change:frame", onFrame);
    model.on("change:series", onSeries);
    model.on("change:status", onStatus);
    return () => {
      api.destroy();
      model.off("change:frame", onFrame);
      model.off("change:series", onSeries);
      model.off("change:status", onStatus);
    };
  },
};
