/**
 * Plans a raw text completion (`/v1/completions`): the prompt goes to the model as is, no chat
 * template, with the same sampling as chat.
 */
import { LlamaCompletion, LlamaVocabularyType, type LlamaModel, type Token } from 'node-llama-cpp';
import type { CompletionRequest } from '../types.js';
import { TesseraError } from '../../core/errors.js';
import { finishReasonOf, type GenerationPlan } from './generation-run.js';
import { tokensLeftAfterPrompt, type LoadedModel } from './loaded-model.js';
import { toLlamaSampling, type LlamaSamplingOptions } from './sampling.js';

/** A completion request checked and tokenized: what either generation loop needs. */
export interface PreparedCompletion {
  /** The prompt's tokens without the beginning-of-sequence token LlamaCompletion adds itself. */
  tokens: Token[];
  /** The beginning-of-sequence token this model wants before the prompt, or null. */
  bos: Token | null;
  sampling: LlamaSamplingOptions;
}

export function prepareCompletion(loaded: LoadedModel, req: CompletionRequest): PreparedCompletion {
  if (typeof req.prompt !== 'string') {
    throw new TesseraError('invalid_request', 'prompt must be a string.', { param: 'prompt' });
  }
  const bos = beginningToken(loaded.model);
  // Tokenized the way LlamaCompletion tokenizes a string, so the count is the evaluated one.
  const tokens = loaded.model.tokenize(req.prompt, false, bos === null ? undefined : 'trimLeadingSpace');
  const promptTokens = tokens.length + (bos === null ? 0 : 1);
  if (promptTokens === 0) throw new TesseraError('invalid_request', 'prompt must not be empty.', { param: 'prompt' });
  const sampling = toLlamaSampling(req.sampling, tokensLeftAfterPrompt(loaded, promptTokens, 'prompt'));
  return { tokens, bos, sampling };
}

export function planCompletion(loaded: LoadedModel, req: CompletionRequest): GenerationPlan {
  const { tokens, bos, sampling } = prepareCompletion(loaded, req);
  const promptTokens = tokens.length + (bos === null ? 0 : 1);

  return {
    promptTokens,
    async generate(sequence, signal, onText) {
      const completion = new LlamaCompletion({ contextSequence: sequence, autoDisposeSequence: false });
      try {
        const result = await completion.generateCompletionWithMeta(tokens, {
          ...sampling,
          signal,
          stopOnAbortSignal: true,
          onTextChunk: onText,
          trimWhitespaceSuffix: false,
          // The prompt was checked to fit; never drop its head or shift the context mid-way.
          contextShiftSize: 1,
          disableContextShift: true,
        });
        return { finishReason: finishReasonOf(result.metadata.stopReason) };
      } finally {
        completion.dispose();
      }
    },
  };
}

/** The token LlamaCompletion puts before the prompt (mirrors node-llama-cpp's own rule). */
function beginningToken(model: LlamaModel): Token | null {
  switch (model.vocabularyType) {
    case LlamaVocabularyType.rwkv:
    case LlamaVocabularyType.ugm:
      return null;
    case LlamaVocabularyType.wpm:
      return model.tokens.bos;
    default:
      return model.tokens.shouldPrependBosToken ? model.tokens.bos : null;
  }
}
