/** Parses addresses and CIDRs that a test relies on being valid. */
import { parseCidr, parseIp, type Cidr, type Ip } from '../../src/net.js';

export function ip(text: string): Ip {
  const parsed = parseIp(text);
  if (!parsed) throw new Error(`fixture ${text} should parse`);
  return parsed;
}

export function cidr(text: string): Cidr {
  const parsed = parseCidr(text);
  if (!parsed) throw new Error(`fixture ${text} should parse`);
  return parsed;
}
