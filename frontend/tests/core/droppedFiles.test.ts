import { describe, expect, it } from "vitest";
import { droppedFiles, type DropItemLike, type FileEntryLike } from "../../src/core/droppedFiles";

function fileEntry(fullPath: string): FileEntryLike {
  const name = fullPath.split("/").pop()!;
  return {
    isFile: true,
    isDirectory: false,
    name,
    fullPath,
    file: (ok) => ok(new File([fullPath], name)),
  };
}

/** A directory whose reader answers `batch` entries at a time, as Chromium's answers 100. */
function dirEntry(fullPath: string, children: FileEntryLike[], batch = 2): FileEntryLike {
  return {
    isFile: false,
    isDirectory: true,
    name: fullPath.split("/").pop()!,
    fullPath,
    createReader: () => {
      let at = 0;
      return {
        readEntries: (ok) => {
          ok(children.slice(at, at + batch));
          at += batch;
        },
      };
    },
  };
}

const item = (entry: FileEntryLike | null, file: File | null = null): DropItemLike => ({
  kind: "file",
  webkitGetAsEntry: () => entry,
  getAsFile: () => file,
});

describe("droppedFiles", () => {
  it("walks dropped folders to the last batch, keeping each file's path below the drop", async () => {
    const frames = Array.from({ length: 5 }, (_, i) =>
      fileEntry(`/mouse/labeled-data/v1/img00${i}.png`),
    );
    const mouse = dirEntry("/mouse", [
      fileEntry("/mouse/config.yaml"),
      dirEntry("/mouse/labeled-data", [
        dirEntry("/mouse/labeled-data/v1", [
          fileEntry("/mouse/labeled-data/v1/CollectedData_Ann.csv"),
          ...frames,
        ]),
      ]),
    ]);
    const got = await droppedFiles([item(mouse), item(fileEntry("/extra.png"))]);
    expect(got.map((p) => p.path)).toEqual([
      "extra.png",
      "mouse/config.yaml",
      "mouse/labeled-data/v1/CollectedData_Ann.csv",
      ...frames.map((f) => f.fullPath.slice(1)),
    ]);
    expect(await got[1]!.file.text()).toBe("/mouse/config.yaml");
  });

  it("takes a plain file when the browser gives no entry, and ignores non-file items", async () => {
    const loose = new File(["x"], "a.png");
    const text: DropItemLike = {
      kind: "string",
      webkitGetAsEntry: () => null,
      getAsFile: () => null,
    };
    expect((await droppedFiles([item(null, loose), text])).map((p) => p.path)).toEqual(["a.png"]);
  });
});
