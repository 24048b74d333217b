/** One table of a scenario: printed as it finishes and repeated in results.md. */
export interface Table {
  caption?: string;
  headers: string[];
  rows: string[][];
}

/**
 * A Markdown table padded to even columns, so it reads as well in a terminal as
 * it renders on GitHub. Numeric-looking columns are right-aligned.
 */
export function renderTable(table: Table): string {
  const widths = table.headers.map((header, column) =>
    Math.max(header.length, ...table.rows.map((row) => (row[column] ?? '').length)),
  );
  const right = table.headers.map((_, column) =>
    table.rows.every((row) => /^[\d–-]/.test(row[column] ?? '')),
  );
  const line = (cells: string[]) =>
    `| ${cells
      .map((cell, column) => {
        const width = widths[column] ?? 0;
        return right[column] ? cell.padStart(width) : cell.padEnd(width);
      })
      .join(' | ')} |`;
  const rule = widths.map((width, column) =>
    right[column]
      ? `${'-'.repeat(Math.max(width - 1, 2))}:`
      : '-'.repeat(Math.max(width, 3)),
  );
  const caption = table.caption ? `${table.caption}\n\n` : '';
  return `${caption}${line(table.headers)}\n| ${rule.join(' | ')} |\n${table.rows
    .map((row) => line(row))
    .join('\n')}`;
}
