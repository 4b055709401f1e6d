import { describe, expect, it } from "vitest";
import { colorsByName, distinctColors, generatedColor } from "../../src/core/colors";

describe("keypoint colours", () => {
  it("keeps a schema's colours and replaces each repeat with a new one", () => {
    const palette = ["#e6194b", "#3cb44b", "#ffe119", "#4363d8"];
    // 17 keypoints from a 16-colour palette that wrapped: the 17th repeated the first.
    const keypoints = Array.from({ length: 17 }, (_, i) => ({
      name: `k${i}`,
      color: palette[i % 4]!,
    }));
    const colors = distinctColors(keypoints);
    expect(colors.slice(0, 4)).toEqual(palette);
    expect(new Set(colors).size).toBe(17);
  });

  it("treats colours case-insensitively and fills missing ones", () => {
    const colors = distinctColors([
      { name: "a", color: "#FF0000" },
      { name: "b", color: "#ff0000" },
      { name: "c", color: "" },
    ]);
    expect(colors[0]).toBe("#ff0000");
    expect(new Set(colors).size).toBe(3);
    expect(colorsByName([{ name: "x", color: "#123456" }]).get("x")).toBe("#123456");
  });

  it("generates valid, different colours for long schemas", () => {
    const many = Array.from({ length: 60 }, (_, i) => generatedColor(i));
    expect(many.every((c) => /^#[0-9a-f]{6}$/.test(c))).toBe(true);
    expect(new Set(many).size).toBe(60);
  });
});
