/** The one API client of the app (stateless apart from the CSRF fallback token). */
import { ApiClient, ApiError } from "../core/api";
import { TransferApi } from "../core/transferApi";

export const api = new ApiClient();
/** Import / export calls (admin page, new project from a file), over the same client. */
export const transfer = new TransferApi(api);

export function errorText(e: unknown): string {
  if (e instanceof ApiError) return e.detail;
  return e instanceof Error ? e.message : String(e);
}
