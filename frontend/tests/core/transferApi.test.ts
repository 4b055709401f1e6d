import { describe, expect, it } from "vitest";
import type { JobRead } from "../../src/core/adminTypes";
import { ApiClient, ApiError } from "../../src/core/api";
import {
  SCORER_PATTERN,
  duplicateText,
  exportKind,
  exportPath,
  importStatus,
  summarizeImport,
  TRANSFER_FORMATS,
  TransferApi,
  type ImportResult,
} from "../../src/core/transferApi";

type Seen = { url: string; init: RequestInit }[];

function fakeFetch(status: number, body: unknown, seen: Seen) {
  return async (url: string, init?: RequestInit) => {
    seen.push({ url, init: init ?? {} });
    return new Response(JSON.stringify(body), { status });
  };
}

const result = (over: Partial<ImportResult> = {}): ImportResult => ({
  project_id: 3,
  images_created: 2,
  annotations_saved: 2,
  duplicates: [],
  notes: [],
  ...over,
});

const job = (over: Partial<JobRead> = {}): JobRead => ({
  id: 9,
  project_id: 3,
  kind: "import",
  state: "queued",
  options: { format: "coco" },
  progress: {},
  error: null,
  cancel_requested: false,
  created_at: "2026-12-01T10:00:00",
  started_at: null,
  finished_at: null,
  ...over,
});

describe("exportPath", () => {
  it("passes the filters and leaves out COCO-only options for other formats", () => {
    expect(exportPath(3, "coco")).toBe("/projects/3/export/coco");
    expect(
      exportPath(3, "coco", {
        state: "done",
        split: "validation",
        predictions: true,
        images: true,
      }),
    ).toBe("/projects/3/export/coco?state=done&split=validation&predictions=true&images=true");
    expect(exportPath(3, "dlc", { split: "train", predictions: true, images: true })).toBe(
      "/projects/3/export/dlc?split=train",
    );
  });

  it("keeps only reviewed images when asked, in every format", () => {
    expect(exportPath(3, "cvat", { reviewed: true })).toBe("/projects/3/export/cvat?reviewed=true");
    expect(exportPath(3, "coco", { reviewed: false })).toBe("/projects/3/export/coco");
  });

  it("passes a trimmed DeepLabCut scorer for DeepLabCut only", () => {
    expect(exportPath(3, "dlc", { scorer: " Mackenzie " })).toBe(
      "/projects/3/export/dlc?scorer=Mackenzie",
    );
    expect(exportPath(3, "dlc", { scorer: "  " })).toBe("/projects/3/export/dlc");
    expect(exportPath(3, "coco", { scorer: "Mackenzie" })).toBe("/projects/3/export/coco");
  });

  it("asks SLEAP for video-backed frames only when chosen, and for SLEAP only", () => {
    expect(exportPath(3, "sleap", { sleapVideo: "video" })).toBe(
      "/projects/3/export/sleap?sleap_video=video",
    );
    expect(exportPath(3, "sleap", { sleapVideo: "embedded" })).toBe("/projects/3/export/sleap");
    expect(exportPath(3, "dlc", { sleapVideo: "video" })).toBe("/projects/3/export/dlc");
  });

  it("asks DeepLabCut for the video files only when chosen, and for DeepLabCut only", () => {
    expect(exportPath(3, "dlc", { dlcVideos: true })).toBe("/projects/3/export/dlc?videos=true");
    expect(exportPath(3, "dlc", { dlcVideos: false })).toBe("/projects/3/export/dlc");
    expect(exportPath(3, "sleap", { dlcVideos: true })).toBe("/projects/3/export/sleap");
  });

  it("accepts as a scorer what the API accepts (the input's pattern, compiled as browsers do)", () => {
    const scorer = new RegExp(`^(?:${SCORER_PATTERN})$`, "v");
    for (const ok of ["Mackenzie", "lab-2.v1", "A_b"]) expect(scorer.test(ok)).toBe(true);
    for (const bad of ["../x", "a/b", "-x", "", "é"]) expect(scorer.test(bad)).toBe(false);
  });

  it("knows COCO without images is the JSON and everything else a zip", () => {
    expect(exportKind("coco")).toBe("json");
    expect(exportKind("coco", { images: true })).toBe("zip");
    expect(exportKind("sleap")).toBe("zip");
    expect(exportKind("label-studio")).toBe("zip");
    expect(exportKind("yolo", { images: false })).toBe("zip");
  });

  it("lists every format the API imports and exports", () => {
    expect(TRANSFER_FORMATS.map((f) => f.value)).toEqual([
      "coco",
      "dlc",
      "cvat",
      "sleap",
      "label-studio",
      "yolo",
    ]);
    expect(exportPath(3, "label-studio", { predictions: true })).toBe(
      "/projects/3/export/label-studio",
    );
  });
});

