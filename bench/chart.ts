/**
 * The benchmark chart: grouped bars (ours, native) per metric, each metric normalised to the
 * larger of its two values, with the measured values printed above the bars. Plain SVG text.
 *
 * @module
 */

export interface ChartRow {
  name: string;
  ours: number;
  native: number;
  unit: string;
  lowerIsBetter: boolean;
}

function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function format(value: number): string {
  if (!Number.isFinite(value)) return "–";
  if (Math.abs(value) >= 100) return value.toFixed(0);
  if (Math.abs(value) >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

/** Renders `rows` as an SVG document. */
export function renderChart(rows: readonly ChartRow[], title: string): string {
  const group = 120;
  const bar = 36;
  const plotHeight = 260;
  const left = 50;
  const top = 60;
  const width = left + rows.length * group + 130;
  const height = top + plotHeight + 120;
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="${left}" y="22" font-size="15" font-weight="bold">${escapeXml(title)}</text>`,
    `<rect x="${left}" y="32" width="12" height="12" fill="#2b6cb0"/><text x="${left + 16}" y="42">async-sspi</text>`,
    `<rect x="${left + 100}" y="32" width="12" height="12" fill="#a0aec0"/><text x="${left + 116}" y="42">Node tls (native)</text>`,
    `<text x="${left + 240}" y="42" fill="#555">bars normalised to the larger value per metric; ↓ = lower is better</text>`,
  );
  const baseline = top + plotHeight;
  parts.push(`<line x1="${left}" y1="${baseline}" x2="${width - 20}" y2="${baseline}" stroke="#333"/>`);
  for (const [tick, label] of [
    [0, "0"],
    [0.5, "0.5"],
    [1, "1"],
  ] as const) {
    const y = baseline - tick * plotHeight;
    parts.push(
      `<line x1="${left - 4}" y1="${y}" x2="${width - 20}" y2="${y}" stroke="#e2e8f0"/>`,
      `<text x="${left - 8}" y="${y + 4}" text-anchor="end" fill="#555">${label}</text>`,
    );
  }
  rows.forEach((row, i) => {
    const x = left + i * group + 14;
    const scale = Math.max(row.ours, row.native) || 1;
    const bars: Array<[number, string, number]> = [
      [row.ours, "#2b6cb0", x],
      [row.native, "#a0aec0", x + bar + 4],
    ];
    for (const [value, color, bx] of bars) {
      const h = Number.isFinite(value) ? Math.max(1, (value / scale) * plotHeight) : 0;
      parts.push(
        `<rect x="${bx}" y="${baseline - h}" width="${bar}" height="${h}" fill="${color}"/>`,
        `<text x="${bx + bar / 2}" y="${baseline - h - 4}" text-anchor="middle">${format(value)}</text>`,
      );
    }
    const ratio = row.native ? row.ours / row.native : Number.NaN;
    const labelX = x + bar + 2;
    parts.push(
      `<text x="${labelX}" y="${baseline + 16}" text-anchor="middle" font-weight="bold">×${format(ratio)}</text>`,
      `<text transform="translate(${labelX},${baseline + 30}) rotate(20)" font-size="10">${escapeXml(
        `${row.name}${row.lowerIsBetter ? " ↓" : ""}`,
      )}</text>`,
      `<text transform="translate(${labelX},${baseline + 42}) rotate(20)" font-size="9" fill="#555">${escapeXml(row.unit)}</text>`,
    );
  });
  parts.push("</svg>");
  return `${parts.join("\n")}\n`;
}
