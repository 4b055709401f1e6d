/** Loads the admin page (and Chart.js with it) on first visit, so annotators never download it. */
import type { ComponentProps } from "preact";
import { useEffect, useState } from "preact/hooks";
import type { AdminPage } from "./AdminPage";

type Props = ComponentProps<typeof AdminPage>;

export function LazyAdminPage(props: Props) {
  const [Page, setPage] = useState<typeof AdminPage | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    import("./AdminPage").then(
      (m) => setPage(() => m.AdminPage),
      (e: unknown) => setError(String(e)),
    );
  }, []);
  if (error)
    return (
      <p class="page-error" role="alert">
        Could not load the admin page: {error}
      </p>
    );
  return Page ? <Page {...props} /> : <p class="loading">Loading…</p>;
}
