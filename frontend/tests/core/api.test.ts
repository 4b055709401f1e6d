import { describe, expect, it } from "vitest";
import { ApiClient, ApiError, ConflictError, readCookie } from "../../src/core/api";
import { annotationRead } from "../fixtures";

function fakeFetch(status: number, body: unknown, seen: { url: string; init: RequestInit }[]) {
  return async (url: string, init?: RequestInit) => {
    seen.push({ url, init: init ?? {} });
    return new Response(body === null ? null : JSON.stringify(body), { status });
  };
}

describe("ApiClient", () => {
  it("sends the CSRF cookie on writes but not reads", async () => {
    const seen: { url: string; init: RequestInit }[] = [];
    const client = new ApiClient(
      fakeFetch(200, annotationRead(1, []), seen),
      "/api/v1",
      () => "a=1; keyloop_csrf=tok%3D; b=2",
    );
    await client.getAnnotation(7);
    await client.putAnnotation(7, { version: 0, keypoints: [], done: false });
    expect((seen[0]!.init.headers as Record<string, string>)["X-CSRF-Token"]).toBeUndefined();
    expect((seen[1]!.init.headers as Record<string, string>)["X-CSRF-Token"]).toBe("tok=");
    expect(seen[1]!.url).toBe("/api/v1/images/7/annotation");
  });

  it("lists images by file name only when a name is typed", async () => {
    const seen: { url: string; init: RequestInit }[] = [];
    const client = new ApiClient(
      fakeFetch(200, { items: [], total: 0, offset: 0, limit: 60 }, seen),
      "/api/v1",
      () => "",
    );
    await client.listImages(3, { name: " IMG_04&23 ", state: "done", limit: 60 });
    await client.listImages(3, { name: "   " });
    expect(seen[0]!.url).toBe(
      "/api/v1/projects/3/images?state=done&name=IMG_04%2623&offset=0&limit=60",
    );
    expect(seen[1]!.url).toBe("/api/v1/projects/3/images?offset=0&limit=50");
  });

  it("turns a 409 version conflict into a ConflictError with the server's copy", async () => {
    const current = annotationRead(4, []);
    const client = new ApiClient(
      fakeFetch(409, { detail: "stale", code: "version_conflict", current }, []),
      "/api/v1",
      () => "",
    );
    const err = await client
      .putAnnotation(7, { version: 1, keypoints: [], done: false })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConflictError);
    expect((err as ConflictError).current.version).toBe(4);
  });

  it("returns null for a missing prediction and throws typed errors otherwise", async () => {
    const none = new ApiClient(fakeFetch(200, null, []), "/api/v1", () => "");
    expect(await none.getPrediction(1)).toBeNull();
    const gone = new ApiClient(
      fakeFetch(404, { detail: "no image 1", code: "not_found" }, []),
      "/api/v1",
      () => "",
    );
    expect(await gone.getPrediction(1).catch((e: unknown) => e)).toBeInstanceOf(ApiError);
    const denied = new ApiClient(
      fakeFetch(403, { detail: "csrf", code: "csrf_failed" }, []),
      "/api/v1",
      () => "",
    );
    const err = await denied.getProject(1).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).code).toBe("csrf_failed");
  });

  it("treats a session already gone as ended, and reports other failures", async () => {
    const seen: { url: string; init: RequestInit }[] = [];
    const gone = new ApiClient(
      fakeFetch(404, { detail: "session not found", code: "not_found" }, seen),
      "/api/v1",
      () => "",
    );
    await expect(gone.endSession(9)).resolves.toBeUndefined();
    expect([seen[0]!.init.method, seen[0]!.url]).toEqual(["DELETE", "/api/v1/auth/sessions/9"]);
    const denied = new ApiClient(
      fakeFetch(403, { detail: "csrf", code: "csrf_failed" }, []),
      "/api/v1",
      () => "",
    );
    await expect(denied.endSession(9)).rejects.toBeInstanceOf(ApiError);
  });

  it("tells the signed-out listener of a 401 nobody waits on, but not of a failed login", async () => {
    const expired = { detail: "log in or send an API token", code: "not_authenticated" };
    const client = new ApiClient(fakeFetch(401, expired, []), "/api/v1", () => "");
    const heard: number[] = [];
    const remove = client.onSignedOut((e) => heard.push(e.status));
    await expect(client.listSessions()).rejects.toBeInstanceOf(ApiError);
    await expect(client.login("a@example.com", "wrong")).rejects.toBeInstanceOf(ApiError);
    await expect(client.me()).rejects.toBeInstanceOf(ApiError);
    expect(heard).toEqual([401]);

    // While a view holds requests for a new sign-in (the annotator), that view decides.
    const uninstall = client.onUnauthorized(async () => false);
    await expect(client.getProject(1)).rejects.toBeInstanceOf(ApiError);
    expect(heard).toEqual([401]);
    uninstall();
    remove();
    await expect(client.getProject(1)).rejects.toBeInstanceOf(ApiError);
    expect(heard).toEqual([401]);
  });

  it("reads cookies by exact name", () => {
    expect(readCookie("xkeyloop_csrf=1; keyloop_csrf=2", "keyloop_csrf")).toBe("2");
    expect(readCookie("", "keyloop_csrf")).toBeNull();
  });
});
