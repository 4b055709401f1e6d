/**
 * Keyboard shortcuts of the annotation view: one table drives both the key handler and the
 * help overlay, so the overlay can never list a shortcut that does not exist. To add one, add
 * an Action, a row in SHORTCUTS, and a case in the annotator's dispatcher.
 */

export type Action =
  | "undo"
  | "redo"
  | "next-keypoint"
  | "prev-keypoint"
  | "nudge-left"
  | "nudge-right"
  | "nudge-up"
  | "nudge-down"
  | "nudge-left-big"
  | "nudge-right-big"
  | "nudge-up-big"
  | "nudge-down-big"
  | "set-visible"
  | "set-occluded"
  | "set-unlabeled"
  | "accept-prediction"
  | "accept-all-predictions"
  | "toggle-done"
  | "done-next"
  | "accept-rest-next"
  | "next-image"
  | "skip-image"
  | "fit"
  | "zoom-in"
  | "zoom-out"
  | "toggle-predictions"
  | "toggle-labels"
  | "help"
  | "find-keypoint"
  | "escape"
  | `select-${number}`;

export interface KeyInput {
  key: string;
  ctrlKey: boolean;
  metaKey: boolean;
  shiftKey: boolean;
  altKey: boolean;
}

export interface Shortcut {
  keys: string;
  description: string;
}

export const SHORTCUTS: readonly Shortcut[] = [
  {
    keys: "Click",
    description: "Place the selected keypoint, then advance to the next unlabeled one",
  },
  { keys: "Shift + Click", description: "Place the selected keypoint as occluded" },
  { keys: "Drag point", description: "Move a keypoint (a predicted point becomes a human point)" },
  { keys: "Drag background / wheel / pinch", description: "Pan / zoom about the cursor" },
  { keys: "Tab / Shift + Tab", description: "Select next / previous keypoint" },
  {
    keys: "1 … 9, Q W E R T Y U I G H J K Z X C B M",
    description: "Select keypoint 1 … 26 (each row of the list shows its key)",
  },
  { keys: "/", description: "Go to a keypoint by typing part of its name" },
  {
    keys: "Click a stack of markers",
    description: "Click again to select the next marker under the cursor",
  },
  { keys: "Arrows (Shift = 10 px)", description: "Nudge the selected keypoint by 1 image pixel" },
  { keys: "V", description: "Mark selected keypoint visible" },
  { keys: "O", description: "Mark selected keypoint occluded" },
  { keys: "Delete / Backspace", description: "Clear (unlabel) the selected keypoint" },
  { keys: "A", description: "Accept the prediction for the selected keypoint" },
  { keys: "Shift + A", description: "Accept all predictions above the confidence threshold" },
  { keys: "P", description: "Show / hide predictions" },
  { keys: "L", description: "Show the names of all keypoints / of the selected one only" },
  { keys: "Enter", description: "Done and next: mark the image done and go to the next one" },
  {
    keys: "Shift + Enter",
    description:
      "Accept the rest and next: accept predictions above the threshold, leave the others unlabeled, mark done, go on",
  },
  {
    keys: "D",
    description:
      "Mark image done / not done (asks first when confident predictions are not accepted)",
  },
  {
    keys: "N",
    description:
      "Save and go to the next image of the queue (walks forward; unfinished images come back at the end)",
  },
  { keys: "S", description: "Skip: leave this image until the rest of the queue has been seen" },
  { keys: "F or 0", description: "Fit image to window" },
  { keys: "+ / -", description: "Zoom in / out" },
  { keys: "Ctrl + Z", description: "Undo" },
  { keys: "Ctrl + Shift + Z or Ctrl + Y", description: "Redo" },
  { keys: "?", description: "Show / hide this help" },
  { keys: "Esc", description: "Close dialogs" },
];

/**
 * The key that selects each keypoint: 1-9, then letters no other shortcut uses (26 in all);
 * a longer schema reaches the rest with Tab or the panel's "Go to" box.
 */
export const KEYPOINT_KEYS: readonly string[] = [..."123456789", ..."qwertyuighjkzxcbm"];

export function keypointKey(index: number): string | null {
  return KEYPOINT_KEYS[index] ?? null;
}

export function actionForKey(e: KeyInput): Action | null {
  const mod = e.ctrlKey || e.metaKey;
  const key = e.key.length === 1 ? e.key.toLowerCase() : e.key;
  if (mod) {
    if (key === "z") return e.shiftKey ? "redo" : "undo";
    if (key === "y") return "redo";
    return null;
  }
  if (e.altKey) return null;
  switch (key) {
    case "Tab":
      return e.shiftKey ? "prev-keypoint" : "next-keypoint";
    case "ArrowLeft":
      return e.shiftKey ? "nudge-left-big" : "nudge-left";
    case "ArrowRight":
      return e.shiftKey ? "nudge-right-big" : "nudge-right";
    case "ArrowUp":
      return e.shiftKey ? "nudge-up-big" : "nudge-up";
    case "ArrowDown":
      return e.shiftKey ? "nudge-down-big" : "nudge-down";
    case "v":
      return "set-visible";
    case "o":
      return "set-occluded";
    case "Delete":
    case "Backspace":
      return "set-unlabeled";
    case "a":
      return e.shiftKey ? "accept-all-predictions" : "accept-prediction";
    case "p":
      return "toggle-predictions";
    case "l":
      return "toggle-labels";
    case "d":
      return "toggle-done";
    case "Enter":
      return e.shiftKey ? "accept-rest-next" : "done-next";
    case "n":
      return "next-image";
    case "s":
      return "skip-image";
    case "f":
    case "0":
      return "fit";
    case "+":
    case "=":
      return "zoom-in";
    case "-":
    case "_":
      return "zoom-out";
    case "?":
      return "help";
    case "/":
      return "find-keypoint";
    case "Escape":
      return "escape";
    default: {
      if (e.shiftKey && key.length === 1 && /[a-z]/.test(key)) return null; // Shift+letter is not a keypoint key
      const index = KEYPOINT_KEYS.indexOf(key);
      return index >= 0 ? `select-${index}` : null;
    }
  }
}

/** The keypoint index of a `select-N` action, else null. */
export function selectedIndex(action: Action): number | null {
  return action.startsWith("select-") ? Number(action.slice("select-".length)) : null;
}

/** Nudge step in image pixels and direction for the nudge actions. */
export function nudgeDelta(action: Action): [number, number] | null {
  const table: Partial<Record<Action, [number, number]>> = {
    "nudge-left": [-1, 0],
    "nudge-right": [1, 0],
    "nudge-up": [0, -1],
    "nudge-down": [0, 1],
    "nudge-left-big": [-10, 0],
    "nudge-right-big": [10, 0],
    "nudge-up-big": [0, -10],
    "nudge-down-big": [0, 10],
  };
  return table[action] ?? null;
}
