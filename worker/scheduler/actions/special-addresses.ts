/**
 * IP literals a deployed webhook may not target: every block of the IANA IPv4 and IPv6 Special-Purpose Address
 * Registries (RFC 6890 and its updates) that is not globally reachable, multicast, the IPv4-mapped and deprecated
 * IPv4-compatible forms; NAT64 (64:ff9b::/96) and 6to4 (2002::/16) addresses are judged by the IPv4 address they
 * lead to.
 * https://www.iana.org/assignments/iana-ipv4-special-registry and .../iana-ipv6-special-registry
 */

type Block = readonly [prefix: readonly number[], bits: number];

/** IPv4 blocks, as address bytes and prefix length. */
const IPV4_BLOCKS: readonly Block[] = [
  [[0, 0, 0, 0], 8], // "this network"
  [[10, 0, 0, 0], 8], // private
  [[100, 64, 0, 0], 10], // shared address space (CGN)
  [[127, 0, 0, 0], 8], // loopback
  [[169, 254, 0, 0], 16], // link-local (cloud metadata services)
  [[172, 16, 0, 0], 12], // private
  [[192, 0, 0, 0], 24], // IETF protocol assignments
  [[192, 0, 2, 0], 24], // documentation (TEST-NET-1)
  [[192, 88, 99, 0], 24], // deprecated 6to4 relay anycast
  [[192, 168, 0, 0], 16], // private
  [[198, 18, 0, 0], 15], // benchmarking
  [[198, 51, 100, 0], 24], // documentation (TEST-NET-2)
  [[203, 0, 113, 0], 24], // documentation (TEST-NET-3)
  [[224, 0, 0, 0], 4], // multicast
  [[240, 0, 0, 0], 4], // reserved, and the limited broadcast 255.255.255.255
];

/** IPv6 blocks, as the first bytes of the address and prefix length. */
const IPV6_BLOCKS: readonly Block[] = [
  [[], 96], // ::/96: unspecified ::, loopback ::1 and the deprecated IPv4-compatible ::a.b.c.d
  [[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff], 96], // ::ffff:0:0/96 IPv4-mapped
  [[0x01, 0x00, 0, 0, 0, 0, 0, 0], 64], // 100::/64 discard-only
  [[0x00, 0x64, 0xff, 0x9b, 0x00, 0x01], 48], // 64:ff9b:1::/48 local-use IPv4/IPv6 translation
  [[0x20, 0x01, 0x00], 23], // 2001::/23 IETF protocol assignments (Teredo, ORCHID, benchmarking, ...)
  [[0x20, 0x01, 0x0d, 0xb8], 32], // 2001:db8::/32 documentation
  [[0x3f, 0xff, 0x00], 20], // 3fff::/20 documentation
  [[0x5f, 0x00], 16], // 5f00::/16 segment routing (SRv6) SIDs
  [[0xfc], 7], // fc00::/7 unique local
  [[0xfe, 0x80], 10], // fe80::/10 link-local
  [[0xfe, 0xc0], 10], // fec0::/10 site-local (deprecated, still routed inside some networks)
  [[0xff], 8], // ff00::/8 multicast
];

function inBlock(bytes: readonly number[], [prefix, bits]: Block): boolean {
  for (let bit = 0; bit < bits; bit++) {
    const byte = bit >> 3;
    const mask = 0x80 >> (bit & 7);
    if (((bytes[byte] ?? 0) & mask) !== ((prefix[byte] ?? 0) & mask)) return false;
  }
  return true;
}

function parseIpv4(text: string): number[] | null {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!match) return null;
  const bytes = match.slice(1).map(Number);
  return bytes.every((b) => b <= 255) ? bytes : null;
}

/** The 16 bytes of an IPv6 literal (without brackets; `::` and a dotted IPv4 tail allowed), or null. */
function parseIpv6(text: string): number[] | null {
  let groups: string[];
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const split = (part: string) => (part === "" ? [] : part.split(":"));
  const head = split(halves[0]!);
  const tail = halves.length === 2 ? split(halves[1]!) : [];
  const last = (halves.length === 2 ? tail : head).at(-1);
  const dotted = last?.includes(".") ? parseIpv4(last) : null;
  if (last?.includes(".") && !dotted) return null;
  const words = (list: string[]) =>
    list.flatMap((g) => (g.includes(".") ? [] : [g])).map((g) => (/^[0-9a-f]{1,4}$/i.test(g) ? g : "x"));
  const headWords = words(head);
  const tailWords = words(tail);
  const needed = 8 - (dotted ? 2 : 0);
  if (halves.length === 2) {
    const fill = needed - headWords.length - tailWords.length;
    if (fill < 1) return null;
    groups = [...headWords, ...Array<string>(fill).fill("0"), ...tailWords];
  } else {
    groups = headWords;
    if (groups.length !== needed) return null;
  }
  if (groups.includes("x")) return null;
  const bytes = groups.flatMap((g) => {
    const n = Number.parseInt(g, 16);
    return [n >> 8, n & 0xff];
  });
  return dotted ? [...bytes, ...dotted] : bytes;
}

/** The IPv4 address that a NAT64 (64:ff9b::/96) or 6to4 (2002::/16) address leads to, or null. */
function embeddedIpv4(bytes: readonly number[]): number[] | null {
  if (inBlock(bytes, [[0x00, 0x64, 0xff, 0x9b], 96])) return bytes.slice(12);
  if (bytes[0] === 0x20 && bytes[1] === 0x02) return bytes.slice(2, 6);
  return null;
}

/**
 * Whether `host` (a URL's hostname, IPv6 in brackets) is an IP literal that is not globally reachable.
 * Names are not resolved here: see the README's security section for what covers names.
 */
export function isNonGlobalAddress(host: string): boolean {
  const v4 = parseIpv4(host);
  if (v4) return IPV4_BLOCKS.some((block) => inBlock(v4, block));
  if (!host.startsWith("[") || !host.endsWith("]")) return false;
  const v6 = parseIpv6(host.slice(1, -1).replace(/%.*$/, ""));
  // An IPv6 literal this parser cannot read is refused: it cannot be shown to be public.
  if (!v6) return true;
  if (IPV6_BLOCKS.some((block) => inBlock(v6, block))) return true;
  const inner = embeddedIpv4(v6);
  return inner !== null && IPV4_BLOCKS.some((block) => inBlock(inner, block));
}
