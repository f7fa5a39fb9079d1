/**
 * `tessera chat`: an interactive terminal chat against a running server that streams replies.
 * Keeps the conversation in memory; `/reset` clears it, `/exit` or Ctrl-D leaves.
 */
import { Command } from 'commander';
import { createInterface } from 'node:readline';
import { callServer, readSse, resolveTarget, type ServerTarget } from '../http-client.js';

interface Message {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

interface ReplyOptions {
  model: string;
  maxTokens?: number;
  temperature?: number;
}

async function streamReply(target: ServerTarget, options: ReplyOptions, messages: Message[], out: NodeJS.WritableStream, signal: AbortSignal) {
  const response = await fetch(`${target.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${target.key}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      model: options.model,
      messages,
      max_tokens: options.maxTokens,
      temperature: options.temperature,
      stream: true,
      stream_options: { include_usage: true },
    }),
    signal,
  });
  if (!response.ok || !response.body) {
    const payload = (await response.json().catch(() => null)) as { error?: { message: string; code: string } } | null;
    throw new Error(payload?.error ? `${payload.error.message} (${payload.error.code})` : `HTTP ${response.status}`);
  }
  let text = '';
  let usage: { prompt_tokens: number; completion_tokens: number } | undefined;
  for await (const chunk of readSse(response.body)) {
    const c = chunk as { choices: Array<{ delta: { content?: string } }>; usage?: typeof usage; error?: { message: string } };
    if (c.error) throw new Error(c.error.message);
    const delta = c.choices[0]?.delta.content;
    if (delta) {
      text += delta;
      out.write(delta);
    }
    if (c.usage) usage = c.usage;
  }
  return { text, usage };
}

export function chatCommand(env: Record<string, string | undefined>): Command {
  return new Command('chat')
    .description('Chat with a model on a running server, streaming replies in the terminal')
    .option('--url <url>', 'server URL (default $TESSERA_URL or http://127.0.0.1:8080)')
    .option('--key <key>', 'API key (default $TESSERA_API_KEY)')
    .option('--model <name>', 'model to chat with (default: the first one served)')
    .option('--system <prompt>', 'system prompt')
    .option('--max-tokens <n>', 'longest reply, in tokens', (v) => Number.parseInt(v, 10))
    .option('--temperature <t>', 'sampling temperature (0 = greedy)', Number.parseFloat)
    .action(async (opts) => {
      const target = resolveTarget(opts, env);
      const { data } = await callServer<{ data: Array<{ id: string; tessera?: { random_weights?: boolean } }> }>(target, 'GET', '/v1/models');
      const model = opts.model ?? data[0]?.id;
      if (!model) throw new Error('The server serves no model yet.');
      if (data.find((m) => m.id === model)?.tessera?.random_weights) {
        console.log(`Note: ${model} is a test model with random weights; its replies are noise.`);
      }
      console.log(`Chatting with ${model}. /reset clears the conversation, /exit leaves.\n`);
      const messages: Message[] = opts.system ? [{ role: 'system', content: opts.system }] : [];
      const rl = createInterface({ input: process.stdin, output: process.stdout });
      // Ctrl-C stops the reply being streamed; at the prompt it leaves.
      let replying: AbortController | null = null;
      rl.on('SIGINT', () => (replying ? replying.abort() : rl.close()));
      // Lines are read through the async iterator, which buffers input typed (or piped) while a
      // reply is still streaming; readline's question() would drop those lines.
      rl.setPrompt('you> ');
      rl.prompt();
      try {
        for await (const raw of rl) {
          const line = raw.trim();
          if (line === '/exit') break;
          if (line === '/reset') {
            messages.splice(opts.system ? 1 : 0);
            console.log('(conversation cleared)');
            rl.prompt();
            continue;
          }
          if (!line) {
            rl.prompt();
            continue;
          }
          messages.push({ role: 'user', content: line });
          process.stdout.write(`${model}> `);
          const abort = new AbortController();
          replying = abort;
          try {
            const { text, usage } = await streamReply(
              target,
              { model, maxTokens: opts.maxTokens, temperature: opts.temperature },
              messages,
              process.stdout,
              abort.signal,
            );
            messages.push({ role: 'assistant', content: text });
            process.stdout.write(usage ? `\n  [${usage.prompt_tokens} prompt + ${usage.completion_tokens} completion tokens]\n\n` : '\n\n');
          } catch (err) {
            messages.pop();
            console.log(abort.signal.aborted ? '\n(stopped)\n' : `\n(error: ${(err as Error).message})\n`);
          } finally {
            replying = null;
          }
          rl.prompt();
        }
      } finally {
        rl.close();
      }
    });
}
