// A small LaTeX-aware expression parser and numeric evaluator. It exists so that
// equivalence can be decided without sympy: constants are compared numerically and
// expressions with variables by numeric identity at a few fixed pseudo-random points.
// Everything here is bounded (token count, recursion depth) and reports failure by
// returning null, never by throwing to the caller.

export type Node =
  | { k: 'num'; v: number }
  | { k: 'var'; name: string }
  | { k: 'neg'; a: Node }
  | { k: 'bin'; op: '+' | '-' | '*' | '/' | '^'; a: Node; b: Node }
  | { k: 'fn'; name: string; a: Node; b?: Node };

type Tok =
  { t: 'num'; v: number; raw: string } | { t: 'id'; v: string } | { t: 'cmd'; v: string } | { t: 'op'; v: string };

const MAX_TOKENS = 400;
const MAX_DEPTH = 60;

// Names recognised without a backslash too ("sqrt(2)", "sin x"): longest first so "sinh" beats "sin".
const PLAIN_FUNCS = [
  'arcsin',
  'arccos',
  'arctan',
  'sqrt',
  'sinh',
  'cosh',
  'tanh',
  'sin',
  'cos',
  'tan',
  'cot',
  'sec',
  'csc',
  'log',
  'exp',
  'ln',
  'pi',
];
export const KNOWN_WORDS = new Set(PLAIN_FUNCS);

const UNARY_FUNCS = new Set([
  'sin',
  'cos',
  'tan',
  'cot',
  'sec',
  'csc',
  'arcsin',
  'arccos',
  'arctan',
  'sinh',
  'cosh',
  'tanh',
  'ln',
  'log',
  'exp',
  'lg',
]);
const GREEK = new Set([
  'alpha',
  'beta',
  'gamma',
  'delta',
  'epsilon',
  'varepsilon',
  'zeta',
  'eta',
  'theta',
  'vartheta',
  'iota',
  'kappa',
  'lambda',
  'mu',
  'nu',
  'xi',
  'rho',
  'sigma',
  'tau',
  'upsilon',
  'phi',
  'varphi',
  'chi',
  'psi',
  'omega',
  'Gamma',
  'Delta',
  'Theta',
  'Lambda',
  'Xi',
  'Sigma',
  'Phi',
  'Psi',
  'Omega',
]);
const MUL_CMDS = new Set(['cdot', 'times', 'ast']);
const IGNORED_CMDS = new Set([
  'left',
  'right',
  'displaystyle',
  'bigl',
  'bigr',
  'Bigl',
  'Bigr',
  'big',
  'Big',
  'mathrm',
  'text',
  'mathit',
  'mathbf',
]);

class Fail extends Error {}

function tokenize(s: string): Tok[] | null {
  const out: Tok[] = [];
  let i = 0;
  const n = s.length;
  while (i < n) {
    if (out.length > MAX_TOKENS) return null;
    const c = s.charAt(i);
    const code = s.charCodeAt(i);
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    if (
      (code >= 48 && code <= 57) ||
      (c === '.' && i + 1 < n && s.charCodeAt(i + 1) >= 48 && s.charCodeAt(i + 1) <= 57)
    ) {
      let j = i;
      while (j < n && s.charCodeAt(j) >= 48 && s.charCodeAt(j) <= 57) j++;
      if (s[j] === '.') {
        j++;
        while (j < n && s.charCodeAt(j) >= 48 && s.charCodeAt(j) <= 57) j++;
      }
      // Scientific notation only when the exponent digits follow immediately ("2e3"), so "2e" stays 2·e.
      const m = /^[eE][+-]?\d+/.exec(s.slice(j, j + 8));
      if (m) j += m[0].length;
      const raw = s.slice(i, j);
      out.push({ t: 'num', v: Number(raw), raw });
      i = j;
      continue;
    }
    if (c === '\\') {
      const m = /^\\([a-zA-Z]+)/.exec(s.slice(i, i + 20));
      if (m) {
        const [whole, name = ''] = m;
        i += whole.length;
        if (!IGNORED_CMDS.has(name)) out.push({ t: 'cmd', v: name });
        continue;
      }
      const nx = s[i + 1];
      if (nx === '{' || nx === '}') {
        out.push({ t: 'op', v: nx === '{' ? '(' : ')' });
        i += 2;
        continue;
      }
      if (nx === ',' || nx === ';' || nx === '!' || nx === ' ' || nx === ':') {
        i += 2;
        continue;
      }
      if (nx === '%') {
        out.push({ t: 'op', v: '%' });
        i += 2;
        continue;
      }
      return null;
    }
    if ((code >= 65 && code <= 90) || (code >= 97 && code <= 122)) {
      let fn: string | undefined;
      for (const f of PLAIN_FUNCS)
        if (s.startsWith(f, i)) {
          fn = f;
          break;
        }
      if (fn) {
        out.push({ t: 'cmd', v: fn });
        i += fn.length;
        continue;
      }
      out.push({ t: 'id', v: c });
      i++;
      continue;
    }
    if ('+-*/^_()[]{}|!%'.includes(c)) {
      out.push({ t: 'op', v: c });
      i++;
      continue;
    }
    if (c === "'") {
      out.push({ t: 'op', v: "'" });
      i++;
      continue;
    }
    return null;
  }
  return out;
}

