import { ConfigError, type SettingSpec } from '../../config/settings.js';

/**
 * The cron trigger's settings (`--cron*` flags, `FNKIT_CRON*` environment) and their validation.
 * Must not import croner: this file is read on every start, cron or not. The expressions themselves
 * are checked by croner when the adapters are created (still before the runtime listens).
 *
 * A cron expression contains spaces and commas, so `--cron` takes one expression per flag (repeat
 * the flag for more) and FNKIT_CRON holds one expression per line.
 */

export const CRON_POLICIES = ['Allow', 'Forbid', 'Replace'] as const;
export type CronPolicy = (typeof CRON_POLICIES)[number];

export const CRON_SETTINGS: readonly SettingSpec[] = [
  { key: 'cronSchedules', flag: 'cron', env: ['FNKIT_CRON'], type: 'list', separator: '\n', description: "cron schedule: 5 or 6 fields or @hourly etc.; `name=<expr>` names it (repeatable; one per line in the env)" },
  { key: 'cronTimezone', flag: 'cron-tz', env: ['FNKIT_CRON_TZ'], type: 'string', description: 'IANA time zone of the cron schedules, e.g. Europe/Berlin (default: UTC)' },
  { key: 'cronData', flag: 'cron-data', env: ['FNKIT_CRON_DATA'], type: 'string', description: 'event data of each tick: JSON (sent as application/json) or else text (text/plain)' },
  { key: 'cronPolicy', flag: 'cron-policy', env: ['FNKIT_CRON_POLICY'], type: 'enum', values: CRON_POLICIES, default: 'Allow', description: 'a tick while the previous one still runs: Allow runs both, Forbid skips the new one, Replace cancels the old one (its context.signal aborts) and runs the new one' },
];

export interface CronSchedule {
  /** The trigger's name: the part before `=` when given, else the expression. */
  name: string;
  expression: string;
  /** Where it came from, for error messages: `--cron` or `FNKIT_CRON`. */
  origin: string;
}

export interface CronConfig {
  schedules: CronSchedule[];
  timezone?: string;
  /** The tick's event data: undefined for none. */
  data?: { value: unknown; contentType: string };
  policy: CronPolicy;
}

const NAMED = /^([A-Za-z][A-Za-z0-9_.-]*)\s*=\s*(.+)$/;

/** The cron settings, or undefined when no `--cron` / FNKIT_CRON is given. Throws ConfigError. */
export function readCronConfig(values: Record<string, unknown>, sources: Record<string, string>): CronConfig | undefined {
  const given = (values.cronSchedules as string[] | undefined) ?? [];
  const origin = sources.cronSchedules ?? '--cron';
  if (given.length === 0) {
    for (const key of ['cronTimezone', 'cronData', 'cronPolicy'] as const) {
      if (values[key] !== undefined && sources[key] !== 'default') {
        throw new ConfigError(`${sources[key]} is given without a schedule: add --cron '<expression>' (or FNKIT_CRON)`);
      }
    }
    return undefined;
  }
  const schedules = given.map((entry) => parseSchedule(entry, origin));
  const names = new Set<string>();
  for (const s of schedules) {
    if (names.has(s.name)) throw new ConfigError(`${origin}: the schedule name ${JSON.stringify(s.name)} is given twice; give each schedule its own name (name=<expression>)`);
    names.add(s.name);
  }
  const timezone = values.cronTimezone as string | undefined;
  if (timezone !== undefined) checkTimezone(timezone, sources.cronTimezone ?? '--cron-tz');
  const raw = values.cronData as string | undefined;
  return {
    schedules,
    timezone,
    data: raw === undefined ? undefined : cronData(raw),
    policy: (values.cronPolicy as CronPolicy | undefined) ?? 'Allow',
  };
}

/** `@hourly`, `*\/5 * * * *`, or `name=<expression>`. */
export function parseSchedule(entry: string, origin: string): CronSchedule {
  const text = entry.trim();
  if (text === '') throw new ConfigError(`${origin}: an empty cron schedule; give e.g. '*/5 * * * *' or @hourly`);
  const m = NAMED.exec(text);
  // `name=expr`; an expression itself never contains '=' so this cannot misread one.
  if (m) return { name: m[1]!, expression: m[2]!.trim(), origin };
  return { name: text, expression: text, origin };
}

/** JSON when it parses as JSON (objects, arrays, numbers, quoted strings, true/false/null), else text. */
export function cronData(raw: string): { value: unknown; contentType: string } {
  try {
    return { value: JSON.parse(raw) as unknown, contentType: 'application/json' };
  } catch {
    return { value: raw, contentType: 'text/plain; charset=utf-8' };
  }
}

function checkTimezone(tz: string, origin: string): void {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
  } catch {
    throw new ConfigError(`${origin}=${JSON.stringify(tz)} is not a time zone this Node knows: use an IANA name such as UTC, Europe/Berlin or America/New_York`);
  }
}
