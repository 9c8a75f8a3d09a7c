import type { Context } from "hono";

/**
 * The key a client is rate limited by: its address as Cloudflare's edge reports it (`CF-Connecting-IP`; Miniflare
 * sets it locally). An IPv6 client is keyed by its /64, the smallest block a provider hands one subscriber: keyed
 * by the full address, one client could rotate through 2^64 addresses and never meet a limit.
 */
export function clientKey(c: Context): string {
  const address = c.req.header("cf-connecting-ip")?.trim() ?? "";
  if (address === "") return "unknown-client";
  return address.includes(":") ? ipv6Prefix64(address) : address;
}

/** `2001:db8:1:2:aaaa::1` -> `2001:db8:1:2::/64`; an IPv4-mapped address is keyed as its IPv4 address. */
export function ipv6Prefix64(address: string): string {
  const bare = address
    .replace(/^\[|\]$/g, "")
    .replace(/%.*$/, "")
    .toLowerCase();
  const mapped = /^(?:0{0,4}:){0,5}:?ffff:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(bare);
  if (mapped) return mapped[1]!;
  const groups = expand(bare);
  if (!groups) return `invalid:${bare.slice(0, 64)}`;
  return `${groups
    .slice(0, 4)
    .map((g) => Number.parseInt(g, 16).toString(16))
    .join(":")}::/64`;
}

/** The eight 16-bit groups of an IPv6 address (an embedded IPv4 tail counts as two), or undefined if malformed. */
function expand(address: string): string[] | undefined {
  let text = address;
  const v4 = /(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const head = halves[0] ? halves[0].split(":") : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(":") : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill("0"), ...tail];
  return groups.every((g) => /^[0-9a-f]{1,4}$/.test(g)) ? groups : undefined;
}
