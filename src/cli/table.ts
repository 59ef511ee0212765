/** Rows under their titles, each column as wide as its widest cell: what operator commands print. */
export function formatTable<T>(
  columns: readonly (readonly [string, (row: T) => string])[],
  rows: readonly T[],
): string {
  const cells = [columns.map(([title]) => title), ...rows.map((row) => columns.map(([, cell]) => cell(row)))];
  const widths = columns.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells
    .map((r) =>
      r
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
