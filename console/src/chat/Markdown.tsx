// Assistant replies as Markdown: marked → DOMPurify (model output is untrusted HTML) → highlight.js
// on code blocks. Re-rendered on every streamed token; small replies make that cheap enough.
import DOMPurify from 'dompurify';
import { marked } from 'marked';
import { useEffect, useMemo, useRef } from 'react';
import { highlightCode } from './highlight';

export function Markdown({ text }: { text: string }) {
  const html = useMemo(() => DOMPurify.sanitize(marked.parse(text, { async: false, gfm: true, breaks: true })), [text]);
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    ref.current?.querySelectorAll<HTMLElement>('pre code').forEach(highlightCode);
  }, [html]);
  return <div className="markdown" ref={ref} dangerouslySetInnerHTML={{ __html: html }} />;
}
