// Lint: typescript-eslint's recommended rules everywhere; `any` is an error in src/ (strict boundaries).
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["build/", "node_modules/", "hosts/xs/out/", "hosts/node/native/build/", "**/*.d.ts"] },
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" }],
    },
  },
  { files: ["src/**/*.ts"], rules: { "@typescript-eslint/no-explicit-any": "error", "no-console": "error" } },
  { files: ["test/**/*.ts", "bench/**/*.ts", "hosts/**/*.ts", "scripts/**/*.mjs"], rules: { "@typescript-eslint/no-explicit-any": "off" } },
);
