// The Jupyter side (anywidget): the player over the widget's `data`; `frame` is synced both ways.
export default {
  render({ model, el }) {
    let api = null;
    const mount = () => {
      if (api) api.destroy();
      api = dagradExplorer(el, model.get("data"), {
        frame: model.get("frame"),
        onFrame: (f) => { model.set("frame", f); model.save_changes(); },
      });
    };
    mount();
    const onFrame = () => { if (api && api.frame() !== model.get("frame")) api.go(model.get("frame")); };
    model.on("change:frame", onFrame);
    model.on("change:data", mount);
    return () => { if (api) api.destroy(); model.off("change:frame", onFrame); model.off("change:data", mount); };
  },
};
