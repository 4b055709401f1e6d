import { describe, expect, it } from "vitest";
import { ApiClient, ApiError } from "../../src/core/api";
import { exportKind, exportPath, summarizeImport, TransferApi, type ImportResult } from "../../src/core/transferApi";

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

describe("exportPath", () => {
  it("passes the filters and leaves out COCO-only options for other formats", () => {
    expect(exportPath(3, "coco")).toBe("/projects/3/export/coco");
    expect(exportPath(3, "coco", { state: "done", split: "validation", predictions: true, images: true })).toBe(
      "/projects/3/export/coco?state=done&split=validation&predictions=true&images=true",
    );
    expect(exportPath(3, "dlc", { split: "train", predictions: true, images: true })).toBe("/projects/3/export/dlc?split=train");
  });

  it("knows COCO without images is the JSON and everything else a zip", () => {
    expect(exportKind("coco")).toBe("json");
    expect(exportKind("coco", { images: true })).toBe("zip");
    expect(exportKind("sleap")).toBe("zip");
  });
});

describe("summarizeImport", () => {
  it("counts created images, saved annotations and duplicates", () => {
    expect(summarizeImport(result())).toBe("2 images created, 2 annotations saved, 0 duplicates");
    const dup = { filename: "a.png", existing_image_id: 1, annotation: "kept existing" as const };
    expect(summarizeImport(result({ images_created: 1, annotations_saved: 1, duplicates: [dup] }))).toBe(
      "1 image created, 1 annotation saved, 1 duplicate",
    );
  });
});

describe("TransferApi", () => {
  it("posts the files as the multipart field 'files' with CSRF, into a project or as a new one", async () => {
    const seen: Seen = [];
    const transfer = new TransferApi(new ApiClient(fakeFetch(201, result(), seen), "/api/v1", () => "keyloop_csrf=t"));
    const files = [new File(["{}"], "annotations.json"), new File(["png"], "a.png")];
    expect(await transfer.importInto(3, "coco", files)).toEqual(result());
    await transfer.importAsNewProject("cvat", files, "Gulls 2", "gull");
    expect(seen.map((s) => s.url)).toEqual(["/api/v1/projects/3/import/coco", "/api/v1/projects/import/cvat?name=Gulls+2&label=gull"]);
    const body = seen[0]!.init.body as FormData;
    expect(body.getAll("files").map((f) => (f as File).name)).toEqual(["annotations.json", "a.png"]);
    expect((seen[0]!.init.headers as Record<string, string>)["X-CSRF-Token"]).toBe("t");
  });

  it("surfaces the server's detail when an import is refused", async () => {
    const detail = "annotations.json: not valid JSON (Expecting value: line 1 column 1 (char 0))";
    const transfer = new TransferApi(new ApiClient(fakeFetch(422, { detail, code: "bad_input" }, []), "/api/v1", () => ""));
    const err = await transfer.importInto(3, "coco", [new File(["x"], "annotations.json")]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).detail).toBe(detail);
  });

  it("builds the download URL under the API base", () => {
    const transfer = new TransferApi(new ApiClient(fakeFetch(200, {}, []), "/api/v1", () => ""));
    expect(transfer.exportUrl(5, "cvat", { state: "done" })).toBe("/api/v1/projects/5/export/cvat?state=done");
  });
});
