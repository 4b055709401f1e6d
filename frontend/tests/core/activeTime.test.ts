import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ActiveTime, IDLE_MS } from "../../src/core/activeTime";

describe("active time", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());
  const wait = (ms: number) => vi.advanceTimersByTime(ms);

  it("counts the time between inputs that are at most 30 s apart", () => {
    const time = new ActiveTime();
    wait(5_000);
    time.input();
    wait(IDLE_MS);
    time.input();
    expect(time.elapsedMs()).toBe(35_000);
  });

  it("leaves out a whole gap over 30 s without input", () => {
    const time = new ActiveTime();
    wait(4_000);
    time.input();
    wait(IDLE_MS + 1);
    time.input(); // back from a break: the break is not labeling
    wait(2_000);
    time.input();
    expect(time.elapsedMs()).toBe(6_000);
  });

  it("counts up to a reading within 30 s of the last input, and never twice", () => {
    const time = new ActiveTime();
    wait(3_000);
    expect(time.elapsedMs()).toBe(3_000); // a save 3 s after opening
    wait(7_000);
    time.input();
    expect(time.elapsedMs()).toBe(10_000);
    wait(IDLE_MS + 5_000);
    expect(time.elapsedMs()).toBe(10_000); // idle since: nothing more
    time.input();
    expect(time.elapsedMs()).toBe(10_000);
  });

  it("stops while the page is hidden or unfocused and restarts on return", () => {
    const time = new ActiveTime();
    wait(2_000);
    time.setAttentive(false);
    wait(20_000); // another tab: not counted even though under 30 s
    time.input(); // a pointer passing over the background window
    wait(10_000);
    time.setAttentive(true);
    wait(4_000);
    time.input();
    expect(time.elapsedMs()).toBe(6_000);
  });

  it("starts paused when the page opens in the background", () => {
    const time = new ActiveTime(Date.now, false);
    wait(10_000);
    expect(time.elapsedMs()).toBe(0);
    time.setAttentive(true);
    wait(1_000);
    expect(time.elapsedMs()).toBe(1_000);
  });
});
