/**
 * Undo stack of reversible commands. Only user-origin store changes are recorded; applying an
 * undo/redo goes through the store as a user change (so it is saved) but is not re-recorded.
 * A new command after an undo invalidates the redo branch, as in every editor.
 */
import type { AnnotationStore, Change } from "./store";

export interface Command {
  readonly label: string;
  undo(): void;
  redo(): void;
}

export class UndoStack {
  private readonly done: Command[] = [];
  private readonly undone: Command[] = [];
  private applying = false;
  private readonly listeners = new Set<() => void>();

  constructor(private readonly limit = 500) {}

  /** True while an undo/redo is being applied; recorders must ignore changes then. */
  get isApplying(): boolean {
    return this.applying;
  }
  get canUndo(): boolean {
    return this.done.length > 0;
  }
  get canRedo(): boolean {
    return this.undone.length > 0;
  }
  get undoLabel(): string | null {
    return this.done.at(-1)?.label ?? null;
  }
  get redoLabel(): string | null {
    return this.undone.at(-1)?.label ?? null;
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  push(command: Command): void {
    this.done.push(command);
    if (this.done.length > this.limit) this.done.shift();
    this.undone.length = 0;
    this.notify();
  }

  undo(): boolean {
    const command = this.done.pop();
    if (!command) return false;
    this.run(() => command.undo());
    this.undone.push(command);
    this.notify();
    return true;
  }

  redo(): boolean {
    const command = this.undone.pop();
    if (!command) return false;
    this.run(() => command.redo());
    this.done.push(command);
    this.notify();
    return true;
  }

  clear(): void {
    this.done.length = 0;
    this.undone.length = 0;
    this.notify();
  }

  private run(action: () => void): void {
    this.applying = true;
    try {
      action();
    } finally {
      this.applying = false;
    }
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener();
  }
}

/** Record the store's user changes on the stack; a server reset clears the history. */
export function recordUserChanges(store: AnnotationStore, stack: UndoStack): () => void {
  return store.subscribe((_state, change: Change) => {
    if (change.origin === "server") {
      if (change.reset) stack.clear();
      return;
    }
    if (stack.isApplying) return;
    stack.push({
      label: change.label,
      undo: () => store.apply(change.inverse, "user", `undo ${change.label}`),
      redo: () => store.apply(change.patch, "user", `redo ${change.label}`),
    });
  });
}
