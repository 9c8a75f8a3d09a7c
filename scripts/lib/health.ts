/** An environment's /health as promotion reads it: throws unless it answers 200 (within 10 s). */
export async function readHealth(url: URL): Promise<{ buildId?: unknown; versionId?: unknown }> {
  const res = await fetch(new URL("/health", url), { signal: AbortSignal.timeout(10_000) });
  if (!res.ok) throw new Error(`/health answered ${res.status}`);
  return (await res.json()) as { buildId?: unknown; versionId?: unknown };
}
