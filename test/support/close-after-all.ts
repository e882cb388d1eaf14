// What a test file opens (processes, servers, databases), closed when the file ends, last first.
import { afterAll } from 'vitest';

/** Returns `later(close)`: `close` runs after the file's tests, in the reverse order of registering. */
export function closeAfterAll(): (close: () => unknown) => void {
  const steps: Array<() => unknown> = [];
  afterAll(async () => {
    for (const step of steps.splice(0).reverse()) await step();
  });
  return (close) => {
    steps.push(close);
  };
}
