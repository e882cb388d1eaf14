/**
 * A bound on password checks in flight. scrypt runs on libuv's four shared threads, the same ones
 * that read files and resolve names: a flood of sign-ins must not queue the console's pages and
 * the API behind it, so checks past the bound are refused at once (the caller answers 503), and
 * one name gets at most `perName` checks at a time (more are answered 429) so that a batch of
 * guesses at one user cannot fill the bound alone. One place is kept for trusted addresses (seen
 * before, no failure counted now: where people sign in from): a flood from new or failing
 * addresses fills the rest, and a real person's sign-in still finds a place.
 */

export type GatePass = { readonly ok: true; release(): void } | { readonly ok: false; readonly reason: 'busy' | 'name_busy' };

export class PasswordCheckGate {
  #total = 0;
  readonly #byName = new Map<string, number>();

  constructor(private readonly limits: { readonly total: number; readonly perName: number }) {}

  get inFlight(): number {
    return this.#total;
  }

  /** `suspect`: the attempt comes from a new address, or one with failures counted. */
  enter(name: string, suspect = false): GatePass {
    const limit = suspect && this.limits.total > 1 ? this.limits.total - 1 : this.limits.total;
    if (this.#total >= limit) return { ok: false, reason: 'busy' };
    const mine = this.#byName.get(name) ?? 0;
    if (mine >= this.limits.perName) return { ok: false, reason: 'name_busy' };
    this.#total++;
    this.#byName.set(name, mine + 1);
    let released = false;
    return {
      ok: true,
      release: () => {
        if (released) return;
        released = true;
        this.#total--;
        const left = (this.#byName.get(name) ?? 1) - 1;
        if (left === 0) this.#byName.delete(name);
        else this.#byName.set(name, left);
      },
    };
  }
}
