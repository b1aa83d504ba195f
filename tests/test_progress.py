"""Progress: plain lines at an interval when the output is not a terminal (logs), tqdm's bar on a terminal."""

from __future__ import annotations

import copy
import io
import json
import os
import subprocess
import sys

import pytest
import yaml
from conftest import REPO

from initgen.core.progress import PlainProgress, progress


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


class FakeTerminal(io.StringIO):
    def isatty(self):
        return True


def test_plain_lines_at_the_interval_with_values_eta_and_a_last_line():
    stream, clock = io.StringIO(), Clock()
    bar = PlainProgress(total=100, desc="train depth 3", unit="step", stream=stream, interval=30, clock=clock)
    evaluated = []

    def loss():
        evaluated.append(bar.n)
        return 0.5 / bar.n

    for _ in range(100):
        clock.now += 1.0  # one second per step: lines at 30 s, 60 s, 90 s and the last step
        bar.update(1, loss=loss)
    bar.close()
    lines = stream.getvalue().splitlines()
    assert lines == [
        "train depth 3: step 30/100 (30%) loss=0.01667 elapsed 0:00:30 eta 0:01:10",
        "train depth 3: step 60/100 (60%) loss=0.008333 elapsed 0:01:00 eta 0:00:40",
        "train depth 3: step 90/100 (90%) loss=0.005556 elapsed 0:01:30 eta 0:00:10",
        "train depth 3: step 100/100 (100%) loss=0.005 elapsed 0:01:40",
    ]
    assert evaluated == [30, 60, 90, 100]  # callable values only when a line is written (one device sync each)
    assert "\r" not in stream.getvalue()


def test_a_short_loop_writes_nothing_and_an_early_stop_writes_its_last_line():
    stream, clock = io.StringIO(), Clock()
    bar = PlainProgress(total=1000, desc="short", unit="step", stream=stream, interval=30, clock=clock)
    for _ in range(10):
        clock.now += 1.0
        bar.update(1)
    bar.close()
    assert stream.getvalue() == ""
    # A resumed run (epochs 5..) stopped early at epoch 8: ETA from the epochs this run did, a last line at close.
    bar = PlainProgress(total=20, desc="fit", unit="epoch", stream=stream, interval=20, initial=5, clock=clock)
    clock.now, bar.start = 0.0, 0.0
    for _ in range(3):
        clock.now += 10.0
        bar.update(1, acc="0.950")
    bar.close()
    assert stream.getvalue().splitlines() == [
        "fit: epoch 7/20 (35%) acc=0.950 elapsed 0:00:20 eta 0:02:10",
        "fit: epoch 8/20 (40%) acc=0.950 elapsed 0:00:30 eta 0:02:00",
    ]


def test_bar_on_a_terminal_lines_elsewhere_nothing_when_disabled():
    terminal = FakeTerminal()
    bar = progress(total=3, desc="bar", stream=terminal, leave=True)
    for _ in range(3):
        bar.update(1)
    bar.close()
    assert "\r" in terminal.getvalue() and "3/3" in terminal.getvalue()  # tqdm redraws in place
    log = io.StringIO()
    items = list(progress(range(5), desc="loop", stream=log, interval=0))
    assert items == [0, 1, 2, 3, 4]
    assert log.getvalue().splitlines()[-1].startswith("loop: step 5/5 (100%) elapsed 0:00:00")
    assert len(log.getvalue().splitlines()) == 5 and "\r" not in log.getvalue()
    silent = io.StringIO()
    list(progress(range(5), disable=True, stream=silent, interval=0))
    assert silent.getvalue() == ""


@pytest.mark.usefixtures("one_thread")
def test_a_training_log_is_lines_a_person_can_read(tmp_path):
    """A real 1-D training step writing to a file, as in a Snakemake log: plain progress lines, no redraws."""
    experiment = yaml.safe_load((REPO / "config/config.yaml").read_text())["toy"]["experiments"]["fig7_decay_rates"]
    variant = copy.deepcopy(experiment["variants"]["small_variance"])  # plain init, trained with SGD
    variant["model"]["width"] = 8
    variant["train"] = {"optimizer": "sgd", "lr": 0.01, "steps": 300}  # no stopping rule: all 300 steps
    job = json.dumps({"target": experiment["target"], "train_x": experiment["train_x"], "variant": variant,
                      "grid_points": 64})
    log = tmp_path / "train.log"
    env = {**os.environ, "INITGEN_PROGRESS_INTERVAL": "0"}
    with open(log, "w") as handle:
        result = subprocess.run([sys.executable, "-m", "initgen", "toy-train", "--job", job, "--seeds", "[0, 1]",
                                 "--device", "cpu", "--threads", "1", "--out", str(tmp_path / "out.npz")],
                                cwd=REPO, stdout=handle, stderr=subprocess.STDOUT, env=env, timeout=300)
    text = log.read_text()
    assert result.returncode == 0, text
    assert "\r" not in text
    lines = [line for line in text.splitlines() if " step " in line]
    assert len(lines) >= 300, text[-2000:]
    last = lines[-1]
    assert "step 300/300 (100%)" in last and "loss=" in last and "active=" in last and "elapsed" in last, last
