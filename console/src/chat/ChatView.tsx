import { useEffect, useRef, useState } from 'react';
import type { Conversation, Model } from '../api/types';
import { useSession } from '../auth/session';
import { Notice } from '../ui/Notice';
import { Composer } from './Composer';
import { Markdown } from './Markdown';
import { MessageView } from './MessageView';
import { ModelPicker, SettingsPanel } from './SettingsPanel';
import { useChat } from './useChat';

interface Props {
  conversationId: string | null;
  /** The title as the list knows it (renamed there); falls back to the loaded conversation's. */
  title: string | null;
  models: Model[];
  onOpenList(): void;
  onCreated(c: Conversation): void;
  onChanged(): void;
}

/** One conversation: header with model and settings, the messages, the live reply, the composer. */
export function ChatView({ conversationId, title, models, onOpenList, onCreated, onChanged }: Props) {
  const { client } = useSession();
  const chat = useChat(client, conversationId, { onCreated, onChanged });
  const [showSettings, setShowSettings] = useState(false);
  const end = useRef<HTMLDivElement>(null);
  const { settings, saveSettings } = chat;

  // A new chat starts on the first model that is not a random-weight test model.
  const preferred = models.find((m) => !m.tessera?.random_weights)?.id ?? models[0]?.id ?? null;
  useEffect(() => {
    if (!chat.conversation && !settings.model && preferred) void saveSettings({ ...settings, model: preferred });
  }, [chat.conversation, settings, preferred, saveSettings]);

  useEffect(() => {
    end.current?.scrollIntoView({ block: 'end' });
  }, [chat.conversation?.messages.length, chat.pending?.text]);

  const selected = models.find((m) => m.id === settings.model);
  const messages = chat.conversation?.messages ?? [];
  const lastAssistant = messages.at(-1)?.role === 'assistant' ? messages.at(-1) : undefined;

  return (
    <div className="chat-view">
      <header className="chat-header">
        <button type="button" className="icon list-toggle" aria-label="Conversations" onClick={onOpenList}>
          ☰
        </button>
        <h2 className="chat-title" data-testid="chat-title">{title ?? chat.conversation?.title ?? 'New chat'}</h2>
        <ModelPicker models={models} value={settings.model} onChange={(model) => void saveSettings({ ...settings, model })} />
        <button type="button" aria-expanded={showSettings} onClick={() => setShowSettings(!showSettings)}>
          Settings
        </button>
      </header>
      {selected?.tessera?.random_weights && (
        <Notice testId="random-weights">{selected.tessera.note ?? 'This test model has random weights: its output is noise.'}</Notice>
      )}
      {showSettings && <SettingsPanel settings={settings} onSave={(next) => void saveSettings(next)} />}
      <div className="messages" aria-live="polite">
        {chat.loading && <p className="muted">Loading…</p>}
        {!chat.loading && messages.length === 0 && !chat.pending && <p className="muted center">Ask anything. Replies stream in as they are written.</p>}
        {messages.map((m) => (
          <MessageView
            key={m.id}
            message={m}
            busy={chat.busy}
            streamUsage={m.request_id ? chat.streamUsage[m.request_id] : undefined}
            onEdit={m.role === 'user' ? chat.editAndResend : undefined}
            onRegenerate={m === lastAssistant ? chat.regenerate : undefined}
          />
        ))}
        {chat.pending && (
          <article className="message assistant streaming" data-testid="message-streaming">
            {chat.pending.text ? <Markdown text={chat.pending.text} /> : <p className="muted">Thinking…</p>}
          </article>
        )}
        {chat.interrupted && (
          <Notice kind={chat.interrupted.kind === 'error' ? 'error' : 'info'} testId={`reply-${chat.interrupted.kind}`}>
            {chat.interrupted.message}
          </Notice>
        )}
        {chat.error && <Notice kind="error" testId="chat-error">{chat.error}</Notice>}
        <div ref={end} />
      </div>
      <Composer busy={chat.busy} streaming={chat.pending !== null} onSend={(text) => void chat.send(text)} onStop={chat.stop} />
    </div>
  );
}
