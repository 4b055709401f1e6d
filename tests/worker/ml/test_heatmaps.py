import pytest
import torch

from worker.ml import heatmaps as hm


def test_round_trip_recovers_subpixel_keypoints_including_at_the_border() -> None:
    xy = torch.tensor([[[10.3, 20.7], [5.55, 3.2], [0.2, 40.9], [47.4, 0.0], [23.0, 23.0]]])
    maps, mask = hm.encode(xy, torch.ones(1, 5, dtype=torch.bool), (48, 48), sigma=2.0)
    decoded, confidence = hm.decode(maps)
    assert mask.all()
    assert (decoded - xy).abs().max() < 0.1
    assert confidence.min() > 0.9  # the peak value, ≈1 for a keypoint near a pixel center


def test_encode_masks_unlabeled_and_out_of_frame_keypoints() -> None:
    xy = torch.tensor([[5.0, 5.0], [5.0, 5.0], [60.0, 5.0], [-3.0, 10.0]])
    valid = torch.tensor([True, False, True, True])
    maps, mask = hm.encode(xy, valid, (32, 32), sigma=1.5)
    assert mask.tolist() == [True, False, False, False]
    assert maps[1:].abs().sum() == 0
    assert maps[0].max() == pytest.approx(1.0)


def test_coordinate_conversions_are_inverse_and_area_aligned() -> None:
    xy_input = torch.tensor([[1.5, 1.5], [0.0, 10.0]])
    assert torch.allclose(hm.heatmap_to_input(hm.input_to_heatmap(xy_input, 4), 4), xy_input)
    # Heatmap pixel 0 is the center of input pixels 0..3, i.e. input x = 1.5.
    assert hm.input_to_heatmap(xy_input, 4)[0].tolist() == [0.0, 0.0]


def test_decode_of_a_flat_map_falls_back_to_the_argmax_pixel() -> None:
    maps = torch.zeros(1, 1, 8, 8)
    maps[0, 0, 3, 5] = 0.5
    xy, confidence = hm.decode(maps)
    assert xy[0, 0].tolist() == [5.0, 3.0]
    assert confidence.item() == pytest.approx(0.5)
