"""The labeled preview of a video prediction: keypoints and skeleton drawn on each predicted
frame, a point's (and a bone's) opacity its confidence, encoded as H.264 MP4 for the browser.

Frames wider than `MAX_WIDTH` are scaled down first: the preview is for watching, and a
4K H.264 file would cost minutes to encode on a CPU worker.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image as PILImage
from PIL import ImageDraw

from backend.services.video_encode import Mp4Writer

MAX_WIDTH = 1280
Point = tuple[float, float, float] | None  # x, y (frame pixels), confidence


def _rgb(color: str) -> tuple[int, int, int]:
    value = color.lstrip("#")
    if len(value) != 6:
        return (255, 64, 64)
    return (int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16))


class PreviewWriter:
    def __init__(
        self,
        path: Path,
        fps: float,
        width: int,
        height: int,
        colors: list[str],
        edges: list[tuple[int, int]],
    ) -> None:
        self.scale = min(1.0, MAX_WIDTH / width)
        self.writer = Mp4Writer(path, fps, round(width * self.scale), round(height * self.scale))
        self.colors = [_rgb(c) for c in colors]
        self.edges = edges
        self.radius = max(2, round(min(self.writer.width, self.writer.height) / 120))

    def add(self, image: PILImage.Image, points: list[Point]) -> None:
        frame = image.convert("RGB").resize((self.writer.width, self.writer.height))
        overlay = PILImage.new("RGBA", frame.size, (0, 0, 0, 0))
        draw = ImageDraw.Draw(overlay)
        s, r = self.scale, self.radius
        for a, b in self.edges:
            pa, pb = points[a], points[b]
            if pa is None or pb is None:
                continue
            alpha = round(255 * max(0.0, min(1.0, min(pa[2], pb[2]))))
            draw.line(
                [(pa[0] * s, pa[1] * s), (pb[0] * s, pb[1] * s)],
                fill=(255, 255, 255, alpha),
                width=max(1, r // 2),
            )
        for i, p in enumerate(points):
            if p is None:
                continue
            alpha = round(255 * max(0.0, min(1.0, p[2])))
            color = self.colors[i % len(self.colors)] if self.colors else (255, 64, 64)
            x, y = p[0] * s, p[1] * s
            draw.ellipse([x - r, y - r, x + r, y + r], fill=(*color, alpha))
        frame.paste(overlay, (0, 0), overlay)
        self.writer.write(frame)

    def close(self) -> None:
        self.writer.close()
