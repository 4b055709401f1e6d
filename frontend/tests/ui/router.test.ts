import { describe, expect, it } from "vitest";
import { parseRoute } from "../../src/ui/router";

describe("parseRoute", () => {
  it("routes a project's admin page and leaves other paths alone", () => {
    expect(parseRoute("/projects/7/admin")).toEqual({ name: "admin", projectId: 7 });
    expect(parseRoute("/projects/7/admin/extra")).toEqual({ name: "not-found" });
    expect(parseRoute("/projects/7")).toEqual({ name: "project", projectId: 7 });
  });

  it("routes the account page", () => {
    expect(parseRoute("/account")).toEqual({ name: "account" });
    expect(parseRoute("/account/x")).toEqual({ name: "not-found" });
  });
});
