"""In-memory batches: normalization, coverage, labels kept with their images, seeded per-epoch shuffling."""

from __future__ import annotations

import pytest
import torch

from initgen.data.loader import InMemoryBatches

MEAN, STD = (0.2, 0.5, 0.7), (0.3, 0.25, 0.1)


def _data(n=50):
    # Image i has every pixel equal to i (and channel c adds 10 c), label i: we can tell which image a row is.
    index = torch.arange(n)
    images = (index.view(n, 1, 1, 1) + 10 * torch.arange(3).view(1, 3, 1, 1)).expand(n, 3, 4, 4)
    return images.to(torch.uint8).contiguous(), index.to(torch.int64)


def test_batches_are_normalized_per_channel():
    images, labels = _data()
    x, y = next(iter(InMemoryBatches(images, labels, 8, shuffle=False, seed=0, mean=MEAN, std=STD)))
    expected = (images[:8].float() / 255 - torch.tensor(MEAN).view(1, 3, 1, 1)) / torch.tensor(STD).view(
        1, 3, 1, 1
    )
    assert x.dtype == torch.float32 and x.shape == (8, 3, 4, 4)
    torch.testing.assert_close(x, expected, rtol=1e-5, atol=1e-5)
    assert y.tolist() == list(range(8))


def test_unshuffled_order_partial_last_batch_and_drop_last():
    images, labels = _data(50)
    batches = InMemoryBatches(images, labels, 16, shuffle=False, seed=0, mean=MEAN, std=STD)
    sizes = [len(y) for _, y in batches]
    assert sizes == [16, 16, 16, 2] and len(batches) == 4
    assert torch.cat([y for _, y in batches]).tolist() == list(range(50))
    dropped = InMemoryBatches(images, labels, 16, shuffle=False, seed=0, mean=MEAN, std=STD, drop_last=True)
    assert [len(y) for _, y in dropped] == [16, 16, 16] and len(dropped) == 3


def test_shuffle_is_a_seeded_permutation_per_epoch():
    images, labels = _data(50)

    def epoch_orders(seed, epochs):
        batches = InMemoryBatches(images, labels, 7, shuffle=True, seed=seed, mean=MEAN, std=STD)
        orders = []
        for _ in range(epochs):
            rows = []
            for x, y in batches:
                # Each label still sits with its own image: pixel value of channel 0 recovers the index.
                pixel = torch.round((x[:, 0, 0, 0] * STD[0] + MEAN[0]) * 255).long()
                assert torch.equal(pixel, y)
                rows.append(y)
            orders.append(torch.cat(rows))
        return orders

    first = epoch_orders(seed=3, epochs=3)
    for order in first:
        assert sorted(order.tolist()) == list(range(50))  # every sample exactly once
    assert not torch.equal(first[0], first[1]) and not torch.equal(first[1], first[2])
    assert all(torch.equal(a, b) for a, b in zip(first, epoch_orders(seed=3, epochs=3), strict=True))
    assert not torch.equal(first[0], epoch_orders(seed=4, epochs=1)[0])

    # Resume: a fresh object set to epoch 2 yields exactly epoch 2 of the uninterrupted run.
    resumed = InMemoryBatches(images, labels, 7, shuffle=True, seed=3, mean=MEAN, std=STD)
    resumed.set_epoch(2)
    assert torch.equal(torch.cat([y for _, y in resumed]), first[2])


def test_channels_last_and_bad_input():
    images, labels = _data(10)
    x, _ = next(
        iter(InMemoryBatches(images, labels, 4, False, 0, MEAN, STD, memory_format=torch.channels_last))
    )
    assert x.is_contiguous(memory_format=torch.channels_last)
    with pytest.raises(ValueError, match="uint8"):
        InMemoryBatches(images.float(), labels, 4, False, 0, MEAN, STD)
    with pytest.raises(ValueError, match="one value per channel"):
        InMemoryBatches(images, labels, 4, False, 0, (0.5,), (0.5,))
    with pytest.raises(ValueError, match="labels"):
        InMemoryBatches(images, labels[:5], 4, False, 0, MEAN, STD)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_batches_stay_on_the_gpu():
    images, labels = _data(20)
    batches = InMemoryBatches(images.cuda(), labels, 8, True, 0, MEAN, STD)
    x, y = next(iter(batches))
    assert x.is_cuda and y.is_cuda
    cpu_order = torch.cat([y for _, y in InMemoryBatches(images, labels, 8, True, 0, MEAN, STD)])
    batches.set_epoch(0)
    assert torch.equal(torch.cat([y for _, y in batches]).cpu(), cpu_order)  # same order on every device
