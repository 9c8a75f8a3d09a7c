import { describe, expect, it } from "vitest";
import { ipv6Prefix64 } from "../../worker/http/client-key.ts";

// An IPv6 client owns at least a /64, so it is rate limited by that block (rotating addresses inside it must not
// escape the limit).
describe("ipv6Prefix64", () => {
  it.each([
    ["2001:db8:1:2::1", "2001:db8:1:2::/64"],
    ["2001:0DB8:0001:0002:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"],
    ["2001:db8::1", "2001:db8:0:0::/64"],
    ["::1", "0:0:0:0::/64"],
    ["fe80::1%eth0", "fe80:0:0:0::/64"],
    ["[2001:db8:1:2::5]", "2001:db8:1:2::/64"],
    ["2001:db8:1:2:3:4:192.0.2.1", "2001:db8:1:2::/64"],
    ["::ffff:192.0.2.1", "192.0.2.1"],
  ])("%s -> %s", (address, key) => {
    expect(ipv6Prefix64(address)).toBe(key);
  });

  it("keys a malformed address by itself, never by a shared bucket of another client", () => {
    expect(ipv6Prefix64("2001:db8::1::2")).toBe("invalid:2001:db8::1::2");
    expect(ipv6Prefix64("1:2:3:4:5:6:7:8:9")).toMatch(/^invalid:/);
  });
});