class Parser {
  private p = 0;
  private depth = 0;
  constructor(private toks: Tok[]) {}

  parse(): Node {
    const e = this.expr();
    if (this.p !== this.toks.length) throw new Fail();
    return e;
  }

  private peek(): Tok | undefined {
    return this.toks[this.p];
  }
  private isOp(v: string, t = this.peek()): boolean {
    return t !== undefined && t.t === 'op' && t.v === v;
  }
  private expect(v: string): void {
    if (!this.isOp(v)) throw new Fail();
    this.p++;
  }

  private enter(): void {
    if (++this.depth > MAX_DEPTH) throw new Fail();
  }

  private expr(): Node {
    this.enter();
    let left = this.unary();
    for (;;) {
      const t = this.peek();
      if (t && t.t === 'op' && (t.v === '+' || t.v === '-')) {
        this.p++;
        left = { k: 'bin', op: t.v, a: left, b: this.unary() };
      } else break;
    }
    this.depth--;
    return left;
  }

  // A leading sign binds looser than multiplication: -2x = -(2x).
  private unary(): Node {
    const t = this.peek();
    if (this.isOp('-', t)) {
      this.p++;
      this.enter();
      const a = this.unary();
      this.depth--;
      return { k: 'neg', a };
    }
    if (this.isOp('+', t)) {
      this.p++;
      return this.unary();
    }
    return this.term();
  }

  private term(): Node {
    let left = this.power();
    for (;;) {
      const t = this.peek();
      if (!t) break;
      if (t.t === 'op' && (t.v === '*' || t.v === '/')) {
        this.p++;
        left = { k: 'bin', op: t.v, a: left, b: this.signedPower() };
      } else if (t.t === 'cmd' && MUL_CMDS.has(t.v)) {
        this.p++;
        left = { k: 'bin', op: '*', a: left, b: this.signedPower() };
      } else if (t.t === 'cmd' && t.v === 'div') {
        this.p++;
        left = { k: 'bin', op: '/', a: left, b: this.signedPower() };
      } else if (this.startsPrimary(t)) {
        left = { k: 'bin', op: '*', a: left, b: this.power() };
      } else break;
    }
    return left;
  }

  private signedPower(): Node {
    if (this.isOp('-')) {
      this.p++;
      return { k: 'neg', a: this.signedPower() };
    }
    if (this.isOp('+')) {
      this.p++;
      return this.signedPower();
    }
    return this.power();
  }

  private startsPrimary(t: Tok): boolean {
    if (t.t === 'num' || t.t === 'id') return true;
    if (t.t === 'op') return t.v === '(' || t.v === '[' || t.v === '{';
    return !MUL_CMDS.has(t.v) && t.v !== 'div' && t.v !== 'pm';
  }

  private power(): Node {
    this.enter();
    let base = this.postfix();
    if (this.isOp('^')) {
      this.p++;
      const exp = this.exponent();
      base = { k: 'bin', op: '^', a: base, b: exp };
      base = this.postfixOps(base);
    }
    this.depth--;
    return base;
  }

  private exponent(): Node {
    if (this.isOp('-')) {
      this.p++;
      return { k: 'neg', a: this.exponent() };
    }
    if (this.isOp('+')) {
      this.p++;
      return this.exponent();
    }
    if (this.isOp('{')) return this.group('{', '}');
    // Right-associative: 2^3^2 = 2^(3^2).
    return this.power();
  }

  private postfix(): Node {
    return this.postfixOps(this.primary());
  }

  private postfixOps(n: Node): Node {
    for (;;) {
      if (this.isOp('!')) {
        this.p++;
        n = { k: 'fn', name: 'fact', a: n };
      } else if (this.isOp('%')) {
        this.p++;
        n = { k: 'fn', name: 'pct', a: n };
      } else if (this.isOp("'")) {
        this.p++;
      } else return n;
    }
  }

