// HTML well-formedness with a small tag-stack checker, pure. Stricter than a browser (which repairs
// anything) so that the model's UI description has one unambiguous tree: every non-void element is
// closed and properly nested; end tags that HTML lets you omit (li, p, td, tr, option, …) may be omitted.
import { fail, ok, type ValidationResult } from './result.ts';

export interface HtmlSummary {
  elements: number;
  /** Tag name → count. */
  tags: Record<string, number>;
  maxDepth: number;
  title?: string;
  textLength: number;
  warnings: string[];
}

const VOID = new Set([
  'area',
  'base',
  'br',
  'col',
  'embed',
  'hr',
  'img',
  'input',
  'link',
  'meta',
  'param',
  'source',
  'track',
  'wbr',
]);
const RAW_TEXT = new Set(['script', 'style', 'textarea', 'title']);
const OPTIONAL_END = new Set([
  'li',
  'p',
  'dt',
  'dd',
  'tr',
  'td',
  'th',
  'option',
  'optgroup',
  'thead',
  'tbody',
  'tfoot',
  'colgroup',
  'rt',
  'rp',
  'html',
  'head',
  'body',
]);
// Starting one of these implicitly closes an open element of the listed names.
const IMPLIED_CLOSE: Record<string, string[]> = {
  li: ['li'],
  dt: ['dt', 'dd'],
  dd: ['dt', 'dd'],
  tr: ['tr', 'td', 'th'],
  td: ['td', 'th'],
  th: ['td', 'th'],
  option: ['option'],
  optgroup: ['optgroup', 'option'],
  thead: ['tbody', 'tfoot'],
  tbody: ['thead', 'tbody', 'tr', 'td', 'th'],
  tfoot: ['thead', 'tbody', 'tr', 'td', 'th'],
};
const CLOSES_P = new Set([
  'address',
  'article',
  'aside',
  'blockquote',
  'details',
  'div',
  'dl',
  'fieldset',
  'figcaption',
  'figure',
  'footer',
  'form',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'header',
  'hr',
  'main',
  'nav',
  'ol',
  'p',
  'pre',
  'section',
  'table',
  'ul',
]);
const ENTITIES = new Set(
  (
    'amp lt gt quot apos nbsp copy reg trade times divide deg plusmn micro middot hellip mdash ndash lsquo rsquo ldquo rdquo ' +
    'bull euro pound yen cent sect para laquo raquo larr rarr uarr darr harr lArr rArr hArr le ge ne asymp infin sum prod radic ' +
    'minus frac12 frac14 frac34 sup2 sup3 alpha beta gamma delta epsilon theta lambda mu pi sigma tau phi omega Alpha Beta Gamma ' +
    'Delta Theta Lambda Pi Sigma Phi Omega check cross star hearts iexcl iquest shy ensp emsp thinsp zwj zwnj lrm rlm dagger Dagger permil prime Prime oline frasl'
  ).split(' '),
);

interface Open {
  name: string;
  line: number;
  foreign: boolean;
}

