import { defineConfig } from "vite";

// The UI is embedded in the plinth binary (src/server/ui_assets.cmake), served from the same
// origin as the REST API: no CDN, relative asset URLs, one bundle.
export default defineConfig({
  root: __dirname,
  base: "./",
  build: {
    outDir: process.env.PLINTH_UI_OUT ?? "dist",
    emptyOutDir: true,
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    chunkSizeWarningLimit: 400,
  },
  esbuild: { jsx: "automatic", jsxImportSource: "preact" },
});
