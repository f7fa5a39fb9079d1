/**
 * OpenAI tools / tool_choice → node-llama-cpp function calling.
 *
 * node-llama-cpp constrains a function call with a grammar once the model starts one (the chat
 * wrapper knows the template's call syntax, e.g. Qwen's `<tool_call>`), and returns the calls
 * instead of running them. What each tool_choice does:
 * - `none`: no functions are offered; earlier calls in the history are still rendered.
 * - `auto` (default with tools): functions are documented in the prompt; the model decides.
 * - `required` / `{ name }`: the call is forced. The chat wrapper is wrapped so that, right after
 *   the prompt, generation enters function-calling mode (node-llama-cpp's `noPrefixTrigger` of
 *   type `functionCall`; node-llama-cpp then evaluates the template's call prefix itself): the
 *   function name is grammar-constrained to the offered functions (only the named one, and one
 *   call, for `{ name }`) and the arguments to its parameter schema. Wrappers whose template
 *   opens every response in function mode (`functionCall.initiallyEngaged`) are kept there.
 */
import {
  LlamaText,
  type ChatModelFunctions,
  type ChatWrapper,
  type ChatWrapperGenerateContextStateOptions,
  type ChatWrapperGeneratedContextState,
  type ChatWrapperGeneratedInitiallyEngagedFunctionsContextState,
  type ChatWrapperGeneratedPrefixTriggersContextState,
  type Llama,
  type LlamaGrammar,
} from 'node-llama-cpp';
import type { JsonSchema, ToolCall, ToolChoice, ToolDefinition } from '../types.js';
import { toGrammarSchema } from './json-schema.js';
import { TesseraError } from '../../core/errors.js';
import { newId } from '../../core/ids.js';

export interface ResolvedTools {
  /** Functions offered to the model; undefined = function calling off. */
  functions: ChatModelFunctions | undefined;
  /** True when the response must be a call (`required` or a named choice). */
  forced: boolean;
  /** A named choice asks for one call of that function; otherwise parallel calls are allowed. */
  maxParallelCalls: number | undefined;
}

export async function resolveTools(
  llama: Llama,
  tools: ToolDefinition[] | undefined,
  choice: ToolChoice | undefined,
): Promise<ResolvedTools> {
  if (!tools || tools.length === 0) {
    if (choice === 'required' || (typeof choice === 'object' && choice !== null)) {
      throw new TesseraError('invalid_request', 'tool_choice requires tools.', { param: 'tool_choice' });
    }
    return { functions: undefined, forced: false, maxParallelCalls: undefined };
  }
  if (choice === 'none') return { functions: undefined, forced: false, maxParallelCalls: undefined };

  const functions: Record<string, { description?: string; params?: Record<string, unknown> }> = {};
  for (const [index, tool] of tools.entries()) {
    if (functions[tool.name]) {
      throw new TesseraError('invalid_request', `Tool name "${tool.name}" is used twice.`, {
        param: `tools[${index}].function.name`,
      });
    }
    const param = `tools[${index}].function.parameters`;
    const params = tool.parameters && !isEmptyObjectSchema(tool.parameters) ? toGrammarSchema(tool.parameters, param) : undefined;
    if (params) await grammarForSchema(llama, params, param);
    functions[tool.name] = { description: tool.description, params };
  }

  if (typeof choice === 'object' && choice !== null) {
    const only = functions[choice.name];
    if (!only) {
      throw new TesseraError('invalid_request', `tool_choice names "${choice.name}", which is not in tools.`, {
        param: 'tool_choice',
      });
    }
    return { functions: { [choice.name]: only } as ChatModelFunctions, forced: true, maxParallelCalls: 1 };
  }
  return { functions: functions as ChatModelFunctions, forced: choice === 'required', maxParallelCalls: undefined };
}