export function validateHtml(text: string): ValidationResult<HtmlSummary> {
  if (typeof text !== 'string' || text.trim() === '') return fail(['HTML is empty']);
  const problems: string[] = [];
  const warnings: string[] = [];
  const stack: Open[] = [];
  const tags: Record<string, number> = {};
  let elements = 0;
  let maxDepth = 0;
  let textLength = 0;
  let title: string | undefined;
  const lineStarts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') lineStarts.push(i + 1);
  const lineOf = (pos: number) => {
    let lo = 0,
      hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lineStarts[mid]! <= pos) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
  const inForeign = () => stack.some((o) => o.foreign);

  let pos = 0;
  while (pos < text.length && problems.length < 20) {
    const lt = text.indexOf('<', pos);
    const chunk = text.slice(pos, lt < 0 ? text.length : lt);
    checkText(chunk, pos);
    if (lt < 0) break;
    pos = lt;
    const line = lineOf(pos);
    if (text.startsWith('<!--', pos)) {
      const end = text.indexOf('-->', pos + 4);
      if (end < 0) {
        problems.push(`line ${line}: comment '<!--' is never closed with '-->'`);
        break;
      }
      pos = end + 3;
      continue;
    }
    if (/^<!doctype/i.test(text.slice(pos, pos + 9)) || text.startsWith('<![CDATA[', pos)) {
      const end = text.startsWith('<![CDATA[', pos) ? text.indexOf(']]>', pos) + 2 : text.indexOf('>', pos);
      if (end < 2) {
        problems.push(`line ${line}: unterminated ${text.startsWith('<![', pos) ? 'CDATA section' : 'doctype'}`);
        break;
      }
      pos = end + 1;
      continue;
    }
    const endTag = /^<\/([A-Za-z][\w:-]*)\s*>/.exec(text.slice(pos, pos + 200));
    if (endTag) {
      closeTag(endTag[1]!.toLowerCase(), line);
      pos += endTag[0].length;
      continue;
    }
    if (text.startsWith('</', pos)) {
      problems.push(`line ${line}: malformed end tag '${clip(text.slice(pos, pos + 30))}'`);
      pos += 2;
      continue;
    }
    const nameM = /^<([A-Za-z][\w:-]*)/.exec(text.slice(pos, pos + 100));
    if (!nameM) {
      // A bare '<' in text: browsers keep it, but it is almost always a broken tag in generated HTML.
      if (/^<\s*[A-Za-z/]/.test(text.slice(pos, pos + 3)))
        problems.push(`line ${line}: malformed tag '${clip(text.slice(pos, pos + 30))}'`);
      else warnings.push(`line ${line}: bare '<' in text; write &lt;`);
      pos += 1;
      continue;
    }
    const name = nameM[1]!.toLowerCase();
    const attrs = parseAttributes(text, pos + nameM[0].length, line, problems);
    if (!attrs) break;
    pos = attrs.end;
    openTag(name, line, attrs.selfClosing);
    if (RAW_TEXT.has(name) && !attrs.selfClosing) {
      const close = text.toLowerCase().indexOf(`</${name}`, pos);
      if (close < 0) {
        problems.push(`line ${line}: <${name}> is never closed`);
        stack.pop();
        break;
      }
      const inner = text.slice(pos, close);
      if (name === 'title') title = inner.trim();
      if (name === 'title' || name === 'textarea') textLength += inner.trim().length;
      pos = close;
    }
  }
  for (const o of stack.reverse())
    if (!OPTIONAL_END.has(o.name)) problems.push(`line ${o.line}: <${o.name}> is never closed`);
  if (elements === 0 && problems.length === 0) problems.push('no HTML elements found');
  if (problems.length) return fail(problems);
  return ok({ elements, tags, maxDepth, ...(title !== undefined ? { title } : {}), textLength, warnings });

  function openTag(name: string, line: number, selfClosing: boolean) {
    elements++;
    tags[name] = (tags[name] ?? 0) + 1;
    const foreign = inForeign() || name === 'svg' || name === 'math';
    if (!foreign) {
      const implied = IMPLIED_CLOSE[name];
      if (implied) while (stack.length && implied.includes(stack.at(-1)!.name)) stack.pop();
      if (CLOSES_P.has(name) && stack.at(-1)?.name === 'p') stack.pop();
    }
    if (VOID.has(name)) return;
    if (selfClosing) {
      if (foreign) return;
      problems.push(
        `line ${line}: <${name}/> does not close itself in HTML (only void elements like <br/> do); write <${name}></${name}>`,
      );
      return;
    }
    stack.push({ name, line, foreign: foreign });
    maxDepth = Math.max(maxDepth, stack.length);
  }

  function closeTag(name: string, line: number) {
    if (VOID.has(name)) {
      problems.push(`line ${line}: </${name}> is not allowed: <${name}> is a void element and has no end tag`);
      return;
    }
    const idx = stack.map((o) => o.name).lastIndexOf(name);
    if (idx < 0) {
      problems.push(`line ${line}: </${name}> has no matching open <${name}>`);
      return;
    }
    // Elements between the match and the top must be ones whose end tag is optional.
    const between = stack.slice(idx + 1).filter((o) => !OPTIONAL_END.has(o.name) && !o.foreign);
    if (between.length) {
      const inner = between.at(-1)!;
      problems.push(
        `line ${line}: </${name}> closes <${name}> (line ${stack[idx]!.line}) while <${inner.name}> opened on line ${inner.line} is still open; close </${inner.name}> first`,
      );
    }
    stack.length = idx;
  }

  function checkText(chunk: string, base: number) {
    textLength += chunk.trim().length;
    const re = /&(#\d+|#x[0-9a-f]+|[A-Za-z][A-Za-z0-9]*)?(;)?/gi;
    let m: RegExpExecArray | null;
    while ((m = re.exec(chunk))) {
      const line = lineOf(base + m.index);
      const ref = m[1];
      if (!ref) continue; // a lone '&' followed by space/punctuation is fine in HTML
      if (ref.startsWith('#')) {
        const code = ref[1] === 'x' || ref[1] === 'X' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
        if (!m[2]) warnings.push(`line ${line}: character reference '&${ref}' should end with ';'`);
        if (!(code > 0 && code <= 0x10ffff) || (code >= 0xd800 && code <= 0xdfff))
          problems.push(`line ${line}: '&${ref};' is not a valid character`);
      } else if (m[2] && !ENTITIES.has(ref)) warnings.push(`line ${line}: unknown entity '&${ref};'`);
    }
  }
}

/** Attributes until '>' or '/>': name, name=value, name="value", name='value'. */
function parseAttributes(
  text: string,
  start: number,
  line: number,
  problems: string[],
): { end: number; selfClosing: boolean } | undefined {
  let pos = start;
  const seen = new Set<string>();
  for (;;) {
    while (pos < text.length && /\s/.test(text[pos]!)) pos++;
    if (pos >= text.length) {
      problems.push(`line ${line}: tag is never closed with '>'`);
      return undefined;
    }
    if (text[pos] === '>') return { end: pos + 1, selfClosing: false };
    if (text.startsWith('/>', pos)) return { end: pos + 2, selfClosing: true };
    const nm = /^[^\s"'>/=<]+/.exec(text.slice(pos, pos + 200));
    if (!nm) {
      problems.push(`line ${line}: unexpected '${text[pos]}' inside a tag`);
      return undefined;
    }
    const name = nm[0].toLowerCase();
    if (seen.has(name)) problems.push(`line ${line}: attribute '${name}' is repeated`);
    seen.add(name);
    pos += nm[0].length;
    while (pos < text.length && /\s/.test(text[pos]!)) pos++;
    if (text[pos] !== '=') continue;
    pos++;
    while (pos < text.length && /\s/.test(text[pos]!)) pos++;
    const q = text[pos];
    if (q === '"' || q === "'") {
      const end = text.indexOf(q, pos + 1);
      if (end < 0) {
        problems.push(`line ${line}: attribute '${name}' value opened with ${q} is never closed`);
        return undefined;
      }
      pos = end + 1;
      if (pos < text.length && !/[\s>/]/.test(text[pos]!)) {
        problems.push(`line ${line}: missing space after the value of attribute '${name}'`);
      }
    } else {
      const v = /^[^\s>]+/.exec(text.slice(pos, pos + 2000));
      if (!v) {
        problems.push(`line ${line}: attribute '${name}' has '=' but no value`);
        return undefined;
      }
      if (/["'<=`]/.test(v[0]))
        problems.push(
          `line ${line}: unquoted value '${clip(v[0])}' of attribute '${name}' contains quotes or '<' '='; quote it`,
        );
      pos += v[0].length;
    }
  }
}

function clip(s: string): string {
  return s.length > 40 ? s.slice(0, 37) + '...' : s;
}
