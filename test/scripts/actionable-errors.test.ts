import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ROOT } from "../../infra/build.ts";
import { fakePulumi } from "../support/fake-pulumi.ts";
import { probeScripts, runScript } from "../support/script-process.ts";

/**
 * What a person sees when a script cannot do its job for a reason they can fix (no Pulumi CLI, no credentials, a
 * closed pipe): one sentence and the fix, exit non-zero, never a stack trace, a raw error object or advice for an
 * option the script does not take. Usage mistakes (a mistyped stack, a bad value) are in cli-flags.test.ts.
 */

const home = mkdtempSync(path.join(tmpdir(), "actionable-home-"));
afterAll(() => rmSync(home, { recursive: true, force: true }));

/** No Pulumi CLI, no Cloudflare credentials, no wrangler login (a fresh HOME): what a new clone has. */
const fresh: NodeJS.ProcessEnv = Object.fromEntries(
  Object.entries({ ...process.env, PATH: path.dirname(process.execPath), HOME: home, NO_COLOR: "1" }).filter(
    ([name]) => !/^(CLOUDFLARE_|WORKERS_DEV_SUBDOMAIN|ADMIN_TOKEN|PULUMI_)/.test(name),
  ),
);

const NO_CLI =
  "The Pulumi CLI is not installed (no `pulumi` on PATH). Fix: install it from " +
  "https://www.pulumi.com/docs/iac/download-install/ (curl -fsSL https://get.pulumi.com | sh)";

/** No stack trace, no Automation API dump, no terminal colour codes (ESC). */
const noTrace = (text: string) => {
  expect(text).not.toMatch(/\n\s+at |code: -2|stdout:/);
  expect(text).not.toContain(String.fromCharCode(27));
};

describe.concurrent("without the Pulumi CLI, each script that needs it says so in one line", () => {
  const runs = probeScripts(
    [
      ["urls", []],
      ["status", []],
      ["logs", ["staging"]],
      ["rotate-token", ["staging"]],
      ["deploy", ["staging"]],
      ["preview", ["up", "42"]],
    ],
    fresh,
  );

  it.each([
    ["urls", "urls"],
    ["status", "status"],
    ["logs", "logs"],
    ["rotate-token", "rotate-token"],
  ])("npm run %s: the install command, and no hint of a URL it does not take", async (script, prefix) => {
    const run = (await runs).find((r) => r.script === script)!;
    expect(run.stderr).toBe(`${prefix}: ${NO_CLI}\n`);
    expect(run.code).toBe(1);
  });

  it("npm run rotate-token announces no step before Pulumi has answered", async () => {
    const run = (await runs).find((r) => r.script === "rotate-token")!;
    expect(run.stdout).toBe("");
  });

  it("npm run deploy says so before building anything", async () => {
    const run = (await runs).find((r) => r.script === "deploy")!;
    expect(run).toMatchObject({ code: 1, stdout: "", stderr: `deploy: ${NO_CLI}\n` });
  });

  it("npm run preview -- up <n> names the team settings it needs before asking Pulumi anything", async () => {
    const run = (await runs).find((r) => r.script === "preview")!;
    expect(run.stderr).toBe(
      "preview pr-42: a preview deploys to your account's workers.dev, so it needs CLOUDFLARE_ACCOUNT_ID and " +
        "WORKERS_DEV_SUBDOMAIN. Fix: export CLOUDFLARE_ACCOUNT_ID=<32-hex-digit account id> " +
        "WORKERS_DEV_SUBDOMAIN=<the x of x.workers.dev>\n",
    );
    expect(run.code).toBe(1);
  });
});

describe.concurrent("npm run preview -- up <n>", () => {
  it("with the team settings set but no Pulumi CLI, says that in one line, not the Automation API's dump", async () => {
    const env = { ...fresh, CLOUDFLARE_ACCOUNT_ID: "0".repeat(32), WORKERS_DEV_SUBDOMAIN: "acme" };
    const run = await runScript("scripts/preview.ts", ["up", "42"], env);
    expect(run.stderr).toBe(`preview pr-42: ${NO_CLI}\n`);
    expect(run.code).toBe(1);
  }, 60_000);
});

