import { describe, expect, it } from "vitest";
import { parseServerTime, timeAgo } from "../../src/core/time";

describe("parseServerTime", () => {
  it("reads a timestamp without a zone as UTC and honours an explicit one", () => {
    const utc = Date.UTC(2024, 4, 1, 10, 0, 0);
    expect(parseServerTime("2024-05-01T10:00:00")).toBe(utc);
    expect(parseServerTime("2024-05-01T10:00:00Z")).toBe(utc);
    expect(parseServerTime("2024-05-01T10:00:00.000000+00:00")).toBe(utc);
    expect(parseServerTime("2024-05-01T12:00:00+02:00")).toBe(utc);
  });
});

describe("timeAgo", () => {
  const now = Date.UTC(2024, 4, 10, 12, 0, 0);
  const ago = (seconds: number) => new Date(now - seconds * 1000).toISOString();

  it("words the largest whole unit, singular or plural", () => {
    expect(timeAgo(ago(60), now)).toBe("1 minute ago");
    expect(timeAgo(ago(59 * 60 + 59), now)).toBe("59 minutes ago");
    expect(timeAgo(ago(3600), now)).toBe("1 hour ago");
    expect(timeAgo(ago(3 * 86_400 + 5), now)).toBe("3 days ago");
  });

  it("claims no more precision than the timestamp has", () => {
    expect(timeAgo(ago(10), now)).toBe("just now");
    expect(timeAgo(ago(290), now, 300)).toBe("within 5 minutes");
    expect(timeAgo(ago(-30), now, 300)).toBe("within 5 minutes"); // a clock ahead of ours
    expect(timeAgo(ago(301), now, 300)).toBe("5 minutes ago");
  });

  it("shows a dash for a timestamp it cannot read", () => {
    expect(timeAgo("yesterday", now)).toBe("—");
  });
});
