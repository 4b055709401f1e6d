"""Active learning scores a bounded, seeded sample of a large pool."""

from __future__ import annotations

from pathlib import Path

from worker.active_learning import Pool, candidate_sample


def pool(n: int) -> list[Pool]:
    return [(i, Path(f"{i}.png"), None, None) for i in range(1, n + 1)]


def test_a_pool_within_the_limit_is_scored_whole() -> None:
    assert candidate_sample(pool(5), 5, seed=1) == pool(5)


def test_a_larger_pool_is_sampled_to_the_limit_in_id_order_and_reproducibly() -> None:
    sample = candidate_sample(pool(1000), 50, seed=7)
    ids = [image_id for image_id, *_ in sample]
    assert len(ids) == len(set(ids)) == 50
    assert ids == sorted(ids)
    assert candidate_sample(pool(1000), 50, seed=7) == sample  # the same version, the same sample
    assert candidate_sample(pool(1000), 50, seed=8) != sample  # the next version looks elsewhere
