// Lint rules: the recommended TypeScript set with type information, plus the few rules that
// guard our invariants (no floating promises, no stray console in library code).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

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
    files: ['src/domain/**/*.ts'],
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
  {
    files: ['eslint.config.js', 'bin/*'],
    ...tseslint.configs.disableTypeChecked,
  },
);
