// Streams one chat completion (SSE) and reports text as it arrives. Contract: `onText` gets the
// whole reply so far; the result says how the stream ended. A stream that breaks (an error event
// from the server, a dropped connection) ends as `error` with the text that did arrive, never
// by throwing; refusals before the stream starts (bad key, budget) are thrown as ApiError.
import type { Client } from './client';
import type { Sampling } from './types';

export interface ChatTurn {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface StreamUsage {
  prompt_tokens: number;
  completion_tokens: number;
}

export interface StreamResult {
  text: string;
  requestId: string | null;
  usage: StreamUsage | null;
  outcome: 'done' | 'stopped' | 'error';
  error?: string;
}

interface Chunk {
  choices?: Array<{ delta?: { content?: string | null } }>;
  usage?: StreamUsage;
  error?: { message?: string };
}

export async function streamChat(
  client: Client,
  request: { model: string; messages: ChatTurn[]; sampling: Sampling },
  signal: AbortSignal,
  onText: (text: string) => void,
): Promise<StreamResult> {
  const { temperature, top_p, max_tokens } = request.sampling;
  const body = {
    model: request.model,
    messages: request.messages,
    stream: true,
    stream_options: { include_usage: true },
    ...(temperature != null ? { temperature } : {}),
    ...(top_p != null ? { top_p } : {}),
    ...(max_tokens != null ? { max_tokens } : {}),
  };
  let response: Response;
  try {
    response = await client.raw('/v1/chat/completions', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal,
    });
  } catch (err) {
    if (signal.aborted) return { text: '', requestId: null, usage: null, outcome: 'stopped' };
    throw err;
  }
  const result: StreamResult = { text: '', requestId: response.headers.get('x-request-id'), usage: null, outcome: 'error' };
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffered += value;
      const events = buffered.split('\n\n');
      buffered = events.pop() ?? '';
      for (const event of events) {
        const data = event.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trim()).join('\n');
        if (!data) continue;
        if (data === '[DONE]') return { ...result, outcome: 'done' };
        const chunk = JSON.parse(data) as Chunk;
        if (chunk.error) return { ...result, error: chunk.error.message ?? 'The stream failed.' };
        if (chunk.usage) result.usage = chunk.usage;
        const delta = chunk.choices?.[0]?.delta?.content;
        if (delta) {
          result.text += delta;
          onText(result.text);
        }
      }
    }
    return { ...result, error: 'The connection closed before the reply was complete.' };
  } catch (err) {
    if (signal.aborted) return { ...result, outcome: 'stopped' };
    return { ...result, error: `The stream broke: ${err instanceof Error ? err.message : String(err)}` };
  }
}
