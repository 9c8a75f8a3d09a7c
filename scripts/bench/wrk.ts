import { execFile } from "node:child_process";
import { writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { runLoad } from "./load.ts";

const run = promisify(execFile);

/** True when wrk (Debian package `wrk`) is on PATH: a C load generator that leaves more CPU to workerd. */
export async function haveWrk(): Promise<boolean> {
  try {
    await run("wrk", ["--version"]);
    return true;
  } catch (error) {
    // wrk --version prints its banner and exits 1; only a missing binary is ENOENT.
    return (error as NodeJS.ErrnoException).code !== "ENOENT";
  }
}

export interface Target {
  readonly method: "GET" | "POST";
  readonly path: string;
  readonly body?: string;
}

/** Requests per second on `target` with `connections` keep-alive connections for `seconds`; non-2xx answers throw. */
export async function requestsPerSecond(
  base: URL,
  target: Target,
  o: { connections: number; seconds: number; wrk: boolean },
): Promise<{ perSecond: number; requests: number }> {
  const url = new URL(target.path, base);
  if (!o.wrk) {
    const load = await runLoad({
      url,
      method: target.method,
      body: target.body,
      headers: target.body ? { "content-type": "application/json" } : undefined,
      connections: o.connections,
      durationMs: o.seconds * 1000,
    });
    if (load.errors > 0) throw new Error(`${target.method} ${target.path}: ${load.errors} errors`);
    return { perSecond: load.perSecond, requests: load.requests };
  }
  const script = path.join(
    os.tmpdir(),
    `bench-wrk-${process.pid}-${target.method}-${target.body ? "body" : "empty"}.lua`,
  );
  await writeFile(
    script,
    [
      `wrk.method = "${target.method}"`,
      target.body ? `wrk.body = '${target.body}'\nwrk.headers["Content-Type"] = "application/json"` : "",
    ].join("\n"),
  );
  const { stdout } = await run("wrk", [
    "-t2",
    `-c${o.connections}`,
    `-d${o.seconds}s`,
    "-s",
    script,
    url.href,
  ]);
  if (/Non-2xx/.test(stdout)) throw new Error(`${target.method} ${target.path}: ${stdout}`);
  const perSecond = Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1]);
  const requests = Number(/(\d+) requests in/.exec(stdout)?.[1]);
  return { perSecond, requests };
}
