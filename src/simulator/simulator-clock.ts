/** The time the simulator goes by: the system's, or a test's (a simulated month in minutes). */
export interface SimulatorClock {
  now(): number;
}

export const SYSTEM_CLOCK: SimulatorClock = { now: () => Date.now() };