  private group(open: string, close: string): Node {
    this.expect(open);
    this.enter();
    const e = this.expr();
    this.depth--;
    this.expect(close);
    return e;
  }

  /** A LaTeX macro argument: `{...}`, else one token (one digit of a number: `\frac12` = 1/2). */
  private arg(): Node {
    const t = this.peek();
    if (!t) throw new Fail();
    if (this.isOp('{', t)) return this.group('{', '}');
    if (t.t === 'num') {
      if (/^\d{2,}$/.test(t.raw)) {
        const rest = t.raw.slice(1);
        this.toks[this.p] = { t: 'num', v: Number(rest), raw: rest };
        return { k: 'num', v: Number(t.raw[0]) };
      }
      this.p++;
      return { k: 'num', v: t.v };
    }
    if (t.t === 'id') {
      this.p++;
      return { k: 'var', name: t.v };
    }
    if (t.t === 'cmd') return this.primary();
    throw new Fail();
  }

  private primary(): Node {
    const t = this.peek();
    if (!t) throw new Fail();
    if (t.t === 'num') {
      this.p++;
      if (!Number.isFinite(t.v)) throw new Fail();
      return { k: 'num', v: t.v };
    }
    if (t.t === 'id') {
      this.p++;
      let name = t.v;
      if (this.isOp('_')) {
        this.p++;
        name += '_' + this.subscriptName();
      }
      if (name === 'e') return { k: 'num', v: Math.E };
      return { k: 'var', name };
    }
    if (t.t === 'op') {
      if (t.v === '(') return this.group('(', ')');
      if (t.v === '[') return this.group('[', ']');
      if (t.v === '{') return this.group('{', '}');
      if (t.v === '|') {
        this.p++;
        this.enter();
        const e = this.expr();
        this.depth--;
        this.expect('|');
        return { k: 'fn', name: 'abs', a: e };
      }
      throw new Fail();
    }
    this.p++;
    const c = t.v;
    switch (c) {
      case 'frac':
      case 'dfrac':
      case 'tfrac':
      case 'cfrac': {
        const a = this.arg();
        const b = this.arg();
        return { k: 'bin', op: '/', a, b };
      }
      case 'sqrt': {
        let idx: Node | undefined;
        if (this.isOp('[')) idx = this.group('[', ']');
        const a = this.arg();
        return idx
          ? { k: 'bin', op: '^', a, b: { k: 'bin', op: '/', a: { k: 'num', v: 1 }, b: idx } }
          : { k: 'fn', name: 'sqrt', a };
      }
      case 'binom':
      case 'dbinom':
      case 'tbinom':
      case 'choose': {
        const a = this.arg();
        const b = this.arg();
        return { k: 'fn', name: 'binom', a, b };
      }
      case 'pi':
        return { k: 'num', v: Math.PI };
      case 'infty':
      case 'infin':
        return { k: 'num', v: Infinity };
      case 'circ':
        return { k: 'num', v: 1 };
      case 'abs':
        return { k: 'fn', name: 'abs', a: this.fnArg() };
    }
    if (UNARY_FUNCS.has(c)) {
      // \sin^2 x means (\sin x)^2; \log_2 8 is a base-2 logarithm.
      let pow: Node | undefined;
      let base: Node | undefined;
      if (this.isOp('^')) {
        this.p++;
        pow = this.exponent();
      }
      if (this.isOp('_')) {
        this.p++;
        base = this.arg();
      }
      const a = this.fnArg();
      let n: Node = base ? { k: 'fn', name: 'logb', a, b: base } : { k: 'fn', name: c === 'lg' ? 'log' : c, a };
      if (pow) n = { k: 'bin', op: '^', a: n, b: pow };
      return n;
    }
    if (GREEK.has(c)) {
      let name = c;
      if (this.isOp('_')) {
        this.p++;
        name += '_' + this.subscriptName();
      }
      return { k: 'var', name };
    }
    throw new Fail();
  }

  private fnArg(): Node {
    if (this.isOp('(')) return this.postfixOps(this.group('(', ')'));
    this.enter();
    const n = this.power();
    this.depth--;
    return n;
  }

  private subscriptName(): string {
    const t = this.peek();
    if (!t) throw new Fail();
    if (this.isOp('{', t)) {
      let s = '';
      this.p++;
      let guard = 0;
      while (!this.isOp('}')) {
        const u = this.peek();
        if (!u || ++guard > 20) throw new Fail();
        s += u.t === 'num' ? u.raw : u.v;
        this.p++;
      }
      this.p++;
      return s;
    }
    this.p++;
    return t.t === 'num' ? t.raw : t.v;
  }
}

