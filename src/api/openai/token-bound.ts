/**
 * An upper bound of a request's prompt tokens, known before the engine tokenizes: what budget
 * reservations and token rate limits count up front (settlement then uses the engine's count).
 *
 * Byte-level BPE (Qwen, Llama 3, GPT) never emits more tokens than the UTF-8 bytes it encodes, so
 * the bytes of the request's JSON (which holds every message, tool and prompt, plus quotes and
 * keys that take the place of the template's role markers) bound the text. The chat template adds
 * a default system prompt and per-message markers (at most `TEMPLATE_TOKENS`), and tool calling a
 * preamble describing the call syntax (at most `TOOLS_PREAMBLE_TOKENS`).
 */
const TEMPLATE_TOKENS = 64;
const TOOLS_PREAMBLE_TOKENS = 512;

export function promptTokensUpperBound(parts: { messages?: unknown; tools?: unknown; prompt?: unknown; input?: unknown }): number {
  let bytes = 0;
  for (const part of [parts.messages, parts.tools, parts.prompt, parts.input]) {
    if (part !== undefined) bytes += Buffer.byteLength(JSON.stringify(part), 'utf8');
  }
  return bytes + TEMPLATE_TOKENS + (parts.tools ? TOOLS_PREAMBLE_TOKENS : 0);
}
