import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { ROOT } from "../../infra/build.ts";

/** The base URL the README's examples use: the one `npm run dev` listens on. */
export const README_BASE_URL = "http://127.0.0.1:8787";

/** The guide: the README, then every page of docs/ by name. Their shell examples are what the tests run. */
export function guideFiles(root = ROOT): string[] {
  const docs = readdirSync(path.join(root, "docs"))
    .filter((f) => f.endsWith(".md"))
    .sort()
    .map((f) => path.join(root, "docs", f));
  return [path.join(root, "README.md"), ...docs];
}

/** One command of a shell block in the guide. */
export interface ShellCommand {
  /** The file, relative to the repository (`README.md`, `docs/api.md`). */
  readonly file: string;
  /** The line the command starts on (1-based), for failure messages. */
  readonly line: number;
  /** The command as written, continuation lines joined. */
  readonly command: string;
}

/**
 * Every command in a ```sh (bash, shell, console) block of the given files, in order; blocks of other languages
 * are skipped whole. A command continued with a trailing backslash is joined into one.
 */
export function shellCommands(files = guideFiles()): ShellCommand[] {
  const commands: ShellCommand[] = [];
  for (const file of files) {
    const lines = readFileSync(file, "utf8").split("\n");
    const name = path.relative(ROOT, file).split(path.sep).join("/");
    let inShell = false;
    let fence = "";
    for (let i = 0; i < lines.length; i++) {
      const text = lines[i]!;
      // Fences may be indented (a block inside a list item).
      const open = /^\s*(```+)\s*(\w*)/.exec(text);
      if (!inShell && open) {
        fence = open[1]!;
        inShell = ["sh", "bash", "shell", "console"].includes(open[2]!);
        if (!inShell) i = closingFence(lines, i, fence);
        continue;
      }
      if (inShell && text.trimStart().startsWith(fence)) {
        inShell = false;
        continue;
      }
      if (!inShell) continue;
      const start = i;
      let command = text;
      while (command.endsWith("\\") && i + 1 < lines.length)
        command = `${command.slice(0, -1)}${lines[++i]!.trim()}`;
      commands.push({ file: name, line: start + 1, command: command.trim() });
    }
  }
  return commands;
}

export interface ReadmeExample extends ShellCommand {
  /** `name` when the command is `name=$(curl …)`: the value is kept for later commands. */
  readonly assigns?: string | undefined;
  /** The HTTP status the example documents with a trailing `# expect NNN` comment; default any 2xx. */
  readonly expectStatus?: number | undefined;
}

/**
 * Every command in a shell block of the README or docs/ that runs curl against the local base URL, in guide order
 * (README first). A new example anywhere in the guide is picked up by being written that way; commands for
 * deployed URLs or other tools are not (they need an account).
 */
export function readmeExamples(files = guideFiles()): ReadmeExample[] {
  return shellCommands(files).flatMap(({ file, line, command }) => {
    if (!/\bcurl\b/.test(command) || !command.includes(README_BASE_URL)) return [];
    const expected = /#\s*expect (\d{3})\b/.exec(command);
    return [
      {
        file,
        line,
        command: command.trim(),
        assigns: /^([A-Za-z_]\w*)=\$\(/.exec(command.trim())?.[1],
        expectStatus: expected ? Number(expected[1]) : undefined,
      },
    ];
  });
}

function closingFence(lines: string[], from: number, fence: string): number {
  for (let j = from + 1; j < lines.length; j++) if (lines[j]!.trimStart().startsWith(fence)) return j;
  return lines.length;
}
