import { describe, expect, it } from "vitest";
import {
  clampAdjust,
  cssFilter,
  loadAdjust,
  NEUTRAL,
  saveAdjust,
  storageKey,
} from "../../src/core/imageAdjust";

class MemoryStorage {
  items = new Map<string, string>();
  getItem(key: string): string | null {
    return this.items.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    this.items.set(key, value);
  }
  removeItem(key: string): void {
    this.items.delete(key);
  }
}

describe("cssFilter", () => {
  it("asks for no filtering when the image is left as it is", () => {
    expect(cssFilter(NEUTRAL)).toBe("");
  });

  it("names only what changed", () => {
    expect(cssFilter({ brightness: 1.5, contrast: 1 })).toBe("brightness(1.5)");
    expect(cssFilter({ brightness: 1, contrast: 0.8 })).toBe("contrast(0.8)");
    expect(cssFilter({ brightness: 2, contrast: 1.25 })).toBe("brightness(2) contrast(1.25)");
  });
});

describe("clampAdjust", () => {
  it("keeps both multipliers within the sliders' range and treats nonsense as unchanged", () => {
    expect(clampAdjust({ brightness: 9, contrast: 0 })).toEqual({ brightness: 4, contrast: 0.25 });
    expect(clampAdjust({ brightness: Number.NaN, contrast: Number.POSITIVE_INFINITY })).toEqual(
      NEUTRAL,
    );
  });
});

describe("loadAdjust / saveAdjust", () => {
  it("remembers each project's adjustment separately", () => {
    const storage = new MemoryStorage();
    saveAdjust(storage, 1, { brightness: 1.8, contrast: 1.2 });
    expect(loadAdjust(storage, 1)).toEqual({ brightness: 1.8, contrast: 1.2 });
    expect(loadAdjust(storage, 2)).toEqual(NEUTRAL);
  });

  it("forgets a project's entry when it is reset", () => {
    const storage = new MemoryStorage();
    saveAdjust(storage, 1, { brightness: 1.8, contrast: 1 });
    saveAdjust(storage, 1, NEUTRAL);
    expect(storage.items.has(storageKey(1))).toBe(false);
  });

  it("reads a corrupt, foreign or out-of-range entry as a valid adjustment", () => {
    const storage = new MemoryStorage();
    for (const raw of ["{not json", "null", "42", '"text"', '{"brightness":"bright"}']) {
      storage.setItem(storageKey(1), raw);
      expect(loadAdjust(storage, 1)).toEqual(NEUTRAL);
    }
    storage.setItem(storageKey(1), '{"brightness":50,"contrast":0.5}');
    expect(loadAdjust(storage, 1)).toEqual({ brightness: 4, contrast: 0.5 });
  });

  it("works without storage, or with a storage the browser refuses", () => {
    const refusing = {
      getItem(): string | null {
        throw new Error("SecurityError");
      },
      setItem(): void {
        throw new Error("QuotaExceededError");
      },
      removeItem(): void {
        throw new Error("SecurityError");
      },
    };
    expect(loadAdjust(null, 1)).toEqual(NEUTRAL);
    expect(loadAdjust(refusing, 1)).toEqual(NEUTRAL);
    expect(() => saveAdjust(refusing, 1, { brightness: 2, contrast: 1 })).not.toThrow();
    expect(() => saveAdjust(null, 1, { brightness: 2, contrast: 1 })).not.toThrow();
  });
});
