import type { Client } from '../api/client';

/** Downloads an authenticated CSV (a plain link cannot carry the Authorization header). */
export async function downloadCsv(client: Client, path: string, fallbackName: string): Promise<void> {
  const response = await client.raw(path, { headers: { accept: 'text/csv' } });
  const disposition = response.headers.get('content-disposition') ?? '';
  const name = /filename="([^"]+)"/.exec(disposition)?.[1] ?? fallbackName;
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
