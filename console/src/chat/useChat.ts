// One conversation's state and actions. The server stores the messages (/api/conversations); the
// reply itself is streamed from /v1/chat/completions and saved afterwards with its request id,
// from which the server looks up its tokens and cost in the ledger.
//
// Ordering contract: a reply is only started after the user message is saved, and only one runs
// at a time (`busy`); regenerate and edit truncate on the server before anything is resent.
import { useCallback, useEffect, useRef, useState } from 'react';
import type { Client } from '../api/client';
import { streamChat, type ChatTurn, type StreamUsage } from '../api/stream';
import type { Conversation, ConversationWithMessages, Message, Sampling } from '../api/types';

export interface ChatSettings {
  model: string | null;
  system_prompt: string | null;
  settings: Sampling;
}

export interface Pending {
  text: string;
}

/** How the last reply ended when it did not simply finish. */
export interface Interrupted {
  kind: 'stopped' | 'error';
  message: string;
}

export const EMPTY_SETTINGS: ChatSettings = { model: null, system_prompt: null, settings: {} };

const titleFrom = (text: string): string => {
  const line = text.trim().split('\n')[0] ?? '';
  return line.length > 48 ? `${line.slice(0, 47)}…` : line || 'New chat';
};

const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err));

export function useChat(client: Client, id: string | null, hooks: { onCreated(c: Conversation): void; onChanged(): void }) {
  const [conversation, setConversation] = useState<ConversationWithMessages | null>(null);
  const [draft, setDraft] = useState<ChatSettings>(EMPTY_SETTINGS);
  const [pending, setPending] = useState<Pending | null>(null);
  const [busy, setBusy] = useState(false);
  const [interrupted, setInterrupted] = useState<Interrupted | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  /** Token counts from the stream, for replies whose ledger entry was not there yet when saved. */
  const [streamUsage, setStreamUsage] = useState<Record<string, StreamUsage>>({});
  const abort = useRef<AbortController | null>(null);
  /** The id this hook just created: the route change to it must not reload over the live reply. */
  const justCreated = useRef<string | null>(null);

  useEffect(() => {
    setError(null);
    setInterrupted(null);
    if (id === null) {
      setConversation(null);
      setDraft((d) => ({ ...EMPTY_SETTINGS, model: d.model }));
      return;
    }
    if (justCreated.current === id) {
      justCreated.current = null;
      return;
    }
    abort.current?.abort();
    let live = true;
    setLoading(true);
    client.get<ConversationWithMessages>(`/api/conversations/${encodeURIComponent(id)}`).then(
      (c) => live && (setConversation(c), setLoading(false)),
      (err) => live && (setConversation(null), setError(errorText(err)), setLoading(false)),
    );
    return () => {
      live = false;
    };
  }, [client, id]);

  const settings: ChatSettings = conversation
    ? { model: conversation.model, system_prompt: conversation.system_prompt, settings: conversation.settings ?? {} }
    : draft;

  const saveSettings = useCallback(
    async (next: ChatSettings) => {
      if (!conversation) return setDraft(next);
      setConversation({ ...conversation, ...next });
      try {
        await client.send('PATCH', `/api/conversations/${conversation.id}`, next);
      } catch (err) {
        setError(errorText(err));
      }
    },
    [client, conversation],
  );

  /** Streams a reply to `history` and saves what arrived (all of it, or the part before a stop or break). */
  const reply = async (target: Conversation, history: Message[]) => {
    const model = target.model;
    if (!model) throw new Error('Pick a model first.');
    const controller = new AbortController();
    abort.current = controller;
    setPending({ text: '' });
    const turns: ChatTurn[] = [
      ...(target.system_prompt ? [{ role: 'system' as const, content: target.system_prompt }] : []),
      ...history.map((m) => ({ role: m.role, content: m.content })),
    ];
    try {
      const result = await streamChat(client, { model, messages: turns, sampling: target.settings ?? {} }, controller.signal, (text) => setPending({ text }));
      if (result.requestId && result.usage) setStreamUsage((u) => ({ ...u, [result.requestId!]: result.usage! }));
      if (result.outcome !== 'done') {
        setInterrupted(
          result.outcome === 'stopped'
            ? { kind: 'stopped', message: 'Stopped. The reply so far is kept.' }
            : { kind: 'error', message: `${result.error ?? 'The stream failed.'} What arrived before is kept.` },
        );
      }
      if (result.text || result.outcome === 'done') {
        const saved = await client.send<Message>('POST', `/api/conversations/${target.id}/messages`, {
          role: 'assistant',
          content: result.text,
          model,
          request_id: result.requestId,
        });
        setConversation((c) => (c && c.id === target.id ? { ...c, messages: [...history, saved] } : c));
      }
    } finally {
      abort.current = null;
      setPending(null);
    }
  };

  /** Runs one user action; refusals (budget, bad model, network) show as the page's error. */
  const act = async (work: () => Promise<void>) => {
    if (busy) return;
    setBusy(true);
    setError(null);
    setInterrupted(null);
    try {
      await work();
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
      hooks.onChanged();
    }
  };

  const send = (text: string) =>
    act(async () => {
      let target: ConversationWithMessages | null = conversation;
      if (!target) {
        if (!draft.model) throw new Error('Pick a model first.');
        const created = await client.send<Conversation>('POST', '/api/conversations', { title: titleFrom(text), ...draft });
        target = { ...created, messages: [] };
        justCreated.current = created.id;
        setConversation(target);
        hooks.onCreated(created);
      }
      const user = await client.send<Message>('POST', `/api/conversations/${target.id}/messages`, { role: 'user', content: text });
      const history = [...target.messages, user];
      setConversation({ ...target, messages: history });
      await reply(target, history);
    });

  const regenerate = () =>
    act(async () => {
      if (!conversation) return;
      const lastUser = [...conversation.messages].reverse().find((m) => m.role === 'user');
      if (!lastUser) return;
      await client.send('POST', `/api/conversations/${conversation.id}/truncate`, { after_seq: lastUser.seq });
      const history = conversation.messages.filter((m) => m.seq <= lastUser.seq);
      setConversation({ ...conversation, messages: history });
      await reply(conversation, history);
    });

  const editAndResend = (seq: number, text: string) =>
    act(async () => {
      if (!conversation) return;
      await client.send('POST', `/api/conversations/${conversation.id}/truncate`, { after_seq: seq - 1 });
      const kept = conversation.messages.filter((m) => m.seq < seq);
      setConversation({ ...conversation, messages: kept });
      const user = await client.send<Message>('POST', `/api/conversations/${conversation.id}/messages`, { role: 'user', content: text });
      const history = [...kept, user];
      setConversation({ ...conversation, messages: history });
      await reply(conversation, history);
    });

  const stop = () => abort.current?.abort();

  return { conversation, settings, saveSettings, pending, busy, loading, interrupted, error, streamUsage, send, regenerate, editAndResend, stop };
}
