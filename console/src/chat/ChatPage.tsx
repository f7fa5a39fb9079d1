// Chat: the conversation list beside one conversation. On a phone the list is a drawer.
import { useCallback, useEffect, useState } from 'react';
import type { Conversation, List, Model } from '../api/types';
import { useSession } from '../auth/session';
import { navigate } from '../router';
import { Notice } from '../ui/Notice';
import { useAsync } from '../ui/useAsync';
import { ChatView } from './ChatView';
import { Sidebar } from './Sidebar';

export function ChatPage({ conversationId }: { conversationId: string | null }) {
  const { client } = useSession();
  const list = useAsync(() => client.get<List<Conversation>>('/api/conversations').then((r) => r.data), [client]);
  const models = useAsync(() => client.get<List<Model>>('/v1/models').then((r) => r.data), [client]);
  const [drawer, setDrawer] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => setDrawer(false), [conversationId]);

  const rename = async (id: string, title: string) => {
    setError(null);
    await client.send('PATCH', `/api/conversations/${id}`, { title }).catch((err: Error) => setError(err.message));
    list.reload();
  };
  const remove = async (id: string) => {
    setError(null);
    await client.send('DELETE', `/api/conversations/${id}`).catch((err: Error) => setError(err.message));
    if (id === conversationId) navigate('/chat');
    list.reload();
  };
  const onCreated = useCallback((c: Conversation) => navigate(`/chat/${c.id}`), []);

  return (
    <div className={drawer ? 'chat-page drawer-open' : 'chat-page'}>
      <Sidebar conversations={list.data ?? []} activeId={conversationId} onNew={() => (navigate('/chat'), setDrawer(false))} onPick={() => setDrawer(false)} onRename={rename} onDelete={remove} />
      <div className="drawer-scrim" onClick={() => setDrawer(false)} />
      <section className="chat-main">
        {(error || list.error || models.error) && <Notice kind="error">{error ?? list.error ?? models.error}</Notice>}
        <ChatView
          conversationId={conversationId}
          title={list.data?.find((c) => c.id === conversationId)?.title ?? null}
          models={models.data ?? []}
          onOpenList={() => setDrawer(true)}
          onCreated={onCreated}
          onChanged={list.reload}
        />
      </section>
    </div>
  );
}
