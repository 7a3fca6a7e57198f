/**
 * IP address and CIDR handling with Go's `net` package semantics, because Calico's key paths and
 * resource names were produced by Go (`net.IP.String()` gives the compressed IPv6 form).
 * Pure functions, no dependencies.
 */

export type IpFamily = 4 | 6;

/** A parsed address: family plus its bytes (4 or 16). */
export interface Ip {
  readonly family: IpFamily;
  readonly bytes: readonly number[];
}

/** A parsed CIDR: the address as written plus the prefix length. */
export interface Cidr {
  readonly ip: Ip;
  readonly prefix: number;
}

/**
 * Four decimal octets of 0-255 separated by dots, one to three digits each and no leading zero
 * (Go rejects "010" since 1.17; v2.4-era data never has them). Read a character at a time: every
 * address of a large keyspace comes through here several times.
 */
function parseIPv4Bytes(text: string): number[] | undefined {
  const out: number[] = [];
  let n = 0;
  let digits = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = i === text.length ? 46 : text.charCodeAt(i);
    if (c === 46) {
      // A dot (or the end): the octet just read must be there, and at most four of them.
      if (digits === 0 || out.length === 4) return undefined;
      out.push(n);
      n = 0;
      digits = 0;
      continue;
    }
    if (c < 48 || c > 57 || digits === 3 || (digits === 1 && n === 0)) return undefined;
    n = n * 10 + (c - 48);
    if (n > 255) return undefined;
    digits++;
  }
  return out.length === 4 ? out : undefined;
}

function parseIPv6Bytes(text: string): number[] | undefined {
  if (text.length === 0 || !/^[0-9a-fA-F:.]+$/.test(text)) return undefined;
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  // An embedded IPv4 address may only end the whole address.
  const groupsOf = (part: string, isLast: boolean): number[] | undefined => {
    if (part === '') return [];
    const out: number[] = [];
    const pieces = part.split(':');
    for (let i = 0; i < pieces.length; i++) {
      const piece = pieces[i] ?? '';
      if (isLast && i === pieces.length - 1 && piece.includes('.')) {
        const v4 = parseIPv4Bytes(piece);
        if (!v4) return undefined;
        out.push(((v4[0] ?? 0) << 8) | (v4[1] ?? 0), ((v4[2] ?? 0) << 8) | (v4[3] ?? 0));
        continue;
      }
      if (!/^[0-9a-fA-F]{1,4}$/.test(piece)) return undefined;
      out.push(parseInt(piece, 16));
    }
    return out;
  };
  const head = groupsOf(halves[0] ?? '', halves.length === 1);
  const tail = halves.length === 2 ? groupsOf(halves[1] ?? '', true) : [];
  if (!head || !tail) return undefined;
  let groups: number[];
  if (halves.length === 2) {
    const missing = 8 - head.length - tail.length;
    if (missing < 1) return undefined;
    groups = [...head, ...new Array<number>(missing).fill(0), ...tail];
  } else {
    groups = head;
  }
  if (groups.length !== 8) return undefined;
  return groups.flatMap((g) => [g >> 8, g & 0xff]);
}

/** Parses an IPv4 or IPv6 address; undefined when it is not one. */
export function parseIp(text: string): Ip | undefined {
  if (text.includes(':')) {
    const bytes = parseIPv6Bytes(text);
    return bytes ? { family: 6, bytes } : undefined;
  }
  const bytes = parseIPv4Bytes(text);
  return bytes ? { family: 4, bytes } : undefined;
}

/** Parses `addr/len`; undefined when malformed. The address is kept as written (not masked). */
export function parseCidr(text: string): Cidr | undefined {
  const slash = text.indexOf('/');
  if (slash < 0) return undefined;
  const ip = parseIp(text.slice(0, slash));
  const lenText = text.slice(slash + 1);
  if (!ip || !/^\d{1,3}$/.test(lenText)) return undefined;
  const prefix = Number(lenText);
  if (prefix > (ip.family === 4 ? 32 : 128)) return undefined;
  return { ip, prefix };
}

function groupsOf(ip: Ip): number[] {
  const g: number[] = [];
  for (let i = 0; i < 16; i += 2) g.push(((ip.bytes[i] ?? 0) << 8) | (ip.bytes[i + 1] ?? 0));
  return g;
}

/** Go's `net.IP.String()`: dotted IPv4, or RFC 5952 compressed lowercase IPv6. */
export function formatIp(ip: Ip): string {
  if (ip.family === 4) return ip.bytes.join('.');
  // Go prints IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) in dotted form.
  if (ip.bytes.slice(0, 10).every((b) => b === 0) && ip.bytes[10] === 0xff && ip.bytes[11] === 0xff) return ip.bytes.slice(12).join('.');
  const g = groupsOf(ip);
  // Longest run of two or more zero groups, leftmost on a tie, becomes "::".
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (n: number | undefined) => (n ?? 0).toString(16);
  if (bestStart < 0) return g.map(hex).join(':');
  const left = g.slice(0, bestStart).map(hex).join(':');
  const right = g.slice(bestStart + bestLen).map(hex).join(':');
  return `${left}::${right}`;
}

/** IPv6 fully expanded into 8 groups of 4 lowercase hex digits joined by `:`. */
export function expandIPv6(ip: Ip): string {
  return groupsOf(ip)
    .map((n) => n.toString(16).padStart(4, '0'))
    .join(':');
}

/** Zeroes the host bits of a CIDR. */
export function maskCidr(cidr: Cidr): Cidr {
  const bytes = cidr.ip.bytes.map((b, i) => {
    const bitsBefore = i * 8;
    if (cidr.prefix >= bitsBefore + 8) return b;
    if (cidr.prefix <= bitsBefore) return 0;
    const keep = cidr.prefix - bitsBefore;
    return b & ((0xff << (8 - keep)) & 0xff);
  });
  return { ip: { family: cidr.ip.family, bytes }, prefix: cidr.prefix };
}

export function formatCidr(cidr: Cidr): string {
  return `${formatIp(cidr.ip)}/${cidr.prefix}`;
}

/** A CIDR as Calico writes it in a key segment (`10.0.0.0-8`, `fd80::-64`): the last `-` is the `/`. */
export function parseCidrSegment(segment: string): Cidr | undefined {
  const cut = segment.lastIndexOf('-');
  return cut > 0 ? parseCidr(`${segment.slice(0, cut)}/${segment.slice(cut + 1)}`) : undefined;
}

/** The key segment of a CIDR: `10.0.1.0/26` → `10.0.1.0-26`. */
export function cidrSegment(cidr: Cidr): string {
  return formatCidr(cidr).replace('/', '-');
}

export function isMasked(cidr: Cidr): boolean {
  return formatCidr(maskCidr(cidr)) === formatCidr(cidr);
}

export function sameIp(a: Ip, b: Ip): boolean {
  return a.family === b.family && a.bytes.every((v, i) => v === b.bytes[i]);
}

/** True when two CIDRs share addresses. */
export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  if (a.ip.family !== b.ip.family) return false;
  const prefix = Math.min(a.prefix, b.prefix);
  return formatCidr(maskCidr({ ip: a.ip, prefix })) === formatCidr(maskCidr({ ip: b.ip, prefix }));
}
