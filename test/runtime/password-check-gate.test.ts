// The bound on password checks in flight: past the total, "busy" (503); past one name's share,
// "name_busy" (429); a check that ends gives its place back once, however often it is released.
import { describe, expect, it } from 'vitest';
import { PasswordCheckGate } from '../../src/runtime/password-check-gate.js';

describe('password check gate', () => {
  it('admits at most the bound in flight, and one name at most its share', () => {
    const gate = new PasswordCheckGate({ total: 3, perName: 2 });
    const a1 = gate.enter('a');
    const a2 = gate.enter('a');
    expect([a1.ok, a2.ok]).toEqual([true, true]);
    expect(gate.enter('a')).toEqual({ ok: false, reason: 'name_busy' });
    const b1 = gate.enter('b');
    expect(b1.ok).toBe(true);
    expect(gate.enter('c')).toEqual({ ok: false, reason: 'busy' });
    expect(gate.inFlight).toBe(3);
    if (a1.ok) {
      a1.release();
      a1.release();
    }
    expect(gate.inFlight).toBe(2);
    expect(gate.enter('c').ok).toBe(true);
    expect(gate.enter('d')).toEqual({ ok: false, reason: 'busy' });
  });

  it('keeps one place for addresses with no recent failure', () => {
    const gate = new PasswordCheckGate({ total: 2, perName: 2 });
    expect(gate.enter('flood-1', true).ok).toBe(true);
    expect(gate.enter('flood-2', true)).toEqual({ ok: false, reason: 'busy' });
    expect(gate.enter('real', false).ok).toBe(true);
    expect(gate.enter('real-2', false)).toEqual({ ok: false, reason: 'busy' });
  });

  it('never lets more than the bound through when many ask at once', async () => {
    const gate = new PasswordCheckGate({ total: 2, perName: 1 });
    let inFlight = 0;
    let most = 0;
    const check = async (name: string) => {
      const pass = gate.enter(name);
      if (!pass.ok) return pass.reason;
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 5));
      inFlight--;
      pass.release();
      return 'checked';
    };
    const outcomes = await Promise.all(Array.from({ length: 200 }, (_, n) => check(`user-${Math.floor(n / 2) % 7}`)));
    expect(most).toBeLessThanOrEqual(2);
    expect(outcomes.filter((outcome) => outcome === 'checked').length).toBeGreaterThanOrEqual(2);
    expect(new Set(outcomes)).toEqual(new Set(['checked', 'busy', 'name_busy']));
  });
});
