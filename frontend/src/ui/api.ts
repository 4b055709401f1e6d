/** The one API client of the app (stateless apart from the CSRF fallback token). */
import { ApiClient, ApiError } from "../core/api";

export const api = new ApiClient();

export function errorText(e: unknown): string {
  if (e instanceof ApiError) return e.detail;
  return e instanceof Error ? e.message : String(e);
}