/** The calls node-llama-cpp returned, in OpenAI's shape (arguments as JSON text). */
export function toToolCalls(calls: ReadonlyArray<{ functionName: string; params: unknown }>): ToolCall[] {
  return calls.map((call) => ({
    id: newId('call'),
    name: call.functionName,
    arguments: JSON.stringify(call.params ?? {}),
  }));
}

/** Tool calls as their argument text streams in (`onFunctionCallParamsChunk`), by call index. */
export class StreamedCalls {
  private readonly calls = new Map<number, { name: string; text: string; done: boolean }>();

  add(chunk: { callIndex: number; functionName: string; paramsChunk: string; done: boolean }): void {
    const call = this.calls.get(chunk.callIndex) ?? { name: chunk.functionName, text: '', done: false };
    call.text += chunk.paramsChunk;
    call.done ||= chunk.done;
    this.calls.set(chunk.callIndex, call);
  }

  /** The calls whose arguments were generated to the end, arguments as generated. */
  completed(): ToolCall[] {
    return [...this.calls.values()]
      .filter((call) => call.done)
      .map((call) => ({ id: newId('call'), name: call.name, arguments: call.text.trim() || '{}' }));
  }
}

/**
 * A view of `inner` whose prompt ends by entering function-calling mode, so the first thing
 * generated is a call. Everything else is delegated unchanged.
 */
export function forceFunctionCall(inner: ChatWrapper): ChatWrapper {
  const inject = forcedCallPrefix(inner);
  const generateContextState = (
    options: ChatWrapperGenerateContextStateOptions,
  ): ChatWrapperGeneratedContextState => {
    const state = inner.generateContextState(options);
    if (state.functionCall) {
      // Wrappers whose template starts every response in function mode: engage it, never leave.
      const engaged: ChatWrapperGeneratedInitiallyEngagedFunctionsContextState = {
        contextText: state.contextText,
        stopGenerationTriggers: state.stopGenerationTriggers,
        ignoreStartText: state.ignoreStartText,
        functionCall: { initiallyEngaged: true, disengageInitiallyEngaged: [] },
      };
      return engaged;
    }
    const forced: ChatWrapperGeneratedPrefixTriggersContextState = {
      ...(state as ChatWrapperGeneratedPrefixTriggersContextState),
      prefixTriggers: undefined,
      noPrefixTrigger: { type: 'functionCall', inject },
    };
    return forced;
  };
  return new Proxy(inner, {
    get(target, property) {
      if (property === 'generateContextState') return generateContextState;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/**
 * The text the forced wrapper injects after the prompt: the call section's opening, if the
 * template has one. node-llama-cpp adds the call prefix itself when it enters function mode.
 */
export function forcedCallPrefix(inner: ChatWrapper): LlamaText {
  return LlamaText([inner.settings.functions.parallelism?.call.sectionPrefix ?? '']);
}

/** Tokens node-llama-cpp evaluates, not samples, to open a forced call (billed as prompt). */
export function forcedCallPromptText(inner: ChatWrapper): LlamaText {
  return LlamaText([forcedCallPrefix(inner), inner.settings.functions.call.prefix]);
}

/**
 * The grammar for an already normalised schema (see json-schema.ts), or `invalid_request` naming
 * `param`. Tools build one too, only to check: node-llama-cpp builds their grammars lazily,
 * mid-generation, and a schema it cannot convert must be refused before the request is queued.
 */
export async function grammarForSchema(llama: Llama, schema: JsonSchema, param: string): Promise<LlamaGrammar> {
  try {
    return await llama.createGrammarForJsonSchema(schema as never);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new TesseraError('invalid_request', `${param} is a JSON schema the grammar converter does not support: ${reason}`, {
      param,
      cause: err,
    });
  }
}

/** `{type:'object', properties:{}}` means "no arguments"; node-llama-cpp wants no schema then. */
function isEmptyObjectSchema(schema: Record<string, unknown>): boolean {
  const properties = schema.properties as Record<string, unknown> | undefined;
  return schema.type === 'object' && properties !== undefined && Object.keys(properties).length === 0;
}
