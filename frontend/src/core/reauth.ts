/**
 * Session expiry without losing work. A request answered 401 (see `ApiClient.onUnauthorized`)
 * waits on the gate, which stays `expired` while the view asks the user to sign in again; once
 * they have, every waiting request is sent again, with the new session and CSRF token. Nothing
 * is dropped meanwhile: an autosave waiting here keeps its edits dirty, and later edits are
 * saved after it. `giveUp` (the view going away) fails the waiting requests with their 401.
 */

export class ReauthGate {
  private pending: { promise: Promise<boolean>; resolve: (signedIn: boolean) => void } | null =
    null;
  private readonly listeners = new Set<() => void>();

  /** True from the first 401 until the user signs in again (or the gate gives up). */
  get expired(): boolean {
    return this.pending !== null;
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** On a 401: resolves true once signed in again (send the request again), false on give-up. */
  wait(): Promise<boolean> {
    if (!this.pending) {
      let resolve: (signedIn: boolean) => void = () => undefined;
      const promise = new Promise<boolean>((r) => (resolve = r));
      this.pending = { promise, resolve };
      this.notify();
    }
    return this.pending.promise;
  }

  signedIn(): void {
    this.settle(true);
  }

  giveUp(): void {
    this.settle(false);
  }

  private settle(signedIn: boolean): void {
    const pending = this.pending;
    if (!pending) return;
    this.pending = null;
    pending.resolve(signedIn);
    this.notify();
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener();
  }
}
