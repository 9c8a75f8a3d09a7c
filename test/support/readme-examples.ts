import { readFileSync } from "node:fs";
import path from "node:path";
import { ROOT } from "../../infra/build.ts";

/** The base URL the README's examples use: the one `npm run dev` listens on. */
export const README_BASE_URL = "http://127.0.0.1:8787";

export interface ReadmeExample {
  /** The README line the command starts on (1-based), for failure messages. */
  readonly line: number;
  /** The command as written, continuation lines joined. */
  readonly command: string;
  /** `name` when the command is `name=$(curl …)`: the value is kept for later commands. */
  readonly assigns?: string | undefined;
  /** The HTTP status the example documents with a trailing `# expect NNN` comment; default any 2xx. */
  readonly expectStatus?: number | undefined;
}

/**
 * Every command in a ```sh block of the README that runs curl against the local base URL, in README order. A new
 * example anywhere in the README is picked up by being written that way; commands for deployed URLs or other
 * tools are not (they need an account).
 */
export function readmeExamples(file = path.join(ROOT, "README.md")): ReadmeExample[] {
  const lines = readFileSync(file, "utf8").split("\n");
  const examples: ReadmeExample[] = [];
  let inShell = false;
  let fence = "";
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i]!;
    const open = /^(```+)\s*(\w*)/.exec(text);
    if (!inShell && open) {
      fence = open[1]!;
      inShell = ["sh", "bash", "shell", "console"].includes(open[2]!);
      if (!inShell) i = closingFence(lines, i, fence);
      continue;
    }
    if (inShell && text.startsWith(fence)) {
      inShell = false;
      continue;
    }
    if (!inShell) continue;
    const start = i;
    let command = text;
    while (command.endsWith("\\") && i + 1 < lines.length)
      command = `${command.slice(0, -1)}${lines[++i]!.trim()}`;
    if (!/\bcurl\b/.test(command) || !command.includes(README_BASE_URL)) continue;
    const expected = /#\s*expect (\d{3})\b/.exec(command);
    examples.push({
      line: start + 1,
      command: command.trim(),
      assigns: /^([A-Za-z_]\w*)=\$\(/.exec(command.trim())?.[1],
      expectStatus: expected ? Number(expected[1]) : undefined,
    });
  }
  return examples;
}

function closingFence(lines: string[], from: number, fence: string): number {
  for (let j = from + 1; j < lines.length; j++) if (lines[j]!.startsWith(fence)) return j;
  return lines.length;
}
