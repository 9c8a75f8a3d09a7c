import type { BenchResults, RecordedRow } from "./bench-results.ts";

/** Earlier runs drawn faintly behind the latest, so a regression shows as a gap between a line and its shadow. */
const EARLIER_RUNS_SHOWN = 3;
const PANEL_W = 440;
const PANEL_H = 300;
const MARGIN = { left: 56, right: 36, top: 40, bottom: 64 };
const COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"];

interface Line {
  readonly name: string;
  readonly points: { x: number; y: number }[];
  readonly bound: "linear" | "flat" | undefined;
}

const escapeXml = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
const fmt = (n: number) => (n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2));

function linesOf(rows: readonly RecordedRow[], panel: string): Line[] {
  const byLine = new Map<string, Line>();
  for (const row of rows) {
    if (row.plot?.panel !== panel || row.amount === undefined) continue;
    const line = byLine.get(row.plot.line) ?? { name: row.plot.line, points: [], bound: row.plot.bound };
    line.points.push({ x: row.plot.x, y: row.amount });
    byLine.set(row.plot.line, line);
  }
  for (const line of byLine.values()) line.points.sort((a, b) => a.x - b.x);
  return [...byLine.values()];
}

/**
 * The growth chart as a standalone SVG: one panel per `plot.panel` of the latest run's figures, log-scaled x, each
 * line with its goal drawn dashed from its first point (y ∝ x for "linear", constant for "flat"), and the same lines
 * of up to three earlier runs in faint strokes. Empty when no run has plotted figures.
 */
