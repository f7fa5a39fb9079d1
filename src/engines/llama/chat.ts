/**
 * Plans a chat request: messages → history rendered by the GGUF's chat template, tools and
 * response format → function calling or grammar, sampling → node-llama-cpp options. The plan
 * runs `LlamaChat.generateResponse` on whichever sequence the pool hands out.
 */
import { LlamaChat, LlamaJsonSchemaValidationError, type ChatHistoryItem, type ChatModelFunctions, type ChatWrapper, type LlamaGrammar, type Token } from 'node-llama-cpp';
import type { ChatRequest } from '../types.js';
import { TesseraError } from '../../core/errors.js';
import { toChatHistory } from './chat-history.js';
import { finishReasonOf, type GenerationPlan } from './generation-run.js';
import { tokensLeftAfterPrompt, type LoadedModel } from './loaded-model.js';
import { grammarForResponseFormat } from './response-format.js';
import { toLlamaSampling, type LlamaSamplingOptions } from './sampling.js';
import { forceFunctionCall, forcedCallPromptText, resolveTools, StreamedCalls, toToolCalls } from './tools.js';

/** A chat request checked and rendered: what either generation loop needs. */
export interface PreparedChat {
  history: ChatHistoryItem[];
  tools: Awaited<ReturnType<typeof resolveTools>>;
  grammar: LlamaGrammar | undefined;
  chatWrapper: ChatWrapper;
  /** The exact tokens the model will evaluate (known before the request is queued). */
  promptTokens: Token[];
  sampling: LlamaSamplingOptions;
}

export async function prepareChat(loaded: LoadedModel, req: ChatRequest): Promise<PreparedChat> {
  const history = toChatHistory(req.messages);
  const tools = await resolveTools(loaded.llama, req.tools, req.toolChoice);
  const wantsJson = req.responseFormat !== undefined && req.responseFormat.type !== 'text';
  if (wantsJson && tools.functions) {
    // node-llama-cpp cannot constrain one response with both a grammar and function calling.
    throw new TesseraError(
      'unsupported_feature',
      'The llama engine cannot combine response_format with tools in one request; send tool_choice "none" or drop response_format.',
      { param: 'response_format' },
    );
  }
  const grammar = await grammarForResponseFormat(loaded.llama, req.responseFormat);
  const chatWrapper = tools.forced ? forceFunctionCall(loaded.chatWrapper) : loaded.chatWrapper;
  const promptTokens = renderPrompt(loaded, history, tools.functions, tools.forced);
  const sampling = toLlamaSampling(req.sampling, tokensLeftAfterPrompt(loaded, promptTokens.length, 'messages'));
  return { history, tools, grammar: grammar as LlamaGrammar | undefined, chatWrapper, promptTokens, sampling };
}

export async function planChat(loaded: LoadedModel, req: ChatRequest): Promise<GenerationPlan> {
  const { history, tools, grammar, chatWrapper, promptTokens: prompt, sampling } = await prepareChat(loaded, req);
  const promptTokens = prompt.length;

  return {
    promptTokens,
    async generate(sequence, signal, onText) {
      const chat = new LlamaChat({ contextSequence: sequence, chatWrapper, autoDisposeSequence: false });
      try {
        const common = {
          ...sampling,
          signal,
          stopOnAbortSignal: true,
          onTextChunk: onText,
          // Deltas must concatenate to the returned text exactly.
          trimWhitespaceSuffix: false,
        };
        if (!tools.functions) {
          const result = await chat.generateResponse(history, { ...common, grammar });
          return { finishReason: finishReasonOf(result.metadata.stopReason) };
        }
        const streamed = new StreamedCalls();
        try {
          const result = await chat.generateResponse(history, {
            ...common,
            functions: tools.functions,
            documentFunctionParams: true,
            maxParallelFunctionCalls: tools.maxParallelCalls,
            onFunctionCallParamsChunk: (chunk) => streamed.add(chunk),
          });
          const calls = result.functionCalls ?? [];
          if (calls.length === 0) return { finishReason: finishReasonOf(result.metadata.stopReason) };
          return { finishReason: 'tool_calls', toolCalls: toToolCalls(calls) };
        } catch (err) {
          // Grammar-constrained arguments can still fail node-llama-cpp's own check (e.g. `1e999`
          // for an integer parses to Infinity). The text is valid JSON, as OpenAI would return it.
          if (!(err instanceof LlamaJsonSchemaValidationError) || streamed.completed().length === 0) throw err;
          return { finishReason: 'tool_calls', toolCalls: streamed.completed() };
        }
      } finally {
        chat.dispose();
      }
    },
  };
}

/**
 * Renders the prompt the way `LlamaChat` will (same wrapper, same functions, history ending with
 * the model turn) and tokenizes it: exact prompt tokens, known before the request is queued.
 */
function renderPrompt(
  loaded: LoadedModel,
  history: ChatHistoryItem[],
  functions: ChatModelFunctions | undefined,
  forced: boolean,
): Token[] {
  const { contextText } = loaded.chatWrapper.generateContextState({
    chatHistory: history,
    availableFunctions: functions,
    documentFunctionParams: functions ? true : undefined,
  });
  const tokenizer = loaded.model.tokenizer;
  const forcedPrefix = forced ? forcedCallPromptText(loaded.chatWrapper).tokenize(tokenizer, 'trimLeadingSpace') : [];
  return [...contextText.tokenize(tokenizer), ...forcedPrefix];
}
