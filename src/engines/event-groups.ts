/**
 * Events in groups: an engine may hand over what `chat()`/`complete()` return with a second way to
 * read it, `[EVENT_GROUPS]()`, an iterator of the same events in the groups the engine had them
 * ready together (the `openai` engine: what one network read of the upstream completed). The
 * gateway reads that and passes each group on at once; an async step per event was ~4 µs of a
 * 16-token streamed request (bench/gateway). Everything else iterates events as the `Engine`
 * contract says. A stream is read one way or the other, once.
 */
import type { EngineEvent } from './types.js';

export const EVENT_GROUPS = Symbol('tessera.engine.eventGroups');

export interface GroupedEvents extends AsyncIterable<EngineEvent> {
  [EVENT_GROUPS](): AsyncIterator<EngineEvent[]>;
}

/** A stream read either by group or, through the same groups, event by event. */
export function groupedEvents(groups: () => AsyncGenerator<EngineEvent[]>): GroupedEvents {
  return new GroupedStream(groups);
}

// A class, not an object literal: its two methods live on the prototype instead of being made
// (with computed symbol keys) for every request.
class GroupedStream implements GroupedEvents {
  constructor(private readonly groups: () => AsyncGenerator<EngineEvent[]>) {}

  [EVENT_GROUPS](): AsyncIterator<EngineEvent[]> {
    return this.groups();
  }

  // Leaving this loop early (the consumer's `return`) returns the groups' generator too, so the
  // engine's `finally` runs as it would for a plain event generator.
  async *[Symbol.asyncIterator](): AsyncGenerator<EngineEvent> {
    for await (const group of this.groups()) yield* group;
  }
}

export function isGrouped(stream: AsyncIterable<EngineEvent>): stream is GroupedEvents {
  return typeof (stream as Partial<GroupedEvents>)[EVENT_GROUPS] === 'function';
}