export function growthChart(results: BenchResults): string {
  const latest = [...results.runs].reverse().find((run) => run.rows.some((r) => r.plot));
  if (!latest) return "";
  const earlier = results.runs.slice(0, results.runs.indexOf(latest)).slice(-EARLIER_RUNS_SHOWN);
  const panels = [...new Set(latest.rows.flatMap((r) => (r.plot ? [r.plot.panel] : [])))];
  const width = panels.length * PANEL_W;
  const height = PANEL_H + 28;
  const parts: string[] = [];
  panels.forEach((panel, index) => {
    const lines = linesOf(latest.rows, panel);
    const shadows = earlier.map((run) => linesOf(run.rows, panel));
    const first = latest.rows.find((r) => r.plot?.panel === panel)!;
    const xs = lines.flatMap((l) => l.points.map((p) => p.x));
    const ys = [...lines, ...shadows.flat()].flatMap((l) => l.points.map((p) => p.y));
    const [xMin, xMax] = [Math.min(...xs), Math.max(...xs)];
    const yMax = niceCeiling(Math.max(...ys) * 1.05);
    const plotW = PANEL_W - MARGIN.left - MARGIN.right;
    const plotH = PANEL_H - MARGIN.top - MARGIN.bottom;
    const ox = index * PANEL_W + MARGIN.left;
    const sx = (x: number) =>
      ox +
      (xMax === xMin
        ? plotW / 2
        : ((Math.log(x) - Math.log(xMin)) / (Math.log(xMax) - Math.log(xMin))) * plotW);
    const sy = (y: number) => MARGIN.top + plotH - (Math.min(y, yMax) / yMax) * plotH;
    const path = (points: { x: number; y: number }[]) =>
      points.map((p, i) => `${i === 0 ? "M" : "L"}${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`).join(" ");

    parts.push(`<text x="${ox}" y="22" font-size="14" font-weight="bold">${escapeXml(panel)}</text>`);
    // Axes, y grid at quarters, x ticks at the measured points.
    for (let q = 0; q <= 4; q++) {
      const y = (yMax * q) / 4;
      parts.push(
        `<line x1="${ox}" x2="${ox + plotW}" y1="${sy(y)}" y2="${sy(y)}" stroke="#ddd"/>`,
        `<text x="${ox - 6}" y="${sy(y) + 4}" font-size="11" text-anchor="end">${fmt(y)}</text>`,
      );
    }
    for (const x of [...new Set(xs)]) {
      parts.push(
        `<text x="${sx(x)}" y="${MARGIN.top + plotH + 16}" font-size="11" text-anchor="middle">${x.toLocaleString("en-US")}</text>`,
      );
    }
    parts.push(
      `<text x="${ox + plotW / 2}" y="${MARGIN.top + plotH + 34}" font-size="12" text-anchor="middle">${escapeXml(first.plot!.xLabel)} (log scale)</text>`,
      `<text transform="translate(${ox - 42},${MARGIN.top + plotH / 2}) rotate(-90)" font-size="12" text-anchor="middle">${escapeXml(first.plot!.yLabel)}</text>`,
    );
    lines.forEach((line, i) => {
      const color = COLORS[i % COLORS.length]!;
      for (const shadow of shadows) {
        const old = shadow.find((l) => l.name === line.name);
        if (old && old.points.length > 0) {
          parts.push(
            `<path d="${path(old.points)}" fill="none" stroke="${color}" stroke-opacity="0.25" stroke-width="1.5"/>`,
          );
        }
      }
      const bound = boundPoints(line, xMax, yMax);
      if (bound.length > 0) {
        parts.push(
          `<path d="${path(bound)}" fill="none" stroke="${color}" stroke-dasharray="5 4" stroke-opacity="0.7"/>`,
        );
      }
      parts.push(`<path d="${path(line.points)}" fill="none" stroke="${color}" stroke-width="2.5"/>`);
      for (const p of line.points) {
        parts.push(
          `<circle cx="${sx(p.x)}" cy="${sy(p.y)}" r="3.5" fill="${color}"/>`,
          `<text x="${sx(p.x) + 5}" y="${sy(p.y) - 6}" font-size="10" fill="${color}">${fmt(p.y)}</text>`,
        );
      }
      const legendY = MARGIN.top + plotH + 50;
      const legendX = ox + i * 120;
      parts.push(
        `<line x1="${legendX}" x2="${legendX + 18}" y1="${legendY - 4}" y2="${legendY - 4}" stroke="${color}" stroke-width="2.5"/>`,
        `<text x="${legendX + 22}" y="${legendY}" font-size="11">${escapeXml(line.name)}</text>`,
      );
    });
  });
  const caption =
    `bench ${latest.date.slice(0, 16).replace("T", " ")} UTC, build ${latest.buildId.slice(0, 12)}, ` +
    `${latest.machine.cores} cores, load ${latest.machine.load.map((l) => l.toFixed(1)).join(" ")}. ` +
    "Dashed: the goal drawn from the first point (at most linear / flat). Faint: earlier runs.";
  parts.push(`<text x="8" y="${height - 8}" font-size="11" fill="#555">${escapeXml(caption)}</text>`);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">`,
    `<title>${escapeXml(panels.join("; "))}</title>`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    ...parts,
    "</svg>",
    "",
  ].join("\n");
}

/** The goal boundary of a line, anchored at its first point, up to `xMax` or until it leaves the panel at `yMax`. */
function boundPoints(line: Line, xMax: number, yMax: number): { x: number; y: number }[] {
  const start = line.points[0];
  if (!start || !line.bound) return [];
  if (line.bound === "flat") return [start, { x: xMax, y: start.y }];
  const end = start.y > 0 ? Math.min(xMax, (start.x * yMax) / start.y) : xMax;
  // y ∝ x is a curve on a log-scaled x axis: sample it.
  return Array.from({ length: 25 }, (_, i) => {
    const x = start.x * (end / start.x) ** (i / 24);
    return { x, y: (start.y * x) / start.x };
  });
}

/** A round axis maximum (1, 1.5, 2, 2.5, 3, 4, 5, 6 or 8 times a power of ten) at or above `n`. */
function niceCeiling(n: number): number {
  if (!(n > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(n));
  return [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10].map((m) => m * power).find((v) => v >= n)!;
}
