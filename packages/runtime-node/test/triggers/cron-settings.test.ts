import { describe, expect, it } from 'vitest';
import { ConfigError, parseSettings } from '../../src/config/settings.js';
import { CRON_SETTINGS, readCronConfig } from '../../src/triggers/cron/cron-settings.js';

function read(argv: string[], env: Record<string, string> = {}) {
  const { values, sources } = parseSettings(CRON_SETTINGS, argv, env);
  return readCronConfig(values, sources);
}

describe('cron settings', () => {
  it('is undefined without a schedule', () => {
    expect(read([])).toBeUndefined();
  });

  it('takes one expression per --cron, commas and spaces included, and names', () => {
    const c = read(['--cron', '0,30 * * * *', '--cron', 'nightly=0 3 * * *', '--cron', '@hourly'])!;
    expect(c.schedules).toEqual([
      { name: '0,30 * * * *', expression: '0,30 * * * *', origin: '--cron' },
      { name: 'nightly', expression: '0 3 * * *', origin: '--cron' },
      { name: '@hourly', expression: '@hourly', origin: '--cron' },
    ]);
    expect(c.policy).toBe('Allow');
    expect(c.data).toBeUndefined();
  });

  it('reads FNKIT_CRON one schedule per line, and the policy, zone and data from the environment', () => {
    const c = read([], { FNKIT_CRON: '*/10 * * * * *\n0 9 * * 1-5\n', FNKIT_CRON_POLICY: 'Forbid', FNKIT_CRON_TZ: 'Europe/Berlin', FNKIT_CRON_DATA: '{"job":"report"}' })!;
    expect(c.schedules.map((s) => s.expression)).toEqual(['*/10 * * * * *', '0 9 * * 1-5']);
    expect(c.schedules[0]!.origin).toBe('FNKIT_CRON');
    expect(c.policy).toBe('Forbid');
    expect(c.timezone).toBe('Europe/Berlin');
    expect(c.data).toEqual({ value: { job: 'report' }, contentType: 'application/json' });
  });

  it('takes data that is not JSON as text', () => {
    expect(read(['--cron', '@daily', '--cron-data', 'clean up'])!.data).toEqual({ value: 'clean up', contentType: 'text/plain; charset=utf-8' });
    expect(read(['--cron', '@daily', '--cron-data', '42'])!.data).toEqual({ value: 42, contentType: 'application/json' });
  });

  it('names the bad setting', () => {
    expect(() => read(['--cron', '@daily', '--cron-policy', 'Sometimes'])).toThrow(/--cron-policy="Sometimes" is not valid: expected one of Allow, Forbid, Replace/);
    expect(() => read(['--cron', '@daily', '--cron-tz', 'Nowhere/Land'])).toThrow(/--cron-tz="Nowhere\/Land" is not a time zone/);
    expect(() => read(['--cron-data', '{}'])).toThrow(ConfigError);
    expect(() => read(['--cron-data', '{}'])).toThrow(/--cron-data is given without a schedule/);
    expect(() => read(['--cron', 'a=@daily', '--cron', 'a=@hourly'])).toThrow(/name "a" is given twice/);
    expect(() => read(['--cron'])).toThrow(/--cron needs a value/);
    expect(() => read(['--cron-policy', 'Forbid'])).toThrow(/--cron-policy is given without a schedule/);
  });
});
