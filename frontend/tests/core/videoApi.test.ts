import { describe, expect, it } from "vitest";
import type { JobRead } from "../../src/core/adminTypes";
import {
  frameLabel,
  formatTime,
  isVideoFile,
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