describe.concurrent("npm run rollback without Cloudflare credentials", () => {
  it("says which variable to set in one line, without wrangler's colours or its --temporary advice", async () => {
    // The account known (the stack file or the environment names it), the token not.
    const env = { ...fresh, CLOUDFLARE_ACCOUNT_ID: "0123456789abcdef0123456789abcdef" };
    const run = await runScript("scripts/rollback.ts", ["prod"], env);
    expect(run.stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(run.stderr).toMatch(/export CLOUDFLARE_API_TOKEN=<[^>]*Workers Scripts: Edit>/);
    expect(run.stderr).not.toContain("--temporary");
    noTrace(run.stderr);
    expect(run.code).toBe(1);
  }, 120_000);
});

describe.concurrent("npm run deploy -- <stack>", () => {
  it("builds, then runs pulumi up -s <stack> in the project and passes on its exit code", async () => {
    const fake = await fakePulumi([{ args: ["up", "-s", "staging"], stdout: "Resources: 3 unchanged\n" }]);
    try {
      const env = { ...fresh, PATH: `${fake.dir}${path.delimiter}${fresh.PATH}` };
      const run = await runScript("scripts/deploy.ts", ["staging", "--yes"], env);
      expect(run.stderr).toBe("");
      expect(run.stdout).toMatch(/^deploy: built [0-9a-f]{12} \(.+\); pulumi up -s staging\n/);
      expect(run.stdout).toContain("Resources: 3 unchanged");
      expect(run.code).toBe(0);
      expect(await fake.calls()).toEqual([["up", "-s", "staging", "--yes"]]);
    } finally {
      await fake.dispose();
    }
  }, 60_000);
});

describe.concurrent("npm run synth", () => {
  // One synth of a preview, into a pipe its reader closes at once: the advice goes to stderr as before.
  it("of a preview, into a closed pipe: the variables npm run preview reads, then a quiet exit 0 (no EPIPE)", async () => {
    const child = spawn(process.execPath, ["scripts/synth.ts", "pr-42"], { cwd: ROOT, env: fresh });
    child.stdout.destroy();
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((done) => child.on("exit", done));
    expect(stderr).not.toContain("EPIPE");
    noTrace(stderr);
    expect(code).toBe(0);
    // Previews have no stack file: the advice names what npm run preview reads instead.
    expect(stderr).not.toContain("Pulumi.pr-42.yaml");
    expect(stderr).toContain(
      "synth: placeholder for accountId: a preview has no stack file: npm run preview -- up 42 takes accountId " +
        "from CLOUDFLARE_ACCOUNT_ID. Pass --config accountId=<value> to synthesize with yours.",
    );
    expect(stderr).toContain("takes workersDevSubdomain from WORKERS_DEV_SUBDOMAIN");
    expect(stderr).toContain(
      "synth: placeholder for adminToken: npm run preview -- up 42 sets a fresh random adminToken for each preview.",
    );
  }, 60_000);
});

describe.concurrent("files the guide tells a user to write", () => {
  // openapi.json and api.d.ts (the typed client), synth.json (a synth kept for review), and wrangler dev's state.
  const files = ["openapi.json", "api.d.ts", "synth.json", ".wrangler/state/v3/x.json"];

  it.each(files)("%s is git-ignored", (file) => {
    expect(spawnSync("git", ["check-ignore", "-q", file], { cwd: ROOT }).status).toBe(0);
  });

  it("do not fail npm run format:check when they are there", () => {
    const written = files.filter((f) => !existsSync(path.join(ROOT, f)));
    const hadWranglerDir = existsSync(path.join(ROOT, ".wrangler"));
    try {
      for (const file of written) {
        const full = path.join(ROOT, file);
        mkdirSync(path.dirname(full), { recursive: true });
        // Unformatted on purpose: a formatter that looked at them would complain.
        writeFileSync(full, file.endsWith(".ts") ? "export  type  X={a:1}\n" : '{"a":1,\n"b":[1,2]}\n');
      }
      const check = spawnSync(
        process.execPath,
        [path.join(ROOT, "node_modules/@biomejs/biome/bin/biome"), "format", "."],
        {
          cwd: ROOT,
          encoding: "utf8",
        },
      );
      for (const file of written) expect(check.stdout + check.stderr).not.toContain(file);
    } finally {
      for (const file of written) rmSync(path.join(ROOT, file), { force: true });
      if (!hadWranglerDir) rmSync(path.join(ROOT, ".wrangler"), { recursive: true, force: true });
    }
  });
});
