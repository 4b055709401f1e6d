import { useEffect, useState } from "preact/hooks";
import { ApiError } from "../core/api";
import { LazyAdminPage } from "./admin/LazyAdminPage";
import type { UserRead } from "../core/types";
import { Account } from "./Account";
import { api, errorText } from "./api";
import { Annotator } from "./Annotator";
import { Login } from "./Login";
import { ProjectList } from "./ProjectList";
import { ProjectView } from "./ProjectView";
import { Review } from "./Review";
import { SecondLabels } from "./SecondLabels";
import { navigate, useRoute } from "./router";

export function App() {
  const route = useRoute();
  const [user, setUser] = useState<UserRead | null | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    api.me().then(setUser, (e: unknown) => {
      if (e instanceof ApiError && e.status === 401) setUser(null);
      else setError(errorText(e));
    });
  }, []);
  // A session ended elsewhere (another device, an admin, expiry) shows the login page at the
  // next request; the annotator holds its requests behind its own sign-in dialog instead.
  useEffect(() => api.onSignedOut(() => setUser(null)), []);

  if (error)
    return (
      <p class="page-error" role="alert">
        Cannot reach the server: {error}
      </p>
    );
  if (user === undefined) return <p class="loading">Loading…</p>;
  if (user === null || route.name === "login") {
    return (
      <Login
        onLoggedIn={(u) => {
          setUser(u);
          if (route.name === "login") navigate("/", true);
        }}
      />
    );
  }
  const logout = async () => {
    await api.logout().catch(() => undefined);
    setUser(null);
  };
  switch (route.name) {
    case "projects":
      return <ProjectList user={user} onLogout={logout} />;
    case "project":
      return <ProjectView projectId={route.projectId} user={user} onLogout={logout} />;
    case "account":
      return <Account user={user} onLogout={logout} onSignedOut={() => setUser(null)} />;
    case "admin":
      return <LazyAdminPage projectId={route.projectId} user={user} onLogout={logout} />;
    case "review":
      return (
        <Review key={route.projectId} projectId={route.projectId} user={user} onLogout={logout} />
      );
    case "second-labels":
      return (
        <SecondLabels
          key={route.projectId}
          projectId={route.projectId}
          user={user}
          onLogout={logout}
        />
      );
    case "annotate":
      return (
        <Annotator
          key={route.imageId}
          projectId={route.projectId}
          imageId={route.imageId}
          user={user}
          onUserChange={setUser}
        />
      );
    default:
      return (
        <p class="page-error">
          Page not found. <a href="/">Projects</a>
        </p>
      );
  }
}
