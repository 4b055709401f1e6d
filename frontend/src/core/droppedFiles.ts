/**
 * Files and folders dropped on a dialog, as `PickedFile`s with their relative paths. A dropped
 * folder is walked through `DataTransferItem.webkitGetAsEntry()`; a directory reader answers in
 * batches (Chromium: 100 entries), so it is read until it answers an empty batch.
 *
 * The entry types are the few members used, so tests can walk plain objects.
 */
import type { PickedFile } from "./fileSelection";

export interface FileEntryLike {
  isFile: boolean;
  isDirectory: boolean;
  name: string;
  fullPath: string;
  file?: (ok: (file: File) => void, fail: (err: unknown) => void) => void;
  createReader?: () => {
    readEntries: (ok: (entries: FileEntryLike[]) => void, fail: (err: unknown) => void) => void;
  };
}

export interface DropItemLike {
  kind: string;
  webkitGetAsEntry: () => FileEntryLike | null;
  getAsFile: () => File | null;
}

function relative(fullPath: string): string {
  return fullPath.replace(/^\/+/, "");
}

async function walk(entry: FileEntryLike, out: PickedFile[]): Promise<void> {
  if (entry.isFile && entry.file) {
    const read = entry.file.bind(entry);
    const file = await new Promise<File>((ok, fail) => read(ok, fail));
    out.push({ file, path: relative(entry.fullPath) || entry.name });
    return;
  }
  if (!entry.isDirectory || !entry.createReader) return;
  const reader = entry.createReader();
  for (;;) {
    const batch = await new Promise<FileEntryLike[]>((ok, fail) => reader.readEntries(ok, fail));
    if (batch.length === 0) break;
    for (const child of batch) await walk(child, out);
  }
}

/** Every file of the drop, folders walked; files in path order. */
export async function droppedFiles(items: Iterable<DropItemLike>): Promise<PickedFile[]> {
  // Entries must be taken while the drop event is being handled: the list empties after it.
  const entries: FileEntryLike[] = [];
  const loose: PickedFile[] = [];
  for (const item of items) {
    if (item.kind !== "file") continue;
    const entry = item.webkitGetAsEntry();
    if (entry) entries.push(entry);
    else {
      const file = item.getAsFile();
      if (file) loose.push({ file, path: file.name });
    }
  }
  const out: PickedFile[] = [...loose];
  for (const entry of entries) await walk(entry, out);
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
