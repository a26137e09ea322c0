// Executes a SPICE netlist with ngspice (the Debian `ngspice` package) for a DC operating point: a netlist that
// parses (spice.ts) can still be a circuit that does not simulate; the simulator's own message then goes back to
// the formalizer for repair.
//
// Safety: netlists come from a model, so anything that could reach the file system or a shell is refused before
// ngspice sees it (control blocks, includes/libraries, file-backed models, shell/file commands), the deck is
// rebuilt with only our `.op` analysis, and ngspice runs in batch mode in an empty temporary directory with an
// empty HOME (no .spiceinit), a minimal environment and a timeout.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { looksLikeCard } from './spice.ts';

export interface OpPoint {
  /** Node name (lower case, as ngspice prints it) → volts; ground "0" is 0. */
  nodes: Record<string, number>;
  /** Voltage-source name (lower case, e.g. "v1") → branch current in amperes (ngspice sign: into the + terminal). */
  branches: Record<string, number>;
}

export type SimResult = { ok: true; op: OpPoint } | { ok: false; error: string; unavailable?: true };

/** Lines that would let a netlist touch files or run commands, with why they are refused. */
const REFUSED: Array<[RegExp, string]> = [
  [/^\s*\.(control|endc)\b/i, '.control blocks run simulator commands (shell, file writes) and are not allowed'],
  [/^\s*\.(include|inc|lib)\b/i, 'includes and libraries read files and are not allowed; write the models inline'],
  [
    /^\s*(shell|system|write|wrdata|wrs2p|wrnodev|source|cd|load|exec|setcs|sysinfo|edit|rusage|listing|codemodel|use)\b/i,
    'simulator commands are not allowed in a netlist',
  ],
  [/^\s*!/, 'shell escapes are not allowed in a netlist'],
  [/\b(file|filename|infile|outfile)\s*=/i, 'file-backed models and sources are not allowed'],
];

/** The first refused line, as a one-line message naming it, or null when the netlist is safe to run. */
export function refuseUnsafeNetlist(netlist: string): string | null {
  const lines = netlist.replace(/\r\n?/g, '\n').split('\n');
  for (let i = 0; i < lines.length; i++) {
    for (const [re, why] of REFUSED)
      if (re.test(lines[i]!)) return `line ${i + 1} ('${lines[i]!.trim().slice(0, 60)}'): ${why}`;
  }
  return null;
}

/** Analyses and output cards are dropped: the simulator runs only the `.op` we append. */
const DROPPED = /^\s*\.(end|op|tran|ac|dc|tf|noise|disto|pz|sens|four|print|plot|probe|save|meas|measure|step)\b/i;

/** The deck ngspice runs: a title line, the circuit cards, `.op`, `.end`. */
export function opDeck(netlist: string): string {
  const lines = netlist.replace(/\r\n?/g, '\n').split('\n');
  // SPICE ignores everything after `.end`; so does the deck.
  const end = lines.findIndex((l) => /^\s*\.end\b/i.test(l));
  const body = (end < 0 ? lines : lines.slice(0, end)).filter((l) => !DROPPED.test(l));
  // ngspice always reads the first line as the title: keep the netlist's own (a comment, or a first line that is not
  // a card, as spice.ts reads it), else add one so the first card is not swallowed.
  const first = body.find((l) => l.trim() !== '');
  const title =
    first !== undefined && (/^\s*\*/.test(first) || !looksLikeCard(first.trim())) ? [] : ['* r1ov operating point'];
  return [...title, ...body, '.op', '.end', ''].join('\n');
}

let found: string | null | undefined;
/** The ngspice binary: R1OV_NGSPICE, else `ngspice` on PATH; null when absent. */
export function ngspiceBinary(): string | null {
  if (process.env.R1OV_NGSPICE) return process.env.R1OV_NGSPICE;
  if (found !== undefined) return found;
  const r = spawnSync('ngspice', ['--version'], {
    encoding: 'utf8',
    timeout: 10_000,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
  });
  found = r.status === 0 ? 'ngspice' : null;
  return found;
}

