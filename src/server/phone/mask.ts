/**
 * A phone number fit for logs: `138****6666`. Enough to tell two numbers apart while debugging,
 * not enough to call anyone. Short numbers keep only their last two digits.
 */
export function maskPhone(number: string): string {
  if (number.length >= 8) return `${number.slice(0, 3)}${'*'.repeat(number.length - 7)}${number.slice(-4)}`;
  return `${'*'.repeat(Math.max(number.length - 2, 0))}${number.slice(-2)}`;
}
