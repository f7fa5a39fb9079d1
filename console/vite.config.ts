// Built by the root `npm run build` (`vite build console`) into console/dist, which the server
// serves at `/` (src/api/console.ts). For development, `npx vite console` proxies the
// API to a running server at TESSERA_URL (default http://127.0.0.1:8080).
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

const target = process.env.TESSERA_URL ?? 'http://127.0.0.1:8080';

export default defineConfig({
  plugins: [react()],
  base: '/',
  build: { outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 800 },
  server: { proxy: { '/v1': target, '/api': target } },
});
