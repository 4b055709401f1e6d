import { describe, expect, it } from "vitest";
import type { JobRead } from "../../src/core/adminTypes";
import {
  frameLabel,
  formatTime,
  isVideoFile,
  linkReportText,
  neighbourFrame,
  videoJobFraction,
  videoJobText,
} from "../../src/core/videoApi";

function job(extra: Partial<JobRead>): JobRead {
  return {
    id: 3,
    project_id: 1,
    kind: "extract_frames",
    state: "running",
    options: {},
    progress: {},
    error: null,
    cancel_requested: false,
    created_at: "",
    started_at: null,
    finished_at: null,
    ...extra,
  };
}

describe("frame labels", () => {
  it("say the frame number and its time", () => {
    expect(frameLabel(123, 30)).toBe("frame 123 · 00:04.10");
    expect(formatTime(3725.5)).toBe("1:02:05.50");
    expect(formatTime(0)).toBe("00:00.00");
  });
});

describe("neighbourFrame", () => {
  it("steps within the video and stops at its ends", () => {
    expect(neighbourFrame(50, 10, 100)).toBe(60);
    expect(neighbourFrame(5, -10, 100)).toBe(0);
    expect(neighbourFrame(95, 10, 100)).toBe(99);
    expect(neighbourFrame(99, 1, 100)).toBeNull();
    expect(neighbourFrame(0, -1, 100)).toBeNull();
  });
});

describe("video job progress", () => {
  it("counts extraction steps and reports what was added", () => {
    const running = job({
      progress: { phase: "extracting", step: 5, total: 20 } as JobRead["progress"],
    });
    expect(videoJobText(running)).toBe("extracting 5 of 20…");
    expect(videoJobFraction(running)).toBe(0.25);
    const done = job({
      state: "succeeded",
      progress: { report: { created: 18, already_present: 2 } } as JobRead["progress"],
    });
    expect(videoJobText(done)).toBe("Added 18 frame(s); 2 already in the project.");
  });

  it("says what a link job linked and why the others were not", () => {
    const checking = job({
      kind: "link_frames",
      progress: { phase: "checking", step: 1, total: 4 } as JobRead["progress"],
    });
    expect(videoJobText(checking)).toBe("checking 1 of 4…");
    expect(videoJobFraction(checking)).toBe(0.25);
    const report = {
      claimed: 16,
      linked: 2,
      not_linked: [
        { reason: "not named img<N>", count: 1, names: ["cam1/notes.png"] },
        { reason: "whose pixels differ from that frame's", count: 13, names: ["a.png", "b.png"] },
      ],
    };
    const done = job({ kind: "link_frames", state: "succeeded", progress: { report } });
    expect(videoJobText(done)).toBe(
      "Linked 2 frame(s); not linked: 1 not named img<N> (cam1/notes.png); " +
        "13 whose pixels differ from that frame's (a.png, b.png and 11 more).",
    );
    const none = { claimed: 0, linked: 0, not_linked: [] };
    expect(linkReportText(none)).toBe("No unlinked image is named as one of its frames.");
  });

  it("counts predicted frames of a video prediction", () => {
    const running = job({
      kind: "predict_video",
      progress: { predicted: 64, to_predict: 256 } as JobRead["progress"],
    });
    expect(videoJobText(running)).toBe("Predicting frame 64 of 256…");
    expect(videoJobFraction(running)).toBe(0.25);
    expect(videoJobText(job({ state: "failed", error: "boom" }))).toBe("Failed: boom");
  });
});

describe("isVideoFile", () => {
  it("knows videos by type or extension", () => {
    expect(isVideoFile(new File([], "a.mkv"))).toBe(true);
    expect(isVideoFile(new File([], "clip", { type: "video/mp4" }))).toBe(true);
    expect(isVideoFile(new File([], "a.png", { type: "image/png" }))).toBe(false);
  });
});
