import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ApiClient, type ApiError } from "../../src/core/api";
import { Autosaver } from "../../src/core/autosave";
import { emptyPoints } from "../../src/core/keypoints";
import { ReauthGate } from "../../src/core/reauth";
import { AnnotationStore } from "../../src/core/store";
import type { AnnotationRead, AnnotationWrite, UserRead } from "../../src/core/types";
import { annotationRead, schema, visible } from "../fixtures";

const PASSWORDS: Record<string, string> = {
  "ann@example.com": "pw-ann",
  "bob@example.com": "pw-bob",
};

/**
 * The backend's auth as the browser sees it: login sets a session cookie and a new CSRF cookie;
 * a write needs the session (else 401) and the matching X-CSRF-Token (else 403); a save is a
 * compare-and-set on the version (else 409 with the current copy), attributed to the session's user.
 */
class FakeBackend {
  cookies = new Map<string, string>();
  stored: AnnotationRead = annotationRead(0, emptyPoints(schema));
  puts: { csrf: string | undefined; body: AnnotationWrite }[] = [];
  private logins = 0;
  private sessions = new Map<string, { email: string; csrf: string }>();

  readonly cookieHeader = () => [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");

  login(email: string): void {
    this.logins += 1;
    const session = `s${this.logins}`;
    const csrf = `csrf-${this.logins}`;
    this.sessions.set(session, { email, csrf });
    this.cookies.set("keyloop_session", session).set("keyloop_csrf", csrf);
  }

  /** The cookie expired (or was deleted): the browser stops sending both. */
  expire(): void {
    this.cookies.clear();
  }

  readonly fetch = async (url: string, init?: RequestInit): Promise<Response> => {
    const body = JSON.parse(String(init?.body ?? "null")) as Record<string, unknown> | null;
    if (url === "/api/v1/auth/login") {
      const email = String(body?.email);
      if (PASSWORDS[email] !== body?.password)
        return json(401, { detail: "wrong email or password", code: "not_authenticated" });
      this.login(email);
      const user: UserRead = {
        id: this.logins,
        email,
        role: "annotator",
        is_active: true,
        created_at: "",
      };
      return json(200, { user, csrf_token: this.cookies.get("keyloop_csrf") });
    }
    const session = this.sessions.get(this.cookies.get("keyloop_session") ?? "");
    if (!session)
      return json(401, { detail: "log in or send an API token", code: "not_authenticated" });
    const csrf = (init?.headers as Record<string, string> | undefined)?.["X-CSRF-Token"];
    this.puts.push({ csrf, body: body as unknown as AnnotationWrite });
    if (csrf !== session.csrf)
      return json(403, { detail: "missing or wrong X-CSRF-Token header", code: "forbidden" });
    const write = body as unknown as AnnotationWrite;
    if (write.version !== this.stored.version)
      return json(409, { detail: "stale", code: "version_conflict", current: this.stored });
    this.stored = {
      ...annotationRead(write.version + 1, write.keypoints, write.done),
      updated_by: session.email,
    };
    return json(200, this.stored);
  };
}

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status });
}

function setup() {
  const backend = new FakeBackend();
  backend.login("ann@example.com");
  const client = new ApiClient(backend.fetch, "/api/v1", backend.cookieHeader);
  const gate = new ReauthGate();
  const uninstall = client.onUnauthorized(() => gate.wait());
  const store = new AnnotationStore({ points: emptyPoints(schema), done: false });
  const saver = new Autosaver({
    client,
    imageId: 7,
    version: 0,
    getState: () => store.current,
    delayMs: 500,
  });
  store.subscribe((_s, c) => {
    if (c.origin === "user") saver.notifyChange();
  });
  const place = (i: number, x: number) =>
    store.apply({ points: new Map([[i, visible(schema.keypoints[i]!.name, x, x)]]) }, "user");
  return { backend, client, gate, saver, place, uninstall };
}

describe("ReauthGate", () => {
  it("holds every waiter until signed in, then lets them all go once", async () => {
    const gate = new ReauthGate();
    const seen: boolean[] = [];
    gate.subscribe(() => seen.push(gate.expired));
    const a = gate.wait();
    const b = gate.wait();
    expect(gate.expired).toBe(true);
    gate.signedIn();
    expect(await Promise.all([a, b])).toEqual([true, true]);
    expect(gate.expired).toBe(false);
    expect(seen).toEqual([true, false]); // one dialog, however many requests failed
    gate.signedIn(); // nothing waiting: no change
    expect(seen).toEqual([true, false]);
  });

  it("fails the waiters when given up", async () => {
    const gate = new ReauthGate();
    const waiting = gate.wait();
    gate.giveUp();
    expect(await waiting).toBe(false);
    expect(gate.expired).toBe(false);
  });
});

