import { useState } from 'react';
import type { StreamUsage } from '../api/stream';
import type { Message } from '../api/types';
import { count, money } from '../format';
import { Markdown } from './Markdown';

interface Props {
  message: Message;
  streamUsage?: StreamUsage;
  busy: boolean;
  onRegenerate?: () => void;
  onEdit?: (seq: number, text: string) => void;
}

/** One saved message: assistant replies as Markdown with their tokens and cost; user messages editable. */
export function MessageView({ message, streamUsage, busy, onRegenerate, onEdit }: Props) {
  const [editing, setEditing] = useState(false);
  const [text, setText] = useState(message.content);

  if (editing && onEdit) {
    return (
      <article className="message user editing">
        <textarea aria-label="Edit message" value={text} rows={3} onChange={(e) => setText(e.target.value)} />
        <div className="row">
          <button type="button" className="primary" disabled={busy || !text.trim()} onClick={() => (setEditing(false), onEdit(message.seq, text.trim()))}>
            Send
          </button>
          <button type="button" className="link-button" onClick={() => (setEditing(false), setText(message.content))}>
            Cancel
          </button>
        </div>
      </article>
    );
  }
  return (
    <article className={`message ${message.role}`} data-testid={`message-${message.role}`}>
      {message.role === 'assistant' ? <Markdown text={message.content} /> : <p className="plain">{message.content}</p>}
      <footer className="message-meta">
        {message.role === 'assistant' && <UsageLine message={message} streamUsage={streamUsage} />}
        {onEdit && (
          <button type="button" className="link-button" disabled={busy} onClick={() => setEditing(true)}>
            Edit
          </button>
        )}
        {onRegenerate && (
          <button type="button" className="link-button" disabled={busy} onClick={onRegenerate}>
            Regenerate
          </button>
        )}
      </footer>
    </article>
  );
}

function UsageLine({ message, streamUsage }: { message: Message; streamUsage?: StreamUsage }) {
  const usage = message.usage ?? (streamUsage && { ...streamUsage, cost_micros: null });
  if (!usage) return <span className="muted small">{message.model}</span>;
  return (
    <span className="muted small" data-testid="reply-usage">
      {message.model} · {count(usage.prompt_tokens)} in · {count(usage.completion_tokens)} out · cost {money(usage.cost_micros)}
    </span>
  );
}
