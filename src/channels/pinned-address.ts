/**
 * Connecting to an address found earlier instead of resolving the host again (as curl --resolve):
 * `fapiao doctor` checks one address layer by layer and its later calls must reach that one.
 */
export interface PinnedAddress {
  readonly address: string;
  readonly family: 4 | 6;
}

/** A dns.lookup-shaped answer with the pinned address, for undici's `connect.lookup`. */
export function answerPinned(pinned: PinnedAddress, options: { all?: boolean | undefined }, callback: (...args: unknown[]) => void): void {
  if (options.all) callback(null, [{ address: pinned.address, family: pinned.family }]);
  else callback(null, pinned.address, pinned.family);
}
