/**
 * A single-consumer queue that turns node-llama-cpp's callbacks (`onTextChunk`, the final
 * response) into an async iterable. Generation never waits for the consumer: events are
 * buffered, so a slow HTTP client does not stall the other sequences of the batch.
 */
export class EventChannel<T> implements AsyncIterable<T> {
  private readonly buffer: T[] = [];
  private ended = false;
  private failure: { error: unknown } | null = null;
  private wake: (() => void) | null = null;

  push(value: T): void {
    if (this.ended) return;
    this.buffer.push(value);
    this.notify();
  }

  /** No more events; the iterator finishes once the buffer is drained. */
  end(): void {
    this.ended = true;
    this.notify();
  }

  /** The iterator throws `error` once the buffer is drained. */
  fail(error: unknown): void {
    if (this.ended) return;
    this.failure = { error };
    this.end();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    while (true) {
      const next = this.buffer.shift();
      if (next !== undefined) {
        yield next;
        continue;
      }
      if (this.ended) {
        if (this.failure) throw this.failure.error;
        return;
      }
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }
}

/**
 * Yields `channel`'s events to the request's consumer; a consumer that stops early (`break`)
 * calls `onAbandon`, so the generation is aborted rather than left running for nobody.
 */
export async function* relay<T>(channel: EventChannel<T>, onAbandon: () => void): AsyncGenerator<T, void, undefined> {
  let drained = false;
  try {
    for await (const event of channel) yield event;
    drained = true;
  } finally {
    if (!drained) onAbandon();
  }
}
