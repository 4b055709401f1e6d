/** A tiny History-API router: the server falls back to index.html for every non-/api path. */
import { useEffect, useState } from "preact/hooks";

export type Route =
  | { name: "projects" }
  | { name: "login" }
  | { name: "account" }
  | { name: "project"; projectId: number }
  | { name: "annotate"; projectId: number; imageId: number }
  | { name: "admin"; projectId: number }
  | { name: "review"; projectId: number }
  | { name: "second-labels"; projectId: number }
  | { name: "not-found" };

export function parseRoute(pathname: string): Route {
  const parts = pathname.split("/").filter(Boolean);
  if (parts.length === 0) return { name: "projects" };
  if (parts[0] === "login" && parts.length === 1) return { name: "login" };
  if (parts[0] === "account" && parts.length === 1) return { name: "account" };
  if (parts[0] === "projects" && parts.length === 2)
    return { name: "project", projectId: Number(parts[1]) };
  if (parts[0] === "projects" && parts[2] === "admin" && parts.length === 3)
    return { name: "admin", projectId: Number(parts[1]) };
  if (parts[0] === "projects" && parts[2] === "review" && parts.length === 3)
    return { name: "review", projectId: Number(parts[1]) };
  if (parts[0] === "projects" && parts[2] === "second-labels" && parts.length === 3)
    return { name: "second-labels", projectId: Number(parts[1]) };
  if (parts[0] === "projects" && parts[2] === "images" && parts.length === 4) {
    return { name: "annotate", projectId: Number(parts[1]), imageId: Number(parts[3]) };
  }
  return { name: "not-found" };
}

export function navigate(path: string, replace = false): void {
  if (replace) history.replaceState(null, "", path);
  else history.pushState(null, "", path);
  window.dispatchEvent(new PopStateEvent("popstate"));
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.pathname));
  useEffect(() => {
    const onPop = () => setRoute(parseRoute(location.pathname));
    window.addEventListener("popstate", onPop);
    return () => window.removeEventListener("popstate", onPop);
  }, []);
  return route;
}

/** onClick for <a href> links: client-side navigation, but keep ctrl/middle-click "open in new tab". */
export function linkClick(e: MouseEvent): void {
  if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey)
    return;
  const anchor = e.currentTarget as HTMLAnchorElement;
  e.preventDefault();
  navigate(anchor.pathname + anchor.search);
}
