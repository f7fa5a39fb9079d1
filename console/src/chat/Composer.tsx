import { useState, type FormEvent, type KeyboardEvent } from 'react';

/** The message box: Enter sends, Shift+Enter is a new line; Stop replaces Send while a reply streams. */
export function Composer({ busy, streaming, onSend, onStop }: { busy: boolean; streaming: boolean; onSend(text: string): void; onStop(): void }) {
  const [text, setText] = useState('');
  const submit = (event?: FormEvent) => {
    event?.preventDefault();
    if (busy || !text.trim()) return;
    onSend(text.trim());
    setText('');
  };
  const onKey = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.nativeEvent.isComposing) submit(event);
  };
  return (
    <form className="composer" onSubmit={submit}>
      <textarea aria-label="Message" placeholder="Send a message…" rows={2} value={text} onChange={(e) => setText(e.target.value)} onKeyDown={onKey} />
      {streaming ? (
        <button type="button" className="danger" onClick={onStop}>
          Stop
        </button>
      ) : (
        <button type="submit" className="primary" disabled={busy || !text.trim()}>
          Send
        </button>
      )}
    </form>
  );
}
