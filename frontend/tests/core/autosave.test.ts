import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ApiError, ConflictError, NetworkError } from "../../src/core/api";
import { Autosaver, type SaveClient } from "../../src/core/autosave";
import { emptyPoints } from "../../src/core/keypoints";
import { AnnotationStore } from "../../src/core/store";
import type { AnnotationRead, AnnotationWrite } from "../../src/core/types";
import { annotationRead, schema, visible } from "../fixtures";

/** A fake server holding one annotation with a version counter, like the real PUT. */
class FakeServer implements SaveClient {
  stored: AnnotationRead = annotationRead(0, emptyPoints(schema));
  calls: AnnotationWrite[] = [];
  failNext: Error | null = null;
  async putAnnotation(_imageId: number, body: AnnotationWrite): Promise<AnnotationRead> {
    this.calls.push(body);
    if (this.failNext) {
      const e = this.failNext;
      this.failNext = null;
      throw e;
    }
    if (body.version !== this.stored.version) {
      throw new ConflictError("stale", {}, this.stored);
    }
    this.stored = annotationRead(body.version + 1, body.keypoints, body.done);
    return this.stored;
  }
}

function setup(server = new FakeServer()) {
  const store = new AnnotationStore({ points: emptyPoints(schema), done: false });
  const saver = new Autosaver({
    client: server,
    imageId: 7,
    version: server.stored.version,
    getState: () => store.current,
    delayMs: 500,
    retryMs: 2000,
  });
  store.subscribe((_s, c) => {
    if (c.origin === "user") saver.notifyChange();
  });
  const place = (i: number, x: number) =>
    store.apply({ points: new Map([[i, visible(schema.keypoints[i]!.name, x, x)]]) }, "user");
  return { server, store, saver, place };
}

describe("Autosaver", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("debounces a burst of changes into one PUT with the version read", async () => {
    const { server, saver, place } = setup();
    place(0, 1);
    place(1, 2);
    place(2, 3);
    expect(saver.status).toBe("dirty");
    await vi.advanceTimersByTimeAsync(499);
    expect(server.calls).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(server.calls).toHaveLength(1);
    expect(server.calls[0]?.version).toBe(0);
    expect(server.calls[0]?.keypoints[2]?.x).toBe(3);
    expect(saver.status).toBe("saved");
    expect(saver.version).toBe(1);
  });

  it("uses the new version for the next save", async () => {
    const { server, place } = setup();
    place(0, 1);
    await vi.advanceTimersByTimeAsync(500);
    place(1, 2);
    await vi.advanceTimersByTimeAsync(500);
    expect(server.calls.map((c) => c.version)).toEqual([0, 1]);
    expect(server.stored.version).toBe(2);
  });

  it("saves again when a change lands while a save is in flight", async () => {
    const { server, saver, place } = setup();
    place(0, 1);
    await vi.advanceTimersByTimeAsync(500);
    place(1, 2);
    await saver.flush();
    expect(server.stored.keypoints[1]?.x).toBe(2);
    expect(saver.hasUnsaved).toBe(false);
  });

  it("on 409 stops saving and exposes both versions; keep mine writes on top of theirs", async () => {
    const server = new FakeServer();
    const { saver, place } = setup(server);
    // someone else saved version 1 meanwhile
    server.stored = annotationRead(1, [
      visible("eye_left", 50, 50),
      ...emptyPoints(schema).slice(1),
    ]);
    place(0, 1);
    await vi.advanceTimersByTimeAsync(500);
    expect(saver.status).toBe("conflict");
    expect(saver.conflict?.theirs.version).toBe(1);
    expect(saver.conflict?.mine.points[0]?.x).toBe(1);
    expect(saver.hasUnsaved).toBe(true);
    // further edits do not trigger saves while the conflict is open
    place(1, 2);
    await vi.advanceTimersByTimeAsync(5000);
    expect(server.calls).toHaveLength(1);

    await saver.keepMine();
    expect(server.calls.at(-1)?.version).toBe(1);
    expect(server.stored.version).toBe(2);
    expect(server.stored.keypoints[0]?.x).toBe(1);
    expect(server.stored.keypoints[1]?.x).toBe(2);
    expect(saver.status).toBe("saved");
  });

  it("take theirs returns the server copy and saves nothing", async () => {
    const server = new FakeServer();
    const { store, saver, place } = setup(server);
    server.stored = annotationRead(3, [
      visible("eye_left", 50, 50),
      ...emptyPoints(schema).slice(1),
    ]);
    place(0, 1);
    await vi.advanceTimersByTimeAsync(500);
    const theirs = saver.takeTheirs();
    expect(theirs?.version).toBe(3);
    store.replace({ points: theirs!.keypoints, done: theirs!.done }, "server");
    await vi.advanceTimersByTimeAsync(5000);
    expect(server.calls).toHaveLength(1);
    expect(saver.status).toBe("saved");
    expect(saver.version).toBe(3);
    // the next edit is saved against their version
    place(1, 9);
    await vi.advanceTimersByTimeAsync(500);
    expect(server.calls.at(-1)?.version).toBe(3);
    expect(server.stored.keypoints[0]?.x).toBe(50);
  });

  it("retries network errors but not validation errors", async () => {
    const { server, saver, place } = setup();
    server.failNext = new NetworkError(new TypeError("offline"));
    place(0, 1);
    await vi.advanceTimersByTimeAsync(500);
    expect(saver.status).toBe("error");
    expect(saver.retrying).toBe(true); // the view says "retrying; your changes are kept"
    await vi.advanceTimersByTimeAsync(2000);
    expect(saver.status).toBe("saved");
    expect(saver.retrying).toBe(false);
    expect(server.calls).toHaveLength(2);

    server.failNext = new ApiError(422, "invalid", "outside the image", {});
    place(1, 2);
    await vi.advanceTimersByTimeAsync(500);
    expect(saver.status).toBe("error");
    expect(saver.error).toBe("outside the image");
    expect(saver.retrying).toBe(false);
    await vi.advanceTimersByTimeAsync(10000);
    expect(server.calls).toHaveLength(3);
    expect(saver.hasUnsaved).toBe(true);
  });
});
