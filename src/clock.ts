// The wall clock, injectable: code that reads the time takes a Clock, so a test can
// fix "now" instead of mixing fixed dates with the machine's date.

/** Milliseconds since the epoch, like Date.now. */
export type Clock = () => number;

/** The machine's wall clock. */
export const systemClock: Clock = () => Date.now();
