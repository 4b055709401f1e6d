/**
 * What the browser sends for an import or an image upload: files picked one by one, a folder
 * (`<input webkitdirectory>`) or folders dropped on the dialog, each with its path relative to
 * what was picked (`mouse/labeled-data/v1/img001.png`), which becomes the multipart file name so
 * the server sees the folder layout an annotation file refers to.
 *
 * The API refuses a whole upload for one file it cannot use, so the browser leaves out what the
 * chosen format cannot use (a `.DS_Store`, an `index.json` among JPEGs), lists it, and sends
 * the rest. To let a format use another kind of file, add its extension to `FORMAT_EXTENSIONS`.
 */
import type { TransferFormat } from "./transferApi";

/** A file and the name it is uploaded under (its relative path, folders included). */
export interface PickedFile {
  file: File;
  path: string;
}

/** What the image upload of a project accepts, beside the import formats. */
export type UploadKind = TransferFormat | "images";

const IMAGE_EXTENSIONS = [".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff"];
// The same list as the API's (backend/formats/common.py, VIDEO_SUFFIXES).
const VIDEO_EXTENSIONS = [".mp4", ".avi", ".mov", ".mkv", ".webm"];

/** Beside images and zips, which every kind takes: the annotation files each format reads. */
const FORMAT_EXTENSIONS: Record<UploadKind, readonly string[]> = {
  coco: [".json"],
  dlc: [".csv", ".h5", ".hdf5", ".yaml", ".yml", ...VIDEO_EXTENSIONS],
  cvat: [".xml", ...VIDEO_EXTENSIONS],
  sleap: [".slp", ...VIDEO_EXTENSIONS],
  "label-studio": [".json", ".xml"],
  yolo: [".yaml", ".yml", ".txt"],
  images: [],
};

function extension(path: string): string {
  const base = baseName(path);
  const dot = base.lastIndexOf(".");
  return dot > 0 ? base.slice(dot).toLowerCase() : "";
}

export function baseName(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

/** Whether `kind` can use this file. Hidden files (`.DS_Store`, `._x.png`) never. */
export function usableFor(kind: UploadKind, path: string): boolean {
  if (baseName(path).startsWith(".")) return false;
  const ext = extension(path);
  return ext === ".zip" || IMAGE_EXTENSIONS.includes(ext) || FORMAT_EXTENSIONS[kind].includes(ext);
}

/** Files from an `<input type=file>` (with `webkitdirectory`, each knows its relative path). */
export function pickedFromList(files: Iterable<File>): PickedFile[] {
  return [...files].map((file) => ({ file, path: file.webkitRelativePath || file.name }));
}

export interface Selection {
  kept: PickedFile[];
  leftOut: PickedFile[];
}

export function splitSelection(kind: UploadKind, picked: readonly PickedFile[]): Selection {
  const kept: PickedFile[] = [];
  const leftOut: PickedFile[] = [];
  for (const p of picked) (usableFor(kind, p.path) ? kept : leftOut).push(p);
  return { kept, leftOut };
}

/** "1.5 MB": decimal units, as file managers show them. */
export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  const units = ["kB", "MB", "GB", "TB"];
  let value = bytes / 1000;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}

function count(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** What the files are, e.g. "config.yaml + 2 CollectedData CSVs + 120 images". */
export function contentsHint(picked: readonly PickedFile[]): string {
  const names = picked.map((p) => baseName(p.path));
  const byExt = (exts: readonly string[]) =>
    picked.filter((p) => exts.includes(extension(p.path))).length;
  const parts: string[] = [];
  const configs = names.filter((n) => n === "config.yaml" || n === "data.yaml");
  parts.push(...configs);
  const collected = names.filter((n) => /^CollectedData.*\.csv$/i.test(n)).length;
  if (collected) parts.push(count(collected, "CollectedData CSV", "CollectedData CSVs"));
  const otherCsv = byExt([".csv"]) - collected;
  if (otherCsv) parts.push(count(otherCsv, "CSV", "CSVs"));
  const others: [readonly string[], string, string][] = [
    [[".h5", ".hdf5"], "HDF5 table", "HDF5 tables"],
    [[".json"], "JSON file", "JSON files"],
    [[".xml"], "XML file", "XML files"],
    [[".slp"], "SLEAP file", "SLEAP files"],
    [[".txt"], "label file", "label files"],
    [[".zip"], "zip", "zips"],
    [IMAGE_EXTENSIONS, "image", "images"],
    [VIDEO_EXTENSIONS, "video", "videos"],
  ];
  for (const [exts, one, many] of others) {
    const n = byExt(exts);
    if (n) parts.push(count(n, one, many));
  }
  const yaml = byExt([".yaml", ".yml"]) - configs.length;
  if (yaml) parts.push(count(yaml, "YAML file", "YAML files"));
  return parts.join(" + ");
}

/** "122 files, 18 MB: config.yaml + 2 CollectedData CSVs + 120 images". */
export function describeSelection(picked: readonly PickedFile[]): string {
  const bytes = picked.reduce((sum, p) => sum + p.file.size, 0);
  const hint = contentsHint(picked);
  return `${count(picked.length, "file", "files")}, ${formatBytes(bytes)}${hint ? `: ${hint}` : ""}`;
}

/** "Left out 3 files: .DS_Store, notes.docx, index.json" (at most `shown` names, then "…"). */
export function leftOutText(leftOut: readonly PickedFile[], shown = 5): string {
  const names = leftOut.slice(0, shown).map((p) => p.path);
  const more = leftOut.length > shown ? `, … (${leftOut.length - shown} more)` : "";
  return `Left out ${count(leftOut.length, "file", "files")}: ${names.join(", ")}${more}`;
}
