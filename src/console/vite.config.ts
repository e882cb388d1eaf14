// Builds the console (src/console) into dist/console at install time: one small bundle served by
// the gateway at /console, nothing fetched from elsewhere at run time.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/console/',
  publicDir: false,
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: fileURLToPath(new URL('../../dist/console', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    // One script and one stylesheet: the console is small, and a strict CSP allows only 'self'.
    modulePreload: false,
    assetsInlineLimit: 0,
  },
  logLevel: 'warn',
});
