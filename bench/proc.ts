/** What the benchmark scripts read of a process from /proc (Linux): CPU clock ticks and resident memory. */
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat's CPU fields (USER_HZ: 100 on Linux). */
export const TICKS_PER_SECOND = 100;

/** The fields of /proc/<pid>/stat after the command name (which may hold spaces): state is [0], ppid [1]. */
const statFields = (pid: number) => readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');

/** utime + stime + cutime + cstime of one process: its own CPU and that of the children it has reaped. */
export function cpuTicks(pid: number): number {
  const f = statFields(pid);
  return Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
}

/**
 * CPU ticks of a process and all its live descendants (exited children's time moves into the parent's cutime and
 * cstime, so PostgreSQL's short-lived backends are counted either way).
 */
export function treeCpuTicks(pid: number): number {
  const kids = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const ppid = Number(statFields(Number(name))[1]);
      kids.set(ppid, [...(kids.get(ppid) ?? []), Number(name)]);
    } catch {
      /* exited while we looked */
    }
  }
  let sum = 0;
  for (const stack = [pid]; stack.length;) {
    const p = stack.pop()!;
    try {
      sum += cpuTicks(p);
    } catch {
      /* exited while we looked */
    }
    stack.push(...(kids.get(p) ?? []));
  }
  return sum;
}

const statusMb = (pid: number, field: 'VmRSS' | 'VmHWM') =>
  Number(new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

/** Resident memory now, in MB (MiB). Throws once the process is gone. */
export const rssMb = (pid: number): number => statusMb(pid, 'VmRSS');

/** The largest resident memory the process has had, in MB (MiB). */
export const peakRssMb = (pid: number): number => statusMb(pid, 'VmHWM');
