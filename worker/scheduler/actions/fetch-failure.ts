/**
 * What went wrong with a webhook call, in words an operator can act on. The runtime's own errors are terse or
 * opaque (local workerd says "internal error; reference = …" for a DNS failure), and Cloudflare's edge answers
 * connection problems with its own 52x statuses: both are translated here, for the job's lastError and the log.
 */

/** Cloudflare's own statuses for a subrequest that never reached a working origin. */
const EDGE_STATUSES: Readonly<Record<number, string>> = {
  520: "the host answered something Cloudflare could not read",
  521: "connection refused by the host",
  522: "the connection to the host timed out",
  523: "the host is unreachable",
  524: "the host accepted the connection but sent no response in time",
  525: "the TLS handshake with the host failed",
  526: "the host's TLS certificate is not valid",
  530: "the host name did not resolve (DNS) or the host is not reachable through Cloudflare",
};

/** An explanation for a Cloudflare edge status, or undefined for an ordinary status from the receiver. */
export function edgeStatusMeaning(status: number): string | undefined {
  return EDGE_STATUSES[status];
}

/** A sentence for a fetch that threw (no response at all). */
export function describeFetchFailure(error: unknown, timeoutMs: number): string {
  const name = error instanceof Error ? error.name : "";
  const message = error instanceof Error ? error.message : String(error);
  if (name === "TimeoutError" || name === "AbortError")
    return `timed out after ${timeoutMs} ms without a response`;
  if (/dns|name (?:or service )?not known|resolve/i.test(message)) return `DNS lookup failed (${message})`;
  if (/tls|ssl|certificate|handshake/i.test(message)) return `TLS failed (${message})`;
  if (/refused/i.test(message)) return "connection refused";
  if (message === "Network connection lost.") {
    return "the connection failed before a response: refused, reset, or (https) the TLS handshake failed";
  }
  const reference = /internal error; reference = (\S+)/.exec(message);
  if (reference) {
    return `could not connect: the host name did not resolve (DNS) or the host is unreachable (runtime reference ${reference[1]})`;
  }
  return message;
}
