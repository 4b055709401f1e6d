import { describe, expect, it } from "vitest";
import {
  contentsHint,
  describeSelection,
  formatBytes,
  leftOutText,
  pickedFromList,
  splitSelection,
  usableFor,
  type PickedFile,
} from "../../src/core/fileSelection";

const picked = (path: string, bytes = 1): PickedFile => ({
  file: new File([new Uint8Array(bytes)], path.split("/").pop()!),
  path,
});
const paths = (list: readonly PickedFile[]) => list.map((p) => p.path);

describe("usableFor", () => {
  it("takes images and zips for every format, and each format's own annotation files", () => {
    for (const kind of [
      "coco",
      "dlc",
      "cvat",
      "sleap",
      "label-studio",
      "yolo",
      "images",
    ] as const) {
      expect(usableFor(kind, "a/frame.JPG")).toBe(true);
      expect(usableFor(kind, "export.zip")).toBe(true);
      expect(usableFor(kind, "notes.docx")).toBe(false);
    }
    expect(usableFor("dlc", "labeled-data/v1/CollectedData_Ann.csv")).toBe(true);
    expect(usableFor("dlc", "labeled-data/v1/CollectedData_Ann.h5")).toBe(true);
    expect(usableFor("dlc", "config.yaml")).toBe(true);
    expect(usableFor("dlc", "annotations.json")).toBe(false);
    expect(usableFor("coco", "annotations.json")).toBe(true);
    expect(usableFor("cvat", "annotations.xml")).toBe(true);
    expect(usableFor("cvat", "arena.MP4")).toBe(true); // a video task's video
    expect(usableFor("label-studio", "arena.mp4")).toBe(false);
    expect(usableFor("label-studio", "config.xml")).toBe(true);
    expect(usableFor("sleap", "labels.slp")).toBe(true);
    expect(usableFor("sleap", "session.mp4")).toBe(true);
    expect(usableFor("dlc", "videos/reachingvideo1.avi")).toBe(true);
    expect(usableFor("coco", "session.mp4")).toBe(false);
    expect(usableFor("yolo", "labels/train/a.txt")).toBe(true);
    expect(usableFor("images", "index.json")).toBe(false);
  });

  it("never takes hidden files such as .DS_Store or macOS's ._ companions", () => {
    expect(usableFor("dlc", "mouse/.DS_Store")).toBe(false);
    expect(usableFor("images", "mouse/._img001.png")).toBe(false);
  });
});

describe("splitSelection", () => {
  it("keeps what the format uses and leaves out the rest, in order", () => {
    const files = [picked("a.jpg"), picked("index.json"), picked("b.jpg"), picked(".DS_Store")];
    const { kept, leftOut } = splitSelection("images", files);
    expect(paths(kept)).toEqual(["a.jpg", "b.jpg"]);
    expect(paths(leftOut)).toEqual(["index.json", ".DS_Store"]);
  });
});

describe("pickedFromList", () => {
  it("names a file by its path in the chosen folder, else by its name", () => {
    const inFolder = new File(["x"], "img001.png");
    Object.defineProperty(inFolder, "webkitRelativePath", {
      value: "mouse/labeled-data/v1/img001.png",
    });
    const loose = new File(["x"], "ann.json");
    expect(paths(pickedFromList([inFolder, loose]))).toEqual([
      "mouse/labeled-data/v1/img001.png",
      "ann.json",
    ]);
  });
});

describe("describing a selection", () => {
  it("counts the files, their size and what they are", () => {
    const files = [
      picked("m/config.yaml", 500),
      picked("m/labeled-data/v1/CollectedData_Ann.csv", 500),
      picked("m/labeled-data/v2/CollectedData_Ann.csv", 500),
      picked("m/labeled-data/v1/CollectedData_Ann.h5", 500),
      ...Array.from({ length: 120 }, (_, i) => picked(`m/labeled-data/v1/img${i}.png`, 12_500)),
    ];
    expect(contentsHint(files)).toBe(
      "config.yaml + 2 CollectedData CSVs + 1 HDF5 table + 120 images",
    );
    expect(describeSelection(files)).toBe(
      "124 files, 1.5 MB: config.yaml + 2 CollectedData CSVs + 1 HDF5 table + 120 images",
    );
    expect(describeSelection([picked("a.zip", 999)])).toBe("1 file, 999 B: 1 zip");
  });

  it("writes sizes in decimal units", () => {
    expect(formatBytes(0)).toBe("0 B");
    expect(formatBytes(18_200_000)).toBe("18 MB");
    expect(formatBytes(4_300_000_000)).toBe("4.3 GB");
  });

  it("lists what was left out, the first few by name", () => {
    const out = ["a/.DS_Store", "notes.docx", "index.json", "b.txt", "c.txt", "d.txt", "e.txt"].map(
      (p) => picked(p),
    );
    expect(leftOutText(out.slice(0, 1))).toBe("Left out 1 file: a/.DS_Store");
    expect(leftOutText(out)).toBe(
      "Left out 7 files: a/.DS_Store, notes.docx, index.json, b.txt, c.txt, … (2 more)",
    );
  });
});
