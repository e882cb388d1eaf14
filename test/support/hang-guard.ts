// How long anything in a test may take before it is called hung. It is a guard, not a budget: a
// test waits for events and conditions, and on a machine whose cores are busy with other work it
// waits longer — its verdict must not change, so nothing here is sized for an idle machine.
export const HANG_GUARD_MS = 180_000;
