import type { AnnotationRead, KeypointSchema, Point } from "../src/core/types";

export const schema: KeypointSchema = {
  keypoints: [
    { name: "eye_left", color: "#ff0000" },
    { name: "eye_right", color: "#00ff00" },
    { name: "beak", color: "#0000ff" },
    { name: "tail", color: "#ffff00" },
  ],
  skeleton: [
    ["eye_left", "beak"],
    ["eye_right", "beak"],
    ["beak", "tail"],
  ],
  flip_pairs: [["eye_left", "eye_right"]],
};

export function visible(name: string, x: number, y: number): Point {
  return { name, x, y, visibility: "visible", source: "human" };
}

export function annotationRead(version: number, keypoints: Point[], done = false): AnnotationRead {
  return {
    image_id: 7,
    version,
    keypoints,
    done,
    updated_at: null,
    updated_by: "other@example.com",
  };
}
