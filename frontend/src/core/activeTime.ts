/**
 * Active labeling time: the time the annotator spends on an image with the page visible and
 * focused, without a pause of more than `IDLE_MS` between two inputs (pointer, wheel, key).
 *
 * A gap between inputs counts whole when it is at most `IDLE_MS` long and not at all when it
 * is longer (a coffee break is not labeling). A reading taken mid-gap (a save) counts the gap
 * so far when it is still within `IDLE_MS`; the rest of that gap counts at the next input only
 * if the whole gap stayed within it. Hiding the page or leaving its window ends the count; the
 * return is treated as an input. Only a running total is kept: no event is logged.
 */

export const IDLE_MS = 30_000;

export type Clock = () => number;

export class ActiveTime {
  private totalMs = 0;
  /** Time of the last input; null while the page is hidden or unfocused. */
  private lastInput: number | null;
  /** Everything before this instant is already in `totalMs` (or was idle). */
  private countedUntil: number;

  constructor(
    private readonly now: Clock = Date.now,
    attentive = true,
  ) {
    const t = now();
    this.lastInput = attentive ? t : null;
    this.countedUntil = t;
  }

  /**
   * The annotator did something (moved the pointer, pressed a key, scrolled). Ignored while
   * the page is hidden or unfocused: a pointer passing over a background window is no work.
   */
  input(): void {
    if (this.lastInput === null) return;
    const t = this.now();
    this.accrue(t);
    this.lastInput = t;
  }

  /** The page became visible and focused (true), or hidden or unfocused (false). */
  setAttentive(attentive: boolean): void {
    const t = this.now();
    if (attentive) {
      if (this.lastInput === null) this.countedUntil = this.lastInput = t;
      return;
    }
    this.accrue(t);
    this.lastInput = null;
  }

  /** Active milliseconds since this clock started, up to now. */
  elapsedMs(): number {
    if (this.lastInput !== null) this.accrue(this.now());
    return this.totalMs;
  }

  private accrue(t: number): void {
    const last = this.lastInput;
    if (last !== null && t - last <= IDLE_MS)
      this.totalMs += Math.max(0, t - Math.max(last, this.countedUntil));
    this.countedUntil = Math.max(this.countedUntil, t);
  }
}
