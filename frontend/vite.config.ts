// Vite build + dev server + vitest. In development the API runs elsewhere (CONFIGURATOR_API,
// default http://localhost:8000) and is proxied, so the app always talks to its own origin
// unless VITE_API_URL names another one.
import { defineConfig } from 'vitest/config';
import react from '@vitejs/plugin-react';
import { precompress } from './scripts/precompress';

const api = process.env.CONFIGURATOR_API ?? 'http://localhost:8000';
const proxy = {
  '/api': { target: api, ws: true, changeOrigin: true },
  '/blobs': { target: api, changeOrigin: true },
};

export default defineConfig({
  plugins: [react(), precompress()],
  server: { proxy },
  preview: { proxy },
  build: {
    chunkSizeWarningLimit: 1200,
  },
  test: {
    include: ['src/**/*.test.ts', 'scripts/**/*.test.ts'],
    environment: 'node',
  },
});
