"""What `fit(..., live=True)` costs on `make demo`'s network (100 two-moons points, MLP(2, [16, 16, 1]),
Adam, hinge loss, 100 epochs): training with and without the live view, in the same process.

    python -m benchmarks.live            # 5 runs of each, medians
    python -m benchmarks.live --quick    # 20 epochs, 2 runs (a smoke test)

Outside Jupyter `live=True` records the run (the frames `history.save_html` writes) without
sending anything; what the widget adds in Jupyter is sending: each update is serialized to JSON
(as ipywidgets does) at most every `nn.live.SEND_INTERVAL` seconds, so the benchmark measures one
update's serialization and counts the updates a run of that length sends.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
import warnings

import nn
from nn import live


def train(epochs: int, with_view: bool):
    X, labels = nn.datasets.make_moons(100, noise=0.1, seed=0)
    model = nn.MLP(2, [16, 16, 1], activation="relu", seed=0)
    optimizer = nn.Adam(model.parameters(), lr=0.02)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "no Jupyter kernel here"
        began = time.perf_counter()
        history = nn.fit(
            model,
            X,
            nn.datasets.to_signed(labels),
            loss="hinge",
            optimizer=optimizer,
            epochs=epochs,
            l2=1e-4,
            progress=False,
            live=with_view,
        )
    return time.perf_counter() - began, history


def update_seconds(recording) -> float:
    """One update as the widget sends it: the newest frame, the series and the status, as JSON."""
    state = {"frame": recording.frames[-1], "series": recording.series, "status": recording.status}
    began = time.perf_counter()
    for _ in range(20):
        json.dumps(state)
    return (time.perf_counter() - began) / 20


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.live", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="20 epochs, 2 runs")
    args = parser.parse_args(argv)
    epochs, runs = (20, 2) if args.quick else (100, 5)
    plain, viewed, recordings = [], [], []
    for _ in range(runs):  # alternating, so a slower moment of the machine hits both
        plain.append(train(epochs, False)[0])
        seconds, history = train(epochs, True)
        viewed.append(seconds)
        recordings.append(history.recording)
    base, with_view = statistics.median(plain), statistics.median(viewed)
    recorded = statistics.median(r.spent for r in recordings)
    updates = min(epochs, with_view / live.SEND_INTERVAL + 2)
    sending = updates * update_seconds(recordings[-1])
    print(f"make demo's network, {epochs} epochs, medians of {runs} runs")
    print(f"  fit without the view      {base:8.3f} s")
    print(f"  fit(live=True), recording {with_view:8.3f} s   ratio {with_view / base:.3f}")
    print(
        f"  of which frames           {recorded:8.3f} s   ({100 * recorded / base:.1f}% of training), {len(recordings[-1].frames)} frames"
    )
    print(
        f"  sending in Jupyter (est.) {sending:8.3f} s   ({100 * sending / base:.1f}%): {updates:.0f} updates of {1000 * update_seconds(recordings[-1]):.2f} ms"
    )
    print(
        f"  live view in all          {recorded + sending:8.3f} s   ({100 * (recorded + sending) / base:.1f}% of training; the budget is 10%)"
    )


if __name__ == "__main__":
    main()
