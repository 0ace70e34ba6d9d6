export interface Column {
  header: string;
  /** Numbers and sizes read best right-aligned. Default left. */
  align?: 'left' | 'right';
}

/** Display width, counting code points rather than UTF-16 units so keys with emoji stay aligned. */
function width(text: string): number {
  return [...text].length;
}

function padTo(text: string, size: number, align: 'left' | 'right'): string {
  const fill = ' '.repeat(Math.max(0, size - width(text)));
  return align === 'right' ? fill + text : text + fill;
}

/**
 * An aligned plain-text table: a header row, then one line per row, columns separated by two
 * spaces. No trailing spaces, so the output diffs and greps cleanly.
 */
export function formatTable(columns: readonly Column[], rows: readonly (readonly string[])[]): string {
  const sizes = columns.map((column, i) =>
    Math.max(width(column.header), ...rows.map((row) => width(row[i] ?? ''))),
  );
  const line = (cells: readonly string[]) =>
    columns
      .map((column, i) => padTo(cells[i] ?? '', sizes[i] ?? 0, column.align ?? 'left'))
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.header)), ...rows.map(line)].join('\n');
}
