import { useState, type FormEvent } from 'react';
import type { Conversation } from '../api/types';
import { Link } from '../ui/Link';

interface Props {
  conversations: Conversation[];
  activeId: string | null;
  onNew(): void;
  /** Called when a conversation is picked (the phone drawer closes even when it is the open one). */
  onPick(): void;
  onRename(id: string, title: string): Promise<void>;
  onDelete(id: string): Promise<void>;
}

/** The conversation list: new, open, rename (inline), delete (asks once more inline). */
export function Sidebar({ conversations, activeId, onNew, onPick, onRename, onDelete }: Props) {
  return (
    <aside className="sidebar" aria-label="Conversations">
      <button type="button" className="primary wide" onClick={onNew}>
        + New chat
      </button>
      <ul className="conversation-list">
        {conversations.map((c) => (
          <ConversationItem key={c.id} conversation={c} active={c.id === activeId} onPick={onPick} onRename={onRename} onDelete={onDelete} />
        ))}
      </ul>
      {conversations.length === 0 && <p className="muted small">No conversations yet.</p>}
    </aside>
  );
}

function ConversationItem({ conversation, active, onPick, onRename, onDelete }: { conversation: Conversation; active: boolean } & Pick<Props, 'onPick' | 'onRename' | 'onDelete'>) {
  const [mode, setMode] = useState<'view' | 'rename' | 'delete'>('view');
  const [title, setTitle] = useState(conversation.title);

  const rename = async (event: FormEvent) => {
    event.preventDefault();
    const trimmed = title.trim();
    if (trimmed && trimmed !== conversation.title) await onRename(conversation.id, trimmed);
    setMode('view');
  };

  if (mode === 'rename') {
    return (
      <li className="conversation editing">
        <form onSubmit={rename} className="row">
          <input aria-label="New title" value={title} maxLength={200} autoFocus onChange={(e) => setTitle(e.target.value)} />
          <button type="submit">Save</button>
          <button type="button" className="link-button" onClick={() => setMode('view')}>
            Cancel
          </button>
        </form>
      </li>
    );
  }
  return (
    <li className={active ? 'conversation active' : 'conversation'}>
      <Link href={`/chat/${conversation.id}`} className="conversation-title" title={conversation.title} onClick={onPick}>
        {conversation.title || 'Untitled'}
      </Link>
      {mode === 'delete' ? (
        <span className="row small">
          Delete?
          <button type="button" className="danger" onClick={() => onDelete(conversation.id)}>
            Yes
          </button>
          <button type="button" className="link-button" onClick={() => setMode('view')}>
            No
          </button>
        </span>
      ) : (
        <span className="row item-actions">
          <button type="button" className="icon" aria-label={`Rename ${conversation.title}`} title="Rename" onClick={() => (setTitle(conversation.title), setMode('rename'))}>
            ✎
          </button>
          <button type="button" className="icon" aria-label={`Delete ${conversation.title}`} title="Delete" onClick={() => setMode('delete')}>
            ×
          </button>
        </span>
      )}
    </li>
  );
}
