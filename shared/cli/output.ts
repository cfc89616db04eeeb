/** Human output: aligned tables, timestamps, a progress bar for terminals. */

export function table(headers: string[], rows: (string | number | undefined | null)[][]): string {
  const cells = rows.map((r) => headers.map((_, i) => (r[i] === undefined || r[i] === null ? '' : String(r[i]))));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...cells.map(line)].join('\n');
}

/** 2026-01-01T09:05:00.000Z → 2026-01-01 09:05:00Z */
export function shortTime(iso: string | undefined): string {
  if (!iso) return '';
  return iso.replace('T', ' ').replace(/\.\d{3}Z$/, 'Z');
}

export interface Writable {
  write(s: string): unknown;
  isTTY?: boolean;
  /** Terminal width, when it is a terminal. */
  columns?: number;
}

/** A one-line bar redrawn in place; draws nothing when the stream is not a terminal. */
export class ProgressBar {
  private last = '';
  constructor(
    private readonly stream: Writable,
    private total: number,
    private readonly label: string,
    private readonly width = 30,
  ) {}

  get enabled() {
    return this.stream.isTTY === true;
  }

  update(done: number, note = ''): void {
    if (!this.enabled) return;
    const ratio = this.total > 0 ? Math.min(1, done / this.total) : 0;
    const filled = Math.round(ratio * this.width);
    const line = `${this.label} [${'#'.repeat(filled)}${'-'.repeat(this.width - filled)}] ${done}/${this.total}${note ? ` ${note}` : ''}`;
    if (line === this.last) return;
    this.last = line;
    this.stream.write(`\r\x1b[2K${line}`);
  }

  /** A total that grows while it runs (a batch's selector being expanded). */
  setTotal(total: number): void {
    this.total = total;
  }

  finish(): void {
    if (this.enabled && this.last) this.stream.write('\n');
  }
}
