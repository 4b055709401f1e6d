/** Choosing what to upload: files ("Choose files"), a whole folder ("Choose folder", a
 * `webkitdirectory` input) or files and folders dropped on the zone. It shows what will be sent
 * (count, size, what the files are) and what the chosen format cannot use and is left out. The
 * parent keeps the picked files; `splitSelection` decides what is sent. */
import { useState } from "preact/hooks";
import { droppedFiles } from "../core/droppedFiles";
import {
  describeSelection,
  leftOutText,
  pickedFromList,
  splitSelection,
  type PickedFile,
  type UploadKind,
} from "../core/fileSelection";
import { ErrorLine } from "./Notices";

interface Props {
  kind: UploadKind;
  picked: PickedFile[];
  onPick: (picked: PickedFile[]) => void;
  disabled?: boolean;
  /** What the inputs are named for screen readers and tests ("Files", "Folder"). */
  filesLabel?: string;
}

export function FilePicker({
  kind,
  picked,
  onPick,
  disabled = false,
  filesLabel = "Files",
}: Props) {
  const [over, setOver] = useState(false);
  const [dropError, setDropError] = useState<string | null>(null);
  const { kept, leftOut } = splitSelection(kind, picked);

  const choose = (input: HTMLInputElement) => {
    onPick(pickedFromList(input.files ?? []));
    // Emptied, so choosing the same files again after an import is a change too.
    input.value = "";
  };

  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setOver(false);
    if (disabled || !e.dataTransfer) return;
    setDropError(null);
    droppedFiles([...e.dataTransfer.items])
      .then((files) => onPick(files))
      .catch(() =>
        setDropError(
          'The dropped folder could not be read; choose it with "Choose folder" instead.',
        ),
      );
  };

  return (
    <div class="file-picker">
      <div
        class={`drop-zone${over ? " over" : ""}`}
        onDragOver={(e) => {
          e.preventDefault();
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={onDrop}
      >
        <label class="button">
          Choose files
          <input
            type="file"
            multiple
            class="visually-hidden"
            aria-label={filesLabel}
            disabled={disabled}
            onChange={(e) => choose(e.currentTarget)}
          />
        </label>
        <label class="button">
          Choose folder
          <input
            type="file"
            multiple
            class="visually-hidden"
            aria-label="Folder"
            disabled={disabled}
            {...{ webkitdirectory: true }}
            onChange={(e) => choose(e.currentTarget)}
          />
        </label>
        <span class="muted">or drop files or a folder here</span>
      </div>
      {picked.length > 0 && (
        <div class="selection" role="status" aria-label="Selected files">
          <p>
            {kept.length
              ? `To upload: ${describeSelection(kept)}`
              : "Nothing to upload: none of these files can be used."}
          </p>
          {leftOut.length > 0 && <p class="muted left-out">{leftOutText(leftOut)}.</p>}
        </div>
      )}
      <ErrorLine text={dropError} />
    </div>
  );
}
