// Lint rules: the recommended TypeScript set with type information, plus the few rules that
// guard our invariants (no floating promises, no stray console in library code).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// The layers, bottom up (docs/architecture.md): a folder imports only the folders of the levels
// before it. Use cases of different subjects sit side by side on one level (invoicing, access, operating).
// src/simulator imports nothing of ours but src/domain, so that it can be lifted out whole.
const LEVELS = [['domain'], ['runtime'], ['store'], ['channels', 'outbound'], ['documents'], ['invoicing', 'access', 'operating'], ['dispatch'], ['doctor'], ['api'], ['cli']];
const LAYERS = LEVELS.flat();
// Every SQL statement lives in src/store: elsewhere Kysely is only a type.
const sqlOnlyInStore = { name: 'kysely', allowTypeImports: true, message: 'SQL lives in src/store; import what you need from there.' };
const layerRules = LEVELS.slice(1, -1).flatMap((level, index) =>
  level.map((layer) => {
    const above = [...LEVELS.slice(index + 2).flat(), 'simulator'];
    const below = LEVELS.slice(0, index + 1).flat();
    return {
      files: [`src/${layer}/**/*.{ts,tsx}`],
      rules: {
        'no-restricted-imports': [
          'error',
          {
            ...(layer === 'store' ? {} : { paths: [sqlOnlyInStore] }),
            patterns: [
              {
                group: [...above.map((name) => `**/${name}/*`), '**/gateway.js', '**/cli.js'],
                message: `src/${layer} imports only the layers below it: ${below.join(', ')} (docs/architecture.md).`,
              },
            ],
          },
        ],
      },
    };
  }),
);

export default tseslint.config(
  { ignores: ['dist/', 'dist-bench/', 'node_modules/', 'data/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: { allowDefaultProject: ['eslint.config.js', 'bin/*'] } },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', ignoreRestSiblings: true }],
      eqeqeq: ['error', 'always'],
      // Fastify plugins and handlers are async by contract, with or without an await inside.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    files: ['src/domain/**/*.{ts,tsx}'],
    rules: {
      // src/domain is pure: no I/O, no clock, no randomness (design.md, "Shape of the code").
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['node:*', 'fs', 'fs/*', 'path', 'http', 'https', 'net', 'dns', 'tls', 'os', 'child_process', 'crypto'], message: 'src/domain is pure: no I/O.' },
            { group: ['../*'], message: 'src/domain imports only src/domain: the other layers depend on it, not the reverse.' },
          ],
        },
      ],
      'no-console': 'error',
    },
  },
  ...layerRules,
  {
    files: ['src/simulator/**/*.{ts,tsx}'],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: [sqlOnlyInStore], patterns: [{ group: [...LAYERS.slice(1).map((name) => `**/${name}/*`), '**/gateway.js', '**/cli.js'], message: 'src/simulator imports nothing of ours but src/domain: it stands for an upstream and can be lifted out.' }] },
      ],
    },
  },
  // The console runs in the browser and talks to the gateway over HTTP only: of the server it
  // imports nothing but the published schemas' types (src/api/schemas), so its types cannot drift
  // from the API's and no server code is bundled — and the pure rules of src/domain that decide
  // what an invoice face prints (src/domain/invoice-face.ts), so the console, the PDF and the XML
  // print the same words. src/domain has no I/O by its own rule above.
  ...[
    { files: ['src/console/*.{ts,tsx}'], up: '\\.\\./' },
    { files: ['src/console/*/**/*.{ts,tsx}'], up: '\\.\\./\\.\\./' },
  ].map(({ files, up }) => ({
    files,
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: `^${up}(?!api/schemas/|domain/invoice-face\\.js$)`, message: 'src/console imports nothing of the server: it talks to it over HTTP (of src/domain, only invoice-face.js).' },
            { regex: `^${up}api/schemas/`, allowTypeImports: true, message: 'src/console takes only the types of the published schemas (import type).' },
          ],
        },
      ],
    },
  })),
  {
    // process.env is read in one place, so every setting is named, checked and documented there.
    files: ['src/**/*.{ts,tsx}'],
    ignores: ['src/runtime/env.ts'],
    rules: {
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'Read the environment through src/runtime/env.ts.' }],
    },
  },
  {
    files: ['eslint.config.js', 'bin/*'],
    ...tseslint.configs.disableTypeChecked,
  },
);
