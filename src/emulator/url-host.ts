import type { AddressInfo } from 'node:net';

/** The host part of a URL that reaches a listening address. */
export function urlHost(address: AddressInfo): string {
  // A wildcard bind is reachable on loopback; a URL naming 0.0.0.0 is not portable.
  if (address.address === '0.0.0.0') return '127.0.0.1';
  if (address.address === '::') return '[::1]';
  return address.family === 'IPv6' ? `[${address.address}]` : address.address;
}
