import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ROOT } from "../../infra/build.ts";
import { persistAdminToken, readLocalSecrets, withAdminToken } from "../../scripts/lib/local-secrets.ts";
import { rateLimits } from "../../worker/manifest.ts";
import { runScript } from "../support/script-process.ts";

const children: ChildProcess[] = [];
const dirs: string[] = [];
afterAll(async () => {
  // SIGTERM is dev's own "stop": it disposes workerd, then exits.
  await Promise.all(
    children
      .filter((child) => child.exitCode === null && child.signalCode === null)
      .map((child) => new Promise((exited) => child.once("exit", exited).kill("SIGTERM"))),
  );
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

/** Starts `npm run dev -- ...args` on a free port and resolves with its URL and everything it printed. */
function startDev(args: string[], env: Record<string, string> = {}): Promise<{ url: URL; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["scripts/dev.ts", "--port", "0", ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env },
    });
    children.push(child);
    let output = "";
    const collect = (chunk: Buffer) => {
      output += chunk.toString();
      const ready = /platform ready at (http:\/\/127\.0\.0\.1:\d+\/)/.exec(output);
      if (ready?.[1]) setTimeout(() => resolve({ url: new URL(ready[1]!), output }), 50);
    };
    child.stdout.on("data", collect);
    child.stderr.on("data", collect);
    child.on("exit", (code) => reject(new Error(`dev exited with ${code}:\n${output}`)));
  });
}

// Each of these starts `npm run dev` (its own Node and workerd, ~2.5 s to ready): side by side, not in turn.
describe.concurrent("npm run dev as its own process", () => {
  describe("npm run dev -- --env <stack>", () => {
    // One `npm run dev -- --env prod` for the tests below (a start is ~2.5 CPU s).
    let prod: Promise<{ url: URL; output: string }> | undefined;
    const startProd = () =>
      (prod ??= mkdtemp(path.join(tmpdir(), "dev-env-")).then((persist) => {
        dirs.push(persist);
        return startDev(["--env", "prod", "--persist-to", persist], { ADMIN_TOKEN: "local" });
      }));

    it("runs the platform with the stack's environment name and location hint, and its secrets", async ({
      expect,
    }) => {
      const { url, output } = await startProd();
      const health = await (await fetch(new URL("/health", url))).json();
      expect(health).toMatchObject({
        status: "ok",
        environment: "prod",
        locationHint: "enam",
        jurisdiction: null,
      });
      expect(output).toContain("(environment prod, location hint enam, build ");
      expect(output).toContain("settings of stack prod: compatibility 2026-08-22 []; secrets: ADMIN_TOKEN");
    });

    it("runs every rate limiter with what the stack deploys: wrong admin tokens get the deployed 429", async ({
      expect,
    }) => {
      const { url } = await startProd();
      const { limit } = rateLimits.ADMIN_ATTEMPTS;
      const statuses: number[] = [];
      for (let i = 0; i < limit + 10; i++) {
        const res = await fetch(new URL("/api/counters/limits", url), {
          method: "DELETE",
          headers: { authorization: "Bearer wrong", "cf-connecting-ip": "203.0.113.7" },
        });
        statuses.push(res.status);
      }
      expect(statuses.slice(0, limit)).toEqual(Array(limit).fill(401));
      expect(statuses.slice(limit)).toEqual(Array(10).fill(429));
    });
  });

  describe("npm run dev on a port that is taken", () => {
    it("says so in one sentence with the fix, exit 1, no stack trace", async ({ expect }) => {
      const server = net.createServer();
      const port = await new Promise<number>((resolve) =>
        server.listen(0, "127.0.0.1", () => resolve((server.address() as net.AddressInfo).port)),
      );
      try {
        const persist = await mkdtemp(path.join(tmpdir(), "dev-port-"));
        dirs.push(persist);
        const run = await runScript("scripts/dev.ts", ["--port", String(port), "--persist-to", persist], {
          ...process.env,
          ADMIN_TOKEN: "local",
        });
        expect(run.stderr).toBe(
          `npm run dev: 127.0.0.1:${port} is already in use (another npm run dev?): stop it, or pick another ` +
            `port: npm run dev -- --port ${port + 1}\n`,
        );
        expect(run.code).toBe(1);
      } finally {
        server.close();
      }
    });
  });

  describe("each environment's local state is its own", () => {
    it("--env <stack> keeps state in .data/stack-<stack>/, apart from plain runs in .data/", async ({
      expect,
    }) => {
      const { url, output } = await startDev(["--env", "staging"], { ADMIN_TOKEN: "local" });
      expect(output).toContain(`state kept in ${path.join(".data", "stack-staging")}/`);
      const counter = `state-${crypto.randomUUID()}`;
      const res = await fetch(new URL(`/api/counters/${counter}/increment`, url), { method: "POST" });
      expect(res.status).toBe(200);
    });
  });
});

describe("local secrets", () => {
  it("come from the environment first, then a .dev.vars file, and are absent otherwise", async () => {
    const root = await mkdtemp(path.join(tmpdir(), "dev-vars-"));
    dirs.push(root);
    expect(readLocalSecrets(root, {})).toEqual({});
    await writeFile(path.join(root, ".dev.vars"), "# local only\nADMIN_TOKEN=from-file\nOTHER=x\n");
    expect(readLocalSecrets(root, {})).toEqual({ ADMIN_TOKEN: "from-file" });
    expect(readLocalSecrets(root, { ADMIN_TOKEN: "from-env" })).toEqual({ ADMIN_TOKEN: "from-env" });
  });
});

describe("a generated admin token is kept in .dev.vars", () => {
  it("creates the file, or appends to it, and the next start reads the same token", async () => {
    const root = await mkdtemp(path.join(tmpdir(), "dev-token-"));
    dirs.push(root);
    const { generatedAdminToken } = withAdminToken(readLocalSecrets(root, {}));
    persistAdminToken(root, generatedAdminToken!);
    expect(readLocalSecrets(root, {})).toEqual({ ADMIN_TOKEN: generatedAdminToken });
    expect(withAdminToken(readLocalSecrets(root, {})).generatedAdminToken).toBeUndefined();

    const other = await mkdtemp(path.join(tmpdir(), "dev-token-"));
    dirs.push(other);
    await writeFile(path.join(other, ".dev.vars"), "OTHER=x");
    persistAdminToken(other, "tok");
    expect(await readFile(path.join(other, ".dev.vars"), "utf8")).toBe("OTHER=x\nADMIN_TOKEN=tok\n");
  });
});

describe("npm run dev is never open", () => {
  it("keeps a provided ADMIN_TOKEN", () => {
    expect(withAdminToken({ ADMIN_TOKEN: "given" })).toEqual({ secrets: { ADMIN_TOKEN: "given" } });
  });

  it("generates a long random token when none is provided, a different one each start", () => {
    const a = withAdminToken({});
    const b = withAdminToken({});
    expect(a.generatedAdminToken).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(a.secrets.ADMIN_TOKEN).toBe(a.generatedAdminToken);
    expect(b.generatedAdminToken).not.toBe(a.generatedAdminToken);
  });
});
