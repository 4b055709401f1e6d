/**
 * The project grid grouped by video: one group per video whose frames are loaded (in the
 * order the page lists them, which `by_video` makes video by video in frame order), then
 * the images not from a video. Paging only appends images, so a group grows as pages load;
 * the header's counts are the video's own (all its frames in the project), not the page's.
 */
import type { ImageRead } from "./types";
import type { VideoRead } from "./videoApi";

export interface ImageGroup {
  /** Stable for a keyed list: `video-<id>`, or `loose` for images not from a video. */
  key: string;
  title: string;
  /** "12 frames in the project, 5 labeled"; empty for images not from a video. */
  summary: string;
  images: ImageRead[];
}

export const LOOSE_TITLE = "Images not from a video";

export function videoSummary(video: VideoRead): string {
  const frames = video.frame_images === 1 ? "1 frame" : `${video.frame_images} frames`;
  return `${frames} in the project, ${video.frames_labeled} labeled`;
}

export function groupByVideo(
  images: readonly ImageRead[],
  videos: readonly VideoRead[],
): ImageGroup[] {
  const byId = new Map(videos.map((v) => [v.id, v]));
  const groups = new Map<string, ImageGroup>();
  let loose: ImageGroup | null = null;
  for (const image of images) {
    const videoId = image.video_id ?? null;
    if (videoId === null) {
      loose ??= { key: "loose", title: LOOSE_TITLE, summary: "", images: [] };
      loose.images.push(image);
      continue;
    }
    const key = `video-${videoId}`;
    let group = groups.get(key);
    if (group === undefined) {
      const video = byId.get(videoId);
      // A video the list does not know yet (just uploaded elsewhere): named by its id.
      group = {
        key,
        title: video?.original_name ?? `video ${videoId}`,
        summary: video ? videoSummary(video) : "",
        images: [],
      };
      groups.set(key, group);
    }
    group.images.push(image);
  }
  return loose === null ? [...groups.values()] : [...groups.values(), loose];
}
