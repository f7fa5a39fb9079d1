/**
 * A synthetic byte-level BPE tokenizer in the shape of Qwen's (GGUF `tokenizer.ggml.model=gpt2`,
 * pre-tokenizer `qwen2`): the 256 byte tokens in GPT-2's byte→unicode mapping, merges that build
 * two- and three-character tokens (common English characters first, so tokenised text looks
 * plausible), Qwen's special tokens, and padding up to the requested vocabulary size. It encodes
 * any text (every byte has a token), which is all a random-weight test model needs.
 */

/** llama.cpp token types. */
export const TokenType = { NORMAL: 1, CONTROL: 3, USER_DEFINED: 4, UNUSED: 5 } as const;

export const SPECIAL_TOKENS = [
  { text: '<|endoftext|>', type: TokenType.CONTROL },
  { text: '<|im_start|>', type: TokenType.CONTROL },
  { text: '<|im_end|>', type: TokenType.CONTROL },
  { text: '<tool_call>', type: TokenType.USER_DEFINED },
  { text: '</tool_call>', type: TokenType.USER_DEFINED },
] as const;

export interface BpeVocab {
  tokens: string[];
  types: number[];
  merges: string[];
  eosId: number;
  padId: number;
  imStartId: number;
}

/** GPT-2's reversible byte → printable-unicode mapping (bytes_to_unicode in its encoder.py). */
export function byteToUnicode(): string[] {
  const printable: number[] = [];
  for (let b = 33; b <= 126; b++) printable.push(b);
  for (let b = 161; b <= 172; b++) printable.push(b);
  for (let b = 174; b <= 255; b++) printable.push(b);
  const map: string[] = new Array<string>(256);
  let extra = 0;
  for (let b = 0; b < 256; b++) {
    map[b] = printable.includes(b) ? String.fromCodePoint(b) : String.fromCodePoint(256 + extra++);
  }
  return map;
}

/** Bytes ordered roughly by frequency in English text, then the rest. */
function alphabetOrder(): number[] {
  const common = Array.from(' etaoinshrdlucmfwgypbvkjxqz', (c) => c.charCodeAt(0));
  const rest = Array.from({ length: 256 }, (_, b) => b).filter((b) => !common.includes(b));
  const ascii = rest.filter((b) => b >= 32 && b < 127);
  return [...common, ...ascii, ...rest.filter((b) => b < 32 || b >= 127)];
}

/**
 * @param vocabSize total rows of the embedding matrix
 * @param regularTokens byte + merged tokens before the specials (Qwen2.5: 151,643); the rest
 *   after the specials is padding, as converted Qwen GGUFs have.
 */
export function buildBpeVocab(vocabSize: number, regularTokens = vocabSize - SPECIAL_TOKENS.length): BpeVocab {
  if (regularTokens < 256 || regularTokens + SPECIAL_TOKENS.length > vocabSize) {
    throw new Error(`vocabulary of ${vocabSize} cannot hold ${regularTokens} regular tokens, the 256 bytes and ${SPECIAL_TOKENS.length} specials`);
  }
  const chars = byteToUnicode();
  const order = alphabetOrder().map((b) => chars[b]);
  const tokens = chars.slice();
  const seen = new Set(tokens);
  const merges: string[] = [];
  const add = (left: string, right: string): void => {
    const text = left + right;
    if (seen.has(text)) return;
    seen.add(text);
    tokens.push(text);
    merges.push(`${left} ${right}`);
  };
  // Pairs by increasing rank sum, so "Ġt", "he", "in" come before rare pairs.
  const pairs = order.length * 2 - 1;
  for (let sum = 0; sum < pairs && tokens.length < regularTokens; sum++) {
    for (let i = Math.max(0, sum - order.length + 1); i <= Math.min(sum, order.length - 1) && tokens.length < regularTokens; i++) {
      add(order[i], order[sum - i]);
    }
  }
  // Then triples: each pair token followed by a character, pairs and characters in rank order.
  const pairTokens = tokens.slice(256);
  for (let c = 0; c < order.length && tokens.length < regularTokens; c++) {
    for (let p = 0; p < pairTokens.length && tokens.length < regularTokens; p++) add(pairTokens[p], order[c]);
  }
  if (tokens.length < regularTokens) throw new Error(`cannot build ${regularTokens} distinct tokens`);

  const types = tokens.map(() => TokenType.NORMAL as number);
  const firstSpecial = tokens.length;
  for (const special of SPECIAL_TOKENS) {
    tokens.push(special.text);
    types.push(special.type);
  }
  for (let i = tokens.length; i < vocabSize; i++) {
    tokens.push(`[PAD${i}]`);
    types.push(TokenType.UNUSED);
  }
  return { tokens, types, merges, eosId: firstSpecial + 2, padId: firstSpecial, imStartId: firstSpecial + 1 };
}

/**
 * Qwen2.5-Instruct's chat template (ChatML with `<tool_call>` function calling), so node-llama-cpp
 * and llama.cpp pick the same prompt format and tool-call syntax as for the real model.
 */
export const QWEN25_CHAT_TEMPLATE = `{%- if tools %}
    {{- '<|im_start|>system\\n' }}
    {%- if messages[0]['role'] == 'system' %}
        {{- messages[0]['content'] }}
    {%- else %}
        {{- 'You are Qwen, created by Alibaba Cloud. You are a helpful assistant.' }}
    {%- endif %}
    {{- "\\n\\n# Tools\\n\\nYou may call one or more functions to assist with the user query.\\n\\nYou are provided with function signatures within <tools></tools> XML tags:\\n<tools>" }}
    {%- for tool in tools %}
        {{- "\\n" }}
        {{- tool | tojson }}
    {%- endfor %}
    {{- "\\n</tools>\\n\\nFor each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\\n<tool_call>\\n{\\"name\\": <function-name>, \\"arguments\\": <args-json-object>}\\n</tool_call><|im_end|>\\n" }}
{%- else %}
    {%- if messages[0]['role'] == 'system' %}
        {{- '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}
    {%- else %}
        {{- '<|im_start|>system\\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\\n' }}
    {%- endif %}
{%- endif %}
{%- for message in messages %}
    {%- if (message.role == "user") or (message.role == "system" and not loop.first) or (message.role == "assistant" and not message.tool_calls) %}
        {{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>' + '\\n' }}
    {%- elif message.role == "assistant" %}
        {{- '<|im_start|>' + message.role }}
        {%- if message.content %}
            {{- '\\n' + message.content }}
        {%- endif %}
        {%- for tool_call in message.tool_calls %}
            {%- if tool_call.function is defined %}
                {%- set tool_call = tool_call.function %}
            {%- endif %}
            {{- '\\n<tool_call>\\n{"name": "' }}
            {{- tool_call.name }}
            {{- '", "arguments": ' }}
            {{- tool_call.arguments | tojson }}
            {{- '}\\n</tool_call>' }}
        {%- endfor %}
        {{- '<|im_end|>\\n' }}
    {%- elif message.role == "tool" %}
        {%- if (loop.index0 == 0) or (messages[loop.index0 - 1].role != "tool") %}
            {{- '<|im_start|>user' }}
        {%- endif %}
        {{- '\\n<tool_response>\\n' }}
        {{- message.content }}
        {{- '\\n</tool_response>' }}
        {%- if loop.last or (messages[loop.index0 + 1].role != "tool") %}
            {{- '<|im_end|>\\n' }}
        {%- endif %}
    {%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}
    {{- '<|im_start|>assistant\\n' }}
{%- endif %}
`;
