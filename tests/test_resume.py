"""Killed (SIGKILL) at 5 different points and rerun, training ends with weights bitwise equal to an
uninterrupted run (CPU, deterministic algorithms, a tiny CNN with batch norm and dropout on tiny data).

Equal bits alone would also pass if the trainer ignored its checkpoint and retrained from scratch, so each
rerun must also have resumed: its first step is the start of an epoch at or past the previous kill point's
epoch, and the last run reports (resumed_from_epoch) the epoch it took from the checkpoint."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import torch

STEPS_PER_EPOCH, EPOCHS = 6, 6
KILL_AT = [2, 9, 15, 22, 31]  # global step numbers, each in a later epoch than the one before

TRAINER = textwrap.dedent(f"""
    import sys
    import torch
    from initgen.models.zoo import build_model
    from initgen.training.classifier import train_classifier

    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    checkpoint, out = sys.argv[1], sys.argv[2]
    generator = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (48, 1, 4, 4), dtype=torch.uint8, generator=generator)
    labels = torch.randint(0, 3, (48,), generator=generator)
    settings = {{"lr": 0.05, "batch_size": 8, "max_epochs": {EPOCHS}, "target_train_acc": 1.1}}

    def on_step(epoch, step):
        print(epoch * {STEPS_PER_EPOCH} + step, flush=True)

    torch.manual_seed(0)
    model = build_model("small_cnn", 3, 1, 4)
    torch.manual_seed(1)
    stats = {{"mean": [0.5], "std": [0.3]}}
    result = train_classifier(model, (images, labels), None, stats, settings, seed=0,
                              checkpoint_path=checkpoint, progress=False, on_step=on_step)
    torch.save({{"model": model.state_dict(), "history": result["history"],
                "resumed_from_epoch": result["resumed_from_epoch"]}}, out)
    print("done", flush=True)
""")


def run_until(script, checkpoint, out, kill_at=None) -> tuple[int, int | None]:
    """Run the trainer; SIGKILL it once it reports global step `kill_at`.

    Returns its exit code and the first global step it trained (None if it trained none)."""
    process = subprocess.Popen(
        [sys.executable, str(script), str(checkpoint), str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    first_step = None
    for line in process.stdout:
        if line.strip().isdigit():
            first_step = int(line) if first_step is None else first_step
            if kill_at is not None and int(line) >= kill_at:
                process.kill()
                break
    process.wait()
    assert process.returncode in (0, -9), process.stderr.read()
    return process.returncode, first_step


def test_sigkill_at_five_points_then_rerun_equals_uninterrupted(tmp_path):
    script = tmp_path / "trainer.py"
    script.write_text(TRAINER)
    assert run_until(script, tmp_path / "reference.pt", tmp_path / "reference.out") == (0, 0)

    previous_kill = None
    for kill_at in [*KILL_AT, None]:
        code, first_step = run_until(script, tmp_path / "last.pt", tmp_path / "resumed.out", kill_at)
        assert code == (0 if kill_at is None else -9)
        if kill_at is not None:
            assert not (tmp_path / "resumed.out").exists()  # killed before the end, really
        if previous_kill is None:
            assert first_step == 0  # the first run starts from scratch
        else:  # resumed at an epoch boundary, past every epoch completed before the previous kill
            assert first_step % STEPS_PER_EPOCH == 0, first_step
            assert first_step >= previous_kill // STEPS_PER_EPOCH * STEPS_PER_EPOCH, (first_step, previous_kill)
        previous_kill = kill_at if kill_at is not None else previous_kill

    reference = torch.load(tmp_path / "reference.out", weights_only=True)
    resumed = torch.load(tmp_path / "resumed.out", weights_only=True)
    assert reference["resumed_from_epoch"] == 0
    # the last run took its epochs from the checkpoint, past the last kill point's completed epochs
    assert resumed["resumed_from_epoch"] * STEPS_PER_EPOCH == first_step
    assert resumed["resumed_from_epoch"] >= KILL_AT[-1] // STEPS_PER_EPOCH >= 1
    assert len(resumed["history"]) == EPOCHS
    assert resumed["history"] == reference["history"]  # every epoch's loss and accuracy, exactly
    for name, tensor in reference["model"].items():
        assert torch.equal(tensor, resumed["model"][name]), name  # bitwise, batch-norm buffers included
