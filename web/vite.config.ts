// Builds the console into dist/ (or PM_CONSOLE_OUT): hashed assets under assets/, which
// pm-control serves with a year-long cache, and index.html, which it serves for every page path.
import { defineConfig } from "vite";

export default defineConfig({
  esbuild: { jsx: "automatic", jsxImportSource: "preact" },
  build: {
    outDir: process.env.PM_CONSOLE_OUT ?? "dist",
    emptyOutDir: true,
    assetsDir: "assets",
    // No inline scripts or styles: the Content-Security-Policy allows only 'self'.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
    target: "es2022",
  },
  server: {
    // `npm run dev` talks to a pm-control on :8081 (PM_CONTROL_URL to change).
    proxy: {
      "/pm.v1.": process.env.PM_CONTROL_URL ?? "http://127.0.0.1:8081",
    },
  },
});
