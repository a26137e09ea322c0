/**
 * Delimited text (CSV, TSV) in the RFC 4180 style every producer here meets: pandas `to_csv`, Python's csv module,
 * spreadsheets, and language models writing tables. One scanner for readers and one field quoter for writers.
 */

export interface CsvRecord {
  fields: string[];
  /** 1-based line the record starts on. */
  line: number;
}

export interface CsvScan {
  records: CsvRecord[];
  /** Strict mode only: the first place the text breaks the quoting rules; `records` then holds the ones before it. */
  problem?: string;
}

/**
 * Records of `text`, split at `delimiter` and newlines. A field that starts with `"` is quoted: it may hold the
 * delimiter, newlines and `""` for a quote. CRLF ends a line like LF; blank lines are not records. `strict` (a
 * validator's reading) refuses a quote inside an unquoted field and a quoted field never closed, and drops a lone CR
 * outside quotes; otherwise (a loader's reading) the quote and the CR are kept as text and an unclosed quoted field
 * runs to the end.
 */
export function scanCsv(text: string, delimiter: string, { strict = false }: { strict?: boolean } = {}): CsvScan {
  const records: CsvRecord[] = [];
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1;
  let recordLine = 1;
  let quoteLine = 1;
  let atFieldStart = true;
  const endRecord = () => {
    fields.push(field);
    if (!(fields.length === 1 && fields[0] === '')) records.push({ fields, line: recordLine });
    fields = [];
    field = '';
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text.charAt(i);
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else {
        if (ch === '\n') line++;
        field += ch;
      }
      continue;
    }
    if (ch === '"' && atFieldStart) {
      quoted = true;
      quoteLine = line;
      atFieldStart = false;
      continue;
    }
    if (ch === delimiter) {
      fields.push(field);
      field = '';
      atFieldStart = true;
      continue;
    }
    if (ch === '\r' && (strict || text[i + 1] === '\n')) continue;
    if (ch === '\n') {
      endRecord();
      line++;
      recordLine = line;
      atFieldStart = true;
      continue;
    }
    if (ch === '"' && strict) {
      return {
        records,
        problem: `line ${line}: a quote '"' inside an unquoted field; quote the whole field and double inner quotes ("")`,
      };
    }
    field += ch;
    atFieldStart = false;
  }
  if (quoted && strict) return { records, problem: `line ${quoteLine}: quoted field is never closed` };
  endRecord();
  return { records };
}

/** `value` as one CSV field: quoted (inner quotes doubled) when it holds a comma, a quote or a line break. */
export function csvField(value: string | number): string {
  const s = String(value);
  return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}
