/**
 * The view transform between image pixels and screen pixels (relative to the viewport's
 * top-left corner): xy_screen = xy_image * scale + (tx, ty). `imageToScreen` and
 * `screenToImage` are the one named conversion; everything else composes them. Pure functions.
 */

export interface Vec2 {
  readonly x: number;
  readonly y: number;
}
export interface Size {
  readonly width: number;
  readonly height: number;
}
export interface ViewTransform {
  readonly scale: number;
  readonly tx: number;
  readonly ty: number;
}

export const MIN_SCALE = 0.01;
export const MAX_SCALE = 40;

export function imageToScreen(view: ViewTransform, xy_image: Vec2): Vec2 {
  return { x: xy_image.x * view.scale + view.tx, y: xy_image.y * view.scale + view.ty };
}

export function screenToImage(view: ViewTransform, xy_screen: Vec2): Vec2 {
  return { x: (xy_screen.x - view.tx) / view.scale, y: (xy_screen.y - view.ty) / view.scale };
}

export function clampScale(scale: number, min = MIN_SCALE, max = MAX_SCALE): number {
  return Math.min(max, Math.max(min, scale));
}

/** Zoom by `factor` keeping the image point under `anchor_screen` fixed on screen. */
export function zoomAboutPoint(
  view: ViewTransform,
  factor: number,
  anchor_screen: Vec2,
): ViewTransform {
  const scale = clampScale(view.scale * factor);
  const anchor_image = screenToImage(view, anchor_screen);
  return {
    scale,
    tx: anchor_screen.x - anchor_image.x * scale,
    ty: anchor_screen.y - anchor_image.y * scale,
  };
}

export function panBy(view: ViewTransform, dx_screen: number, dy_screen: number): ViewTransform {
  return { scale: view.scale, tx: view.tx + dx_screen, ty: view.ty + dy_screen };
}

/** The largest scale showing the whole image, centred, with `padding` screen pixels around it. */
export function fitToWindow(image: Size, viewport: Size, padding = 16): ViewTransform {
  const availW = Math.max(1, viewport.width - 2 * padding);
  const availH = Math.max(1, viewport.height - 2 * padding);
  const scale = clampScale(Math.min(availW / image.width, availH / image.height));
  return {
    scale,
    tx: (viewport.width - image.width * scale) / 2,
    ty: (viewport.height - image.height * scale) / 2,
  };
}

/** CSS transform placing an element of natural image size at the view (transform-origin 0 0). */
export function cssMatrix(view: ViewTransform): string {
  return `matrix(${view.scale}, 0, 0, ${view.scale}, ${view.tx}, ${view.ty})`;
}

/** Wheel delta to zoom factor; pinch-to-zoom on trackpads arrives as ctrl+wheel with small deltas. */
export function wheelZoomFactor(deltaY: number, deltaMode: number, pinch: boolean): number {
  const px = deltaMode === 1 ? deltaY * 16 : deltaMode === 2 ? deltaY * 400 : deltaY;
  const sensitivity = pinch ? 0.01 : 0.0015;
  return Math.exp(-px * sensitivity);
}

export function distance(a: Vec2, b: Vec2): number {
  return Math.hypot(a.x - b.x, a.y - b.y);
}

export function midpoint(a: Vec2, b: Vec2): Vec2 {
  return { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 };
}

export function clampToImage(xy_image: Vec2, image: Size): Vec2 {
  return {
    x: Math.min(image.width, Math.max(0, xy_image.x)),
    y: Math.min(image.height, Math.max(0, xy_image.y)),
  };
}
