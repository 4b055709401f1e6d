"""Pure image code shared by the API (`backend`) and the model library (`worker.ml`).

numpy and Pillow only: no torch, no database, no web framework, so both sides import it and
the model sees exactly the pixels and coordinates the annotator saw (tests/test_layering.py).

- `pixels`: an image file's 8-bit RGB pixels as displayed (EXIF orientation, 16-bit, float).
- `geometry`: the three coordinate spaces and the one conversion between each pair:
  `image` (the displayed image's pixels) <-> `input` (the S x S network input, letterboxed)
  <-> `heatmap` (S/stride a side). Pixel centres sit at integer coordinates everywhere, so an
  image W pixels wide spans x in [-0.5, W - 0.5].
- `peaks`: where a heatmap peaks (sub-pixel), the decode both the API and the worker run.
"""
