import { describe, expect, it } from "vitest";
import {
  fitToWindow,
  imageToScreen,
  panBy,
  screenToImage,
  zoomAboutPoint,
  type ViewTransform,
} from "../../src/core/geometry";

const identity: ViewTransform = { scale: 1, tx: 0, ty: 0 };

function close(a: { x: number; y: number }, b: { x: number; y: number }) {
  expect(a.x).toBeCloseTo(b.x, 9);
  expect(a.y).toBeCloseTo(b.y, 9);
}

describe("view transform", () => {
  it("is the identity at scale 1 without pan", () => {
    expect(imageToScreen(identity, { x: 12, y: 34 })).toEqual({ x: 12, y: 34 });
  });

  it("maps image to screen with scale and pan", () => {
    const view = { scale: 2, tx: 100, ty: -50 };
    expect(imageToScreen(view, { x: 10, y: 20 })).toEqual({ x: 120, y: -10 });
    expect(screenToImage(view, { x: 120, y: -10 })).toEqual({ x: 10, y: 20 });
  });

  it("round-trips after zooming and panning", () => {
    let view: ViewTransform = fitToWindow(
      { width: 6000, height: 4000 },
      { width: 1280, height: 800 },
    );
    view = zoomAboutPoint(view, 3.7, { x: 400, y: 300 });
    view = panBy(view, -123.5, 88.25);
    view = zoomAboutPoint(view, 0.42, { x: 10, y: 790 });
    for (const p of [
      { x: 0, y: 0 },
      { x: 5999, y: 3999 },
      { x: 1234.5, y: 987.25 },
    ]) {
      close(screenToImage(view, imageToScreen(view, p)), p);
    }
  });

  it("keeps the image point under the cursor fixed when zooming", () => {
    const view = { scale: 0.5, tx: 30, ty: 40 };
    const cursor = { x: 321, y: 123 };
    const before = screenToImage(view, cursor);
    const zoomed = zoomAboutPoint(view, 2.5, cursor);
    expect(zoomed.scale).toBeCloseTo(1.25);
    close(screenToImage(zoomed, cursor), before);
  });

  it("clamps zoom", () => {
    expect(zoomAboutPoint(identity, 1e6, { x: 0, y: 0 }).scale).toBe(40);
    expect(zoomAboutPoint(identity, 1e-9, { x: 0, y: 0 }).scale).toBe(0.01);
  });

  it("fits a wide image to the window, centred", () => {
    const view = fitToWindow({ width: 6000, height: 4000 }, { width: 1000, height: 1000 }, 0);
    expect(view.scale).toBeCloseTo(1000 / 6000);
    expect(view.tx).toBeCloseTo(0);
    expect(imageToScreen(view, { x: 3000, y: 2000 })).toEqual({ x: 500, y: 500 });
  });

  it("fits a tall image leaving padding", () => {
    const view = fitToWindow({ width: 100, height: 400 }, { width: 800, height: 432 }, 16);
    expect(view.scale).toBeCloseTo(1);
    expect(view.ty).toBeCloseTo(16);
    expect(view.tx).toBeCloseTo(350);
  });
});
