/**
 * Embeddings through a separate llama.cpp context in embedding mode, created on first use (most
 * deployments never embed with a chat model, and it costs a KV cache of its own).
 *
 * Contracts: one embedding context per engine; inputs are embedded one after another (node-llama-
 * cpp serialises them on that context anyway); every input must fit the context on its own, else
 * `context_length_exceeded` naming the input; the signal is checked between inputs.
 */
import type { LlamaEmbeddingContext } from 'node-llama-cpp';
import type { EmbeddingResult } from '../types.js';
import { TesseraError } from '../../core/errors.js';
import type { LoadedModel } from './loaded-model.js';

export interface Embedder {
  embed(input: string[], signal: AbortSignal): Promise<EmbeddingResult>;
  dispose(): Promise<void>;
}

export function createEmbedder(loaded: LoadedModel, threads: number): Embedder {
  let context: Promise<LlamaEmbeddingContext> | null = null;
  let disposed = false;

  const getContext = (): Promise<LlamaEmbeddingContext> => {
    if (!context) {
      context = loaded.model.createEmbeddingContext({
        contextSize: loaded.contextSize,
        // Pooled embeddings need the whole input in one batch.
        batchSize: loaded.contextSize,
        threads,
      });
      context.catch(() => (context = null));
    }
    return context;
  };

  return {
    async embed(input, signal) {
      if (disposed) throw new TesseraError('model_not_ready', 'The model has been unloaded.');
      if (input.length === 0) throw new TesseraError('invalid_request', 'input must not be empty.', { param: 'input' });
      input.forEach((text, index) => {
        if (typeof text !== 'string' || text.length === 0) {
          throw new TesseraError('invalid_request', `input[${index}] must be a non-empty string.`, { param: `input[${index}]` });
        }
      });
      const embeddingContext = await getContext();
      // Counted by the context itself: it adds the BOS/EOS tokens the model's tokenizer asks for.
      const lengths = input.map((text, index) => {
        const length = embeddingContext.calculateInputLength(text);
        if (length >= loaded.contextSize) {
          throw new TesseraError(
            'context_length_exceeded',
            `input[${index}] is ${length} tokens long; this model embeds at most ${loaded.contextSize - 1} tokens per input.`,
            { param: `input[${index}]` },
          );
        }
        return length;
      });
      const embeddings: number[][] = [];
      for (const text of input) {
        signal.throwIfAborted();
        const embedding = await embeddingContext.getEmbeddingFor(text);
        embeddings.push([...embedding.vector]);
      }
      const promptTokens = lengths.reduce((sum, length) => sum + length, 0);
      return { embeddings, promptTokens };
    },
    async dispose() {
      if (disposed) return;
      disposed = true;
      const pending = context;
      context = null;
      const created = await pending?.catch(() => null);
      await created?.dispose();
    },
  };
}
