import { describe, expect, it } from "vitest";
import type { ImageRead } from "../../src/core/types";
import type { VideoRead } from "../../src/core/videoApi";
import { LOOSE_TITLE, groupByVideo, videoSummary } from "../../src/core/videoGroups";

function image(
  id: number,
  videoId: number | null = null,
  frameIndex: number | null = null,
): ImageRead {
  return {
    id,
    project_id: 1,
    original_name: `img${id}.png`,
    width: 64,
    height: 48,
    checksum: `c${id}`,
    split: "train",
    state: "new",
    roi: null,
    labeled_count: 0,
    created_at: "2026-12-01T00:00:00Z",
    video_id: videoId,
    frame_index: frameIndex,
    frame_time: null,
    media_type: "image/png",
    reviewed_at: null,
    reviewed_by_id: null,
  };
}

function video(id: number, name: string, frames: number, labeled: number): VideoRead {
  return {
    id,
    project_id: 1,
    original_name: name,
    checksum: `v${id}`,
    fps: 25,
    frame_count: 100,
    duration_s: 4,
    width: 64,
    height: 48,
    size_bytes: 1000,
    codec: "h264",
    created_at: "2026-12-01T00:00:00Z",
    frame_images: frames,
    frames_labeled: labeled,
  };
}

const videos = [video(2, "mouse arena.mp4", 3, 1), video(5, "cage.avi", 1, 0)];

describe("groupByVideo", () => {
  it("puts each video's frames under its name and counts, then the images not from a video", () => {
    const groups = groupByVideo(
      [image(10, 5, 1), image(11, 2, 3), image(12, 2, 9), image(13)],
      videos,
    );
    expect(groups.map((g) => [g.key, g.title, g.summary, g.images.map((i) => i.id)])).toEqual([
      ["video-5", "cage.avi", "1 frame in the project, 0 labeled", [10]],
      ["video-2", "mouse arena.mp4", "3 frames in the project, 1 labeled", [11, 12]],
      ["loose", LOOSE_TITLE, "", [13]],
    ]);
  });

  it("grows a group as a later page appends its frames, keeping the groups' order", () => {
    const first = [image(11, 2, 3), image(12, 2, 9)];
    const more = [...first, image(14, 2, 20), image(13)];
    expect(groupByVideo(first, videos).map((g) => g.images.length)).toEqual([2]);
    expect(groupByVideo(more, videos).map((g) => [g.key, g.images.length])).toEqual([
      ["video-2", 3],
      ["loose", 1],
    ]);
  });

  it("names a video the list does not know by its id, and has no groups without images", () => {
    expect(groupByVideo([image(1, 9, 0)], videos).map((g) => [g.title, g.summary])).toEqual([
      ["video 9", ""],
    ]);
    expect(groupByVideo([], videos)).toEqual([]);
    expect(videoSummary(video(1, "a.mp4", 0, 0))).toBe("0 frames in the project, 0 labeled");
  });
});
