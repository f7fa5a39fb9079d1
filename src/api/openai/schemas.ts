/**
 * OpenAI request bodies, as zod schemas. Strict: an unknown field is refused (`unknown_parameter`)
 * rather than silently ignored, so a client never believes a setting took effect when it did not.
 * Ranges follow OpenAI's API reference; `top_k` is the one common extension (vLLM, llama.cpp).
 */
import { z } from 'zod';

const textPart = z.strictObject({ type: z.literal('text'), text: z.string() });
const imagePart = z.object({ type: z.literal('image_url') }).passthrough();
const messageContent = z.union([z.string(), z.array(z.union([textPart, imagePart])).min(1)]);

const toolCallSchema = z.strictObject({
  id: z.string(),
  type: z.literal('function'),
  function: z.strictObject({ name: z.string(), arguments: z.string() }),
});

const messageSchema = z.discriminatedUnion('role', [
  z.strictObject({ role: z.literal('system'), content: messageContent, name: z.string().optional() }),
  z.strictObject({ role: z.literal('developer'), content: messageContent, name: z.string().optional() }),
  z.strictObject({ role: z.literal('user'), content: messageContent, name: z.string().optional() }),
  z.strictObject({
    role: z.literal('assistant'),
    content: messageContent.nullable().optional(),
    name: z.string().optional(),
    tool_calls: z.array(toolCallSchema).optional(),
    refusal: z.string().nullable().optional(),
  }),
  z.strictObject({ role: z.literal('tool'), content: messageContent, tool_call_id: z.string() }),
]);

const stopSchema = z.union([z.string(), z.array(z.string()).max(4)]).nullable().optional();

/** Sampling fields shared by chat and text completions. */
const samplingFields = {
  model: z.string().min(1),
  temperature: z.number().min(0).max(2).nullable().optional(),
  top_p: z.number().gt(0).max(1).nullable().optional(),
  top_k: z.number().int().min(0).nullable().optional(),
  seed: z.number().int().nullable().optional(),
  max_tokens: z.number().int().min(1).nullable().optional(),
  stop: stopSchema,
  presence_penalty: z.number().min(-2).max(2).nullable().optional(),
  frequency_penalty: z.number().min(-2).max(2).nullable().optional(),
  n: z.number().int().min(1).max(1).nullable().optional(),
  stream: z.boolean().nullable().optional(),
  stream_options: z.strictObject({ include_usage: z.boolean().optional() }).nullable().optional(),
  user: z.string().optional(),
};

export const chatCompletionRequest = z.strictObject({
  ...samplingFields,
  messages: z.array(messageSchema).min(1),
  max_completion_tokens: z.number().int().min(1).nullable().optional(),
  response_format: z
    .discriminatedUnion('type', [
      z.strictObject({ type: z.literal('text') }),
      z.strictObject({ type: z.literal('json_object') }),
      z.strictObject({
        type: z.literal('json_schema'),
        json_schema: z.strictObject({
          name: z.string(),
          description: z.string().optional(),
          schema: z.record(z.string(), z.unknown()).optional(),
          strict: z.boolean().nullable().optional(),
        }),
      }),
    ])
    .optional(),
  tools: z
    .array(
      z.strictObject({
        type: z.literal('function'),
        function: z.strictObject({
          name: z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/, 'must be 1-64 letters, digits, _ or -'),
          description: z.string().optional(),
          parameters: z.record(z.string(), z.unknown()).optional(),
          strict: z.boolean().nullable().optional(),
        }),
      }),
    )
    .optional(),
  tool_choice: z
    .union([
      z.enum(['none', 'auto', 'required']),
      z.strictObject({ type: z.literal('function'), function: z.strictObject({ name: z.string() }) }),
    ])
    .optional(),
  parallel_tool_calls: z.boolean().optional(),
  logprobs: z.literal(false).nullable().optional(),
});

export const completionRequest = z.strictObject({
  ...samplingFields,
  prompt: z.union([z.string(), z.array(z.string()).length(1)]),
  echo: z.literal(false).nullable().optional(),
  suffix: z.null().optional(),
  logprobs: z.null().optional(),
  best_of: z.literal(1).nullable().optional(),
});

export const embeddingRequest = z.strictObject({
  model: z.string().min(1),
  input: z.union([z.string(), z.array(z.string()).min(1).max(2048)]),
  encoding_format: z.enum(['float', 'base64']).optional(),
  dimensions: z.number().int().positive().optional(),
  user: z.string().optional(),
});

export type ChatCompletionRequest = z.infer<typeof chatCompletionRequest>;
export type CompletionRequestBody = z.infer<typeof completionRequest>;
export type EmbeddingRequestBody = z.infer<typeof embeddingRequest>;
