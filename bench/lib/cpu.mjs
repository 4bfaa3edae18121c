// CPU time of a process from /proc: a measure that other work on a shared machine disturbs far less
// than requests/s (it counts only the cycles the server itself spent, in user and kernel mode).
import { readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100; // USER_HZ on Linux (sysconf(_SC_CLK_TCK)); /proc reports CPU time in these ticks

/** utime + stime of the process (all its threads) in ms, or NaN when /proc cannot tell (not Linux, process gone). */
export function cpuMs(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces and parentheses): state is field 3, utime 14, stime 15.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(rest[11]) + Number(rest[12])) * 1000) / TICKS_PER_SECOND;
  } catch {
    return NaN;
  }
}