describe("duplicateText", () => {
  it("says what became of each duplicate's label", () => {
    const dup = (annotation: "applied" | "kept existing" | "none") => ({
      filename: "Frame_1.jpg",
      existing_image_id: 12,
      annotation,
    });
    expect(duplicateText(dup("kept existing"))).toBe(
      "Frame_1.jpg was a duplicate of image 12; its label was not applied (that image is annotated already)",
    );
    expect(duplicateText(dup("applied"))).toBe(
      "Frame_1.jpg was a duplicate of image 12; its label was applied to that image",
    );
    expect(duplicateText(dup("none"))).toBe(
      "Frame_1.jpg was a duplicate of image 12; it had no label",
    );
  });
});

describe("summarizeImport", () => {
  it("counts created images, saved annotations and duplicates", () => {
    expect(summarizeImport(result())).toBe("2 images created, 2 annotations saved, 0 duplicates");
    const dup = { filename: "a.png", existing_image_id: 1, annotation: "kept existing" as const };
    expect(
      summarizeImport(result({ images_created: 1, annotations_saved: 1, duplicates: [dup] })),
    ).toBe("1 image created, 1 annotation saved, 1 duplicate");
  });
});

describe("importStatus", () => {
  it("waits for the worker, then counts the items of each phase", () => {
    expect(importStatus(job())).toEqual({
      state: "running",
      text: "Waiting for the import worker",
      step: 0,
      total: 0,
    });
    const preparing = job({
      state: "running",
      progress: { phase: "preparing", step: 40, total: 2000 },
    });
    expect(importStatus(preparing)).toEqual({
      state: "running",
      text: "Checking and storing images: 40 / 2000",
      step: 40,
      total: 2000,
    });
    const videos = job({ state: "running", progress: { phase: "videos", step: 3, total: 20 } });
    expect(importStatus(videos)).toMatchObject({ text: "Matching frames to their videos: 3 / 20" });
    const recording = job({
      state: "running",
      progress: { phase: "recording", step: 2000, total: 2000 },
    });
    expect(importStatus(recording)).toMatchObject({
      text: "Saving images and annotations: 2000 / 2000",
    });
  });

  it("ends with the report, the error naming the element, or a cancellation", () => {
    const done = job({ state: "succeeded", progress: { phase: "done", report: result() } });
    expect(importStatus(done)).toEqual({ state: "succeeded", result: result() });
    const error =
      "annotations.json: annotation 7 (image 'a.png'): keypoint tail at (70.0, 5.0) is outside the 64x48 image";
    expect(importStatus(job({ state: "failed", error }))).toEqual({ state: "failed", error });
    expect(importStatus(job({ state: "cancelled" }))).toEqual({ state: "cancelled" });
  });
});

describe("TransferApi", () => {
  it("posts the files as the multipart field 'files' with CSRF, into a project or as a new one", async () => {
    const seen: Seen = [];
    const transfer = new TransferApi(
      new ApiClient(fakeFetch(202, job(), seen), "/api/v1", () => "keyloop_csrf=t"),
    );
    const files = [
      { file: new File(["{}"], "annotations.json"), path: "annotations.json" },
      { file: new File(["png"], "a.png"), path: "gulls/images/a.png" },
    ];
    expect(await transfer.importInto(3, "coco", files)).toEqual(job());
    await transfer.importAsNewProject("cvat", files, "Gulls 2", "gull");
    await transfer.job(9);
    expect(seen.map((s) => s.url)).toEqual([
      "/api/v1/projects/3/import/coco",
      "/api/v1/projects/import/cvat?name=Gulls+2&label=gull",
      "/api/v1/jobs/9",
    ]);
    const body = seen[0]!.init.body as FormData;
    // A folder's files go under their relative paths: the annotation file refers to them so.
    expect(body.getAll("files").map((f) => (f as File).name)).toEqual([
      "annotations.json",
      "gulls/images/a.png",
    ]);
    expect((seen[0]!.init.headers as Record<string, string>)["X-CSRF-Token"]).toBe("t");
  });

  it("surfaces the server's detail when an upload is refused", async () => {
    const detail =
      "the upload is 5000000000 bytes, more than the 4294967296-byte limit of one import";
    const transfer = new TransferApi(
      new ApiClient(fakeFetch(413, { detail, code: "payload_too_large" }, []), "/api/v1", () => ""),
    );
    const err = await transfer
      .importInto(3, "coco", [
        { file: new File(["x"], "annotations.json"), path: "annotations.json" },
      ])
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).detail).toBe(detail);
  });

  it("builds the download URL under the API base", () => {
    const transfer = new TransferApi(new ApiClient(fakeFetch(200, {}, []), "/api/v1", () => ""));
    expect(transfer.exportUrl(5, "cvat", { state: "done" })).toBe(
      "/api/v1/projects/5/export/cvat?state=done",
    );
  });
});
