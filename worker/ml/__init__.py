"""Keyloop's keypoint model library: semi-supervised keypoint localization (Moskvyak et al.).

Pure PyTorch + timm + kornia; no database, queue or web imports. The Celery worker calls
`train.train`, `predict.Predictor` and `metrics.pck`; see docs/MODEL.md for the design.
Submodules import torch, so this package file imports nothing heavy.
"""
