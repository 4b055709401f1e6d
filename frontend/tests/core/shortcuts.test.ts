import { describe, expect, it } from "vitest";
import {
  actionForKey,
  KEYPOINT_KEYS,
  keypointKey,
  nudgeDelta,
  selectedIndex,
  SHORTCUTS,
} from "../../src/core/shortcuts";

const key = (
  k: string,
  mods: Partial<{ ctrlKey: boolean; metaKey: boolean; shiftKey: boolean; altKey: boolean }> = {},
) => ({
  key: k,
  ctrlKey: false,
  metaKey: false,
  shiftKey: false,
  altKey: false,
  ...mods,
});

describe("shortcuts", () => {
  it("maps undo and redo on Ctrl and Cmd", () => {
    expect(actionForKey(key("z", { ctrlKey: true }))).toBe("undo");
    expect(actionForKey(key("Z", { ctrlKey: true, shiftKey: true }))).toBe("redo");
    expect(actionForKey(key("z", { metaKey: true }))).toBe("undo");
    expect(actionForKey(key("y", { ctrlKey: true }))).toBe("redo");
  });

  it("maps visibility keys and accept with and without shift", () => {
    expect(actionForKey(key("v"))).toBe("set-visible");
    expect(actionForKey(key("O", { shiftKey: true }))).toBe("set-occluded");
    expect(actionForKey(key("Delete"))).toBe("set-unlabeled");
    expect(actionForKey(key("a"))).toBe("accept-prediction");
    expect(actionForKey(key("A", { shiftKey: true }))).toBe("accept-all-predictions");
    expect(actionForKey(key("?", { shiftKey: true }))).toBe("help");
  });

  it("toggles the names of all keypoints with L", () => {
    expect(actionForKey(key("l"))).toBe("toggle-labels");
    expect(actionForKey(key("L", { shiftKey: true }))).toBe("toggle-labels");
  });

  it("nudges by 1 image pixel, 10 with shift", () => {
    expect(nudgeDelta(actionForKey(key("ArrowLeft"))!)).toEqual([-1, 0]);
    expect(nudgeDelta(actionForKey(key("ArrowDown", { shiftKey: true }))!)).toEqual([0, 10]);
  });

  it("selects keypoints 1-9 by digit; 0 fits the image", () => {
    expect(selectedIndex(actionForKey(key("1"))!)).toBe(0);
    expect(selectedIndex(actionForKey(key("9"))!)).toBe(8);
    expect(actionForKey(key("0"))).toBe("fit");
    expect(selectedIndex("undo")).toBeNull();
  });

  it("gives each of 26 keypoints its own key, none taken from another shortcut", () => {
    expect(KEYPOINT_KEYS).toHaveLength(26);
    expect(new Set(KEYPOINT_KEYS).size).toBe(26);
    KEYPOINT_KEYS.forEach((k, i) => {
      expect(actionForKey(key(k))).toBe(`select-${i}`);
      expect(keypointKey(i)).toBe(k);
    });
    expect(selectedIndex(actionForKey(key("q"))!)).toBe(9);
    expect(selectedIndex(actionForKey(key("m"))!)).toBe(25);
    expect(keypointKey(26)).toBeNull();
    expect(actionForKey(key("Q", { shiftKey: true }))).toBeNull();
    expect(actionForKey(key("/"))).toBe("find-keypoint");
  });

  it("leaves browser shortcuts alone", () => {
    expect(actionForKey(key("c", { ctrlKey: true }))).toBeNull();
    expect(actionForKey(key("v", { altKey: true }))).toBeNull();
  });

  it("documents every single-letter action in the help table", () => {
    for (const letter of ["V", "O", "A", "P", "L", "D", "N", "S", "/"]) {
      expect(SHORTCUTS.some((s) => s.keys.split(" ").includes(letter))).toBe(true);
    }
  });
});
