import { defineConfig } from "vitest/config";
import preact from "@preact/preset-vite";

// The FastAPI app serves dist/ at "/"; during `npm run dev` the API is proxied to a local uvicorn.
export default defineConfig({
  plugins: [preact()],
  build: { outDir: "dist", emptyOutDir: true, sourcemap: true },
  server: { proxy: { "/api": "http://127.0.0.1:8000" } },
  test: { include: ["tests/**/*.test.ts"], environment: "node" },
});