/** Parses an expression; null when it is not one we understand. */
export function parseExpr(s: string): Node | null {
  const toks = tokenize(s);
  if (!toks || toks.length === 0) return null;
  try {
    return new Parser(toks).parse();
  } catch (e) {
    if (e instanceof Fail || e instanceof RangeError) return null;
    return null;
  }
}

export function collectVars(n: Node, into: Set<string>): Set<string> {
  switch (n.k) {
    case 'var':
      into.add(n.name);
      break;
    case 'neg':
      collectVars(n.a, into);
      break;
    case 'bin':
      collectVars(n.a, into);
      collectVars(n.b, into);
      break;
    case 'fn':
      collectVars(n.a, into);
      if (n.b) collectVars(n.b, into);
      break;
    default:
      break;
  }
  return into;
}

export function hasPercent(n: Node): boolean {
  switch (n.k) {
    case 'fn':
      return n.name === 'pct' || hasPercent(n.a) || (n.b !== undefined && hasPercent(n.b));
    case 'neg':
      return hasPercent(n.a);
    case 'bin':
      return hasPercent(n.a) || hasPercent(n.b);
    default:
      return false;
  }
}

/** The same expression with every `%` dropped (50% → 50), for the percent-as-number reading. */
export function stripPercent(n: Node): Node {
  switch (n.k) {
    case 'fn':
      return n.name === 'pct' ? stripPercent(n.a) : { ...n, a: stripPercent(n.a), b: n.b && stripPercent(n.b) };
    case 'neg':
      return { k: 'neg', a: stripPercent(n.a) };
    case 'bin':
      return { ...n, a: stripPercent(n.a), b: stripPercent(n.b) };
    default:
      return n;
  }
}

function factorial(x: number): number {
  if (!Number.isInteger(x) || x < 0 || x > 170) return NaN;
  let r = 1;
  for (let i = 2; i <= x; i++) r *= i;
  return r;
}

function binom(n: number, k: number): number {
  if (!Number.isInteger(n) || !Number.isInteger(k) || k < 0 || n < 0 || k > n || n > 1000) return NaN;
  let r = 1;
  for (let i = 1; i <= k; i++) r = (r * (n - k + i)) / i;
  return Math.round(r);
}

export function evaluate(n: Node, env: Record<string, number>): number {
  switch (n.k) {
    case 'num':
      return n.v;
    case 'var': {
      const v = env[n.name];
      return v === undefined ? NaN : v;
    }
    case 'neg':
      return -evaluate(n.a, env);
    case 'bin': {
      const a = evaluate(n.a, env);
      const b = evaluate(n.b, env);
      switch (n.op) {
        case '+':
          return a + b;
        case '-':
          return a - b;
        case '*':
          return a * b;
        case '/':
          return a / b;
        case '^': {
          // Odd roots of negatives stay real: (-8)^(1/3) = -2.
          if (a < 0 && !Number.isInteger(b)) {
            const inv = 1 / b;
            if (
              Number.isInteger(Math.round(inv)) &&
              Math.abs(inv - Math.round(inv)) < 1e-9 &&
              Math.round(inv) % 2 !== 0
            )
              return -Math.pow(-a, b);
          }
          return Math.pow(a, b);
        }
      }
      return NaN;
    }
    case 'fn': {
      const a = evaluate(n.a, env);
      switch (n.name) {
        case 'sqrt':
          return Math.sqrt(a);
        case 'abs':
          return Math.abs(a);
        case 'pct':
          return a / 100;
        case 'fact':
          return factorial(a);
        case 'binom':
          return binom(a, evaluate(n.b!, env));
        case 'sin':
          return Math.sin(a);
        case 'cos':
          return Math.cos(a);
        case 'tan':
          return Math.tan(a);
        case 'cot':
          return 1 / Math.tan(a);
        case 'sec':
          return 1 / Math.cos(a);
        case 'csc':
          return 1 / Math.sin(a);
        case 'arcsin':
          return Math.asin(a);
        case 'arccos':
          return Math.acos(a);
        case 'arctan':
          return Math.atan(a);
        case 'sinh':
          return Math.sinh(a);
        case 'cosh':
          return Math.cosh(a);
        case 'tanh':
          return Math.tanh(a);
        case 'ln':
          return Math.log(a);
        // Bare \log is read as the natural logarithm, as sympy does.
        case 'log':
          return Math.log(a);
        case 'logb':
          return Math.log(a) / Math.log(evaluate(n.b!, env));
        case 'exp':
          return Math.exp(a);
      }
      return NaN;
    }
  }
}
