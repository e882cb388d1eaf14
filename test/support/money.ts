// Money literals for tests: "1060.00" → 106000n fen, failing loudly on a typo in the test itself.
import { parseMoney, type Fen } from '../../src/domain/money.js';

export function fen(text: string): Fen {
  const parsed = parseMoney(text, { allowNegative: true });
  if (!parsed.ok) throw new Error(`not an amount: ${text}`);
  return parsed.fen;
}
