/**
 * `stop` strings over a stream of text deltas: generation ends before the first occurrence of any
 * of them, which is not returned. Text that could be the start of a stop string is held back until
 * the next delta tells, so deltas concatenate to exactly the completion text.
 */
export class StopScanner {
  private held = '';

  constructor(private readonly stops: readonly string[]) {}

  /** The text that is safe to send now, and whether a stop string ended the completion. */
  push(delta: string): { text: string; stopped: boolean } {
    const text = this.held + delta;
    let stopAt = -1;
    for (const stop of this.stops) {
      const at = text.indexOf(stop);
      if (at >= 0 && (stopAt < 0 || at < stopAt)) stopAt = at;
    }
    if (stopAt >= 0) {
      this.held = '';
      return { text: text.slice(0, stopAt), stopped: true };
    }
    const safeEnd = text.length - heldBack(text, this.stops);
    this.held = text.slice(safeEnd);
    return { text: text.slice(0, safeEnd), stopped: false };
  }

  /** The completion ended without a stop string: whatever was held back is text after all. */
  flush(): string {
    const text = this.held;
    this.held = '';
    return text;
  }
}

/** Length of the longest suffix of `text` that could begin a stop string. */
function heldBack(text: string, stops: readonly string[]): number {
  let longest = 0;
  for (const stop of stops) {
    for (let k = Math.min(stop.length - 1, text.length); k > longest; k--) {
      if (text.endsWith(stop.slice(0, k))) {
        longest = k;
        break;
      }
    }
  }
  return longest;
}
