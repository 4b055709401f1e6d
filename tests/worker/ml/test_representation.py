import torch

from worker.ml.representation import keypoint_max_pool, keypoint_max_pool_naive


def test_efficient_z_equals_naive_in_value_and_gradient() -> None:
    torch.manual_seed(0)
    features = torch.randn(3, 8, 6, 7, dtype=torch.float64).float().requires_grad_()
    heatmaps = torch.rand(3, 5, 6, 7).requires_grad_()
    upstream = torch.randn(3, 5, 8)

    fast = keypoint_max_pool(features, heatmaps)
    (fast * upstream).sum().backward()  # type: ignore[no-untyped-call]
    fast_grads = features.grad.clone(), heatmaps.grad.clone()  # type: ignore[union-attr]
    features.grad, heatmaps.grad = None, None

    naive = keypoint_max_pool_naive(features, heatmaps)
    (naive * upstream).sum().backward()  # type: ignore[no-untyped-call]

    assert fast.shape == (3, 5, 8)
    assert torch.equal(fast, naive)
    assert torch.allclose(fast_grads[0], features.grad)  # type: ignore[arg-type]
    assert torch.allclose(fast_grads[1], heatmaps.grad)  # type: ignore[arg-type]


def test_z_follows_the_heatmap_peak() -> None:
    features = torch.zeros(1, 2, 4, 4)
    features[0, 0, 1, 1], features[0, 1, 3, 2] = 5.0, 7.0
    heatmaps = torch.zeros(1, 2, 4, 4)
    heatmaps[0, 0, 1, 1], heatmaps[0, 1, 3, 2] = 1.0, 1.0
    z = keypoint_max_pool(features, heatmaps)
    assert z[0].tolist() == [[5.0, 0.0], [0.0, 7.0]]