/** The simulator's complaint, one line: the first error, else the first singular-matrix/convergence warning. */
function simulatorMessage(out: string): string | null {
  const lines = out
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const err = lines.find((l) => /^error\b|\berror:|fatal/i.test(l) && !/^no\. of data rows/i.test(l));
  if (err) return err.replace(/\s+/g, ' ').slice(0, 300);
  const warn = lines.find((l) =>
    /singular matrix|timestep too small|no convergence|gmin stepping failed|source stepping failed/i.test(l),
  );
  return warn ? warn.replace(/\s+/g, ' ').slice(0, 300) : null;
}

/** Parse ngspice's batch `.op` listing: the Node/Voltage table and the Source/Current table. */
export function parseOpListing(stdout: string): OpPoint | null {
  const nodes: Record<string, number> = { '0': 0 };
  const branches: Record<string, number> = {};
  let section: 'none' | 'nodes' | 'sources' = 'none';
  let seen = false;
  for (const raw of stdout.split('\n')) {
    const l = raw.trim();
    if (/^Node\s+Voltage$/i.test(l)) {
      section = 'nodes';
      seen = true;
      continue;
    }
    if (/^Source\s+Current$/i.test(l)) {
      section = 'sources';
      continue;
    }
    if (l === '' || /^-+(\s+-+)?$/.test(l)) continue;
    const m = l.match(/^(\S+)\s+([+-]?\d[\d.]*(?:e[+-]?\d+)?)$/i);
    if (!m) {
      if (section !== 'none' && !/^-/.test(l)) section = 'none';
      continue;
    }
    const value = Number(m[2]);
    if (section === 'nodes') nodes[m[1]!.toLowerCase().replace(/^v\((.*)\)$/, '$1')] = value;
    else if (section === 'sources') {
      const b = m[1]!.toLowerCase().match(/^(.*)#branch$/);
      if (b) branches[b[1]!] = value;
    }
  }
  return seen ? { nodes, branches } : null;
}

/**
 * A DC operating point of the netlist, or the reason it cannot be had: refused (unsafe line), failed (the
 * simulator's message), or unavailable (no ngspice on this machine: the check is skipped, not failed).
 */
export async function simulateOp(netlist: string, opts: { timeoutMs?: number } = {}): Promise<SimResult> {
  const refused = refuseUnsafeNetlist(netlist);
  if (refused) return { ok: false, error: `netlist refused: ${refused}` };
  const bin = ngspiceBinary();
  if (!bin) return { ok: false, error: 'ngspice is not installed (apt-get install ngspice)', unavailable: true };
  const dir = await mkdtemp(join(tmpdir(), 'r1ov-spice-'));
  try {
    await writeFile(join(dir, 'deck.cir'), opDeck(netlist));
    const timeoutMs = opts.timeoutMs ?? 10_000;
    const { code, stdout, stderr, timedOut } = await new Promise<{
      code: number | null;
      stdout: string;
      stderr: string;
      timedOut: boolean;
    }>((resolve, reject) => {
      const child = spawn(bin, ['-b', 'deck.cir'], {
        cwd: dir,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, LANG: 'C' },
      });
      let out = '';
      let err = '';
      let killed = false;
      child.stdout.on('data', (d: Buffer) => {
        if (out.length < 1_000_000) out += d.toString('utf8');
      });
      child.stderr.on('data', (d: Buffer) => {
        if (err.length < 1_000_000) err += d.toString('utf8');
      });
      const t = setTimeout(() => {
        killed = true;
        child.kill('SIGKILL');
      }, timeoutMs);
      child.on('error', (e) => {
        clearTimeout(t);
        reject(e);
      });
      child.on('close', (c) => {
        clearTimeout(t);
        resolve({ code: c, stdout: out, stderr: err, timedOut: killed });
      });
    });
    if (timedOut) return { ok: false, error: `ngspice did not finish the operating point within ${timeoutMs} ms` };
    const message = simulatorMessage(`${stderr}\n${stdout}`);
    const op = parseOpListing(stdout);
    if (code !== 0 || message || !op) {
      return {
        ok: false,
        error: `the circuit does not simulate: ${message ?? (code !== 0 ? `ngspice exited with ${code}` : 'no operating point in the output')}`,
      };
    }
    return { ok: true, op };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
