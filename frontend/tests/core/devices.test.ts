import { describe, expect, it } from "vitest";
import { describeUserAgent, deviceRows, otherSessionIds } from "../../src/core/devices";
import type { UserSessionRead } from "../../src/core/types";

const UA = {
  chromeWindows:
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
  edgeWindows:
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0.0.0 Safari/537.36 Edg/125.0.2535.67",
  firefoxLinux: "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
  safariMac:
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Safari/605.1.15",
  safariIphone:
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
  chromeAndroid:
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.6478.71 Mobile Safari/537.36",
  headless:
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.6099.224 Safari/537.36",
  operaMac:
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 OPR/110.0.0.0",
};

function session(id: number, overrides: Partial<UserSessionRead> = {}): UserSessionRead {
  return {
    id,
    created_at: "2024-05-01T08:00:00+00:00",
    last_seen_at: "2024-05-01T10:00:00+00:00",
    expires_at: "2024-05-15T08:00:00+00:00",
    user_agent: UA.firefoxLinux,
    ip: "10.0.0.7",
    current: false,
    ...overrides,
  };
}

describe("describeUserAgent", () => {
  it("names the browser, its major version and the operating system", () => {
    expect(describeUserAgent(UA.chromeWindows)).toBe("Chrome 126 on Windows");
    expect(describeUserAgent(UA.firefoxLinux)).toBe("Firefox 128 on Linux");
    expect(describeUserAgent(UA.safariMac)).toBe("Safari 17 on macOS");
    expect(describeUserAgent(UA.safariIphone)).toBe("Safari 17 on iOS");
    expect(describeUserAgent(UA.chromeAndroid)).toBe("Chrome 126 on Android");
    expect(describeUserAgent(UA.headless)).toBe("Chrome 120 on Linux");
  });

  it("sees through browsers that also claim to be Chrome and Safari", () => {
    expect(describeUserAgent(UA.edgeWindows)).toBe("Edge 125 on Windows");
    expect(describeUserAgent(UA.operaMac)).toBe("Opera 110 on macOS");
  });

  it("shows what it does not recognise as sent, and names an empty one", () => {
    expect(describeUserAgent("python-httpx/0.27.0")).toBe("python-httpx/0.27.0");
    expect(describeUserAgent("  curl/8.5.0 ")).toBe("curl/8.5.0");
    expect(describeUserAgent("")).toBe("Unknown device");
  });
});

describe("deviceRows", () => {
  const now = Date.parse("2024-05-01T12:30:00Z");

  it("puts this device first and keeps the server's order for the others", () => {
    const rows = deviceRows([session(3), session(1, { current: true }), session(2)], now);
    expect(rows.map((r) => [r.id, r.current])).toEqual([
      [1, true],
      [3, false],
      [2, false],
    ]);
  });

  it("says when each other device was last active, no finer than the server records it", () => {
    const rows = deviceRows(
      [
        session(1, { current: true, last_seen_at: "2024-05-01T12:00:00+00:00" }),
        session(2, { last_seen_at: "2024-05-01T10:00:00+00:00" }),
        session(3, { last_seen_at: "2024-05-01T12:27:00+00:00" }),
      ],
      now,
    );
    expect(rows.map((r) => r.lastActive)).toEqual(["now", "2 hours ago", "within 5 minutes"]);
  });

  it("keeps the raw user agent and marks a missing address", () => {
    const [row] = deviceRows([session(4, { user_agent: UA.safariMac, ip: "" })], now);
    expect(row).toMatchObject({ device: "Safari 17 on macOS", userAgent: UA.safariMac, ip: "—" });
  });
});

describe("otherSessionIds", () => {
  it("is every session but this one", () => {
    expect(otherSessionIds([session(5), session(6, { current: true }), session(7)])).toEqual([
      5, 7,
    ]);
    expect(otherSessionIds([session(6, { current: true })])).toEqual([]);
  });
});
