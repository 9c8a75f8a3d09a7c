/**
 * Webhook URLs are capabilities: Slack/Discord-style hooks carry their secret in the path, many APIs in the query
 * (`?token=`). Job reads are public, so everything shown without the admin token, and every error text written
 * (errors are stored and shown, and logged), names only the scheme and host.
 */
export function redactUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return "[redacted URL]";
  }
  const hidden = parsed.pathname !== "/" || parsed.search !== "" || parsed.hash !== "";
  return `${parsed.origin}/${hidden ? "[redacted]" : ""}`;
}

/** `text` with every occurrence of `url` replaced by its redacted form (for error texts stored before redaction). */
export function redactUrlIn(text: string | null, url: string): string | null {
  if (text === null || !text.includes(url)) return text;
  return text.split(url).join(redactUrl(url));
}
