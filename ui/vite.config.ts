import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

// The bundle is embedded into the Tauri binary; no dev server is involved.
export default defineConfig({
  plugins: [svelte()],
  clearScreen: false,
  build: {
    target: 'safari15',
    outDir: 'dist',
    emptyOutDir: true,
    // No inline assets: the CSP allows 'self' only.
    assetsInlineLimit: 0,
  },
});
