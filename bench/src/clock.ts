/**
 * Epoch milliseconds with fractions. The agent stamps `emitted_at` with it and
 * the client reads it on arrival: both processes read the same system clock.
 */
export const epochNow = (): number => performance.timeOrigin + performance.now();