describe("an expired session while annotating", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("keeps the edits, and after signing in again saves them with the new CSRF token", async () => {
    const { backend, client, gate, saver, place } = setup();
    place(0, 1);
    await vi.advanceTimersByTimeAsync(500);
    expect(backend.stored.version).toBe(1);

    backend.expire();
    place(1, 2);
    await vi.advanceTimersByTimeAsync(500);
    expect(gate.expired).toBe(true);
    expect(saver.hasUnsaved).toBe(true);
    place(2, 3); // still editing: kept, saved after the pending one
    await vi.advanceTimersByTimeAsync(10_000);
    expect(backend.puts).toHaveLength(1); // the 401 is not retried blindly
    expect(backend.stored.version).toBe(1);

    await client.login("ann@example.com", "pw-ann");
    gate.signedIn();
    await saver.flush();
    await vi.advanceTimersByTimeAsync(500);
    expect(saver.status).toBe("saved");
    expect(backend.stored.keypoints.map((p) => p.x)).toEqual([1, 2, 3, null]);
    expect(backend.puts.map((p) => p.csrf)).toEqual(["csrf-1", "csrf-2", "csrf-2"]);
  });

  it("saves as whoever signs in", async () => {
    const { backend, client, gate, saver, place } = setup();
    backend.expire();
    place(0, 1);
    await vi.advanceTimersByTimeAsync(500);
    expect(gate.expired).toBe(true);
    await client.login("bob@example.com", "pw-bob");
    gate.signedIn();
    await saver.flush();
    expect(backend.stored.updated_by).toBe("bob@example.com");
  });

  it("still reports a version conflict when someone saved while signed out", async () => {
    const { backend, client, gate, saver, place } = setup();
    backend.expire();
    place(0, 1);
    await vi.advanceTimersByTimeAsync(500);
    backend.stored = annotationRead(4, [
      visible("eye_left", 50, 50),
      ...emptyPoints(schema).slice(1),
    ]);
    await client.login("ann@example.com", "pw-ann");
    gate.signedIn();
    await saver.flush();
    expect(saver.status).toBe("conflict");
    expect(saver.conflict?.mine.points[0]?.x).toBe(1);
    await saver.keepMine();
    expect(backend.stored.version).toBe(5);
    expect(backend.stored.keypoints[0]?.x).toBe(1);
  });

  it("fails the save with its 401 when the view goes away (uninstalls and gives up)", async () => {
    const { backend, gate, saver, place, uninstall } = setup();
    backend.expire();
    place(0, 1);
    await vi.advanceTimersByTimeAsync(500);
    uninstall();
    gate.giveUp();
    await saver.flush();
    expect(saver.status).toBe("error");
    expect(saver.error).toBe("log in or send an API token");
    expect(saver.hasUnsaved).toBe(true);
  });

  it("leaves wrong credentials and calls without a handler to the caller", async () => {
    const { backend, client, gate } = setup();
    const wrong = await client.login("ann@example.com", "nope").catch((e: unknown) => e);
    expect((wrong as ApiError).status).toBe(401);
    expect(gate.expired).toBe(false); // the login form shows the error; no second dialog

    const bare = new ApiClient(backend.fetch, "/api/v1", backend.cookieHeader);
    backend.expire();
    const err = await bare
      .putAnnotation(7, { version: 0, keypoints: [], done: false })
      .catch((e: unknown) => e);
    expect((err as ApiError).status).toBe(401);
  });

  it("stops asking once the handler is removed", async () => {
    const { backend, client, gate } = setup();
    const handler = vi.fn(async () => false);
    const remove = client.onUnauthorized(handler);
    remove();
    backend.expire();
    const err = await client
      .putAnnotation(7, { version: 0, keypoints: [], done: false })
      .catch((e: unknown) => e);
    expect((err as ApiError).status).toBe(401);
    expect(handler).not.toHaveBeenCalled();
    expect(gate.expired).toBe(false);
  });
});
