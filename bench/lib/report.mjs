// Turns bench rows into the markdown report (with targets marked PASS/FAIL) and a hand-written SVG bar chart.

const fmt = (n, digits = 0) => (typeof n === 'number' && Number.isFinite(n) ? n.toFixed(digits) : '–');
const ratio = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? a / b : NaN);
const x = (r) => (Number.isFinite(r) ? `${r.toFixed(2)}x` : '–');

/** Checks the three targets for fn-run; each is { text, status: PASS | FAIL | n/a, detail }. */
export function targets(rows) {
  const by = (id) => rows.find((r) => r.id === id);
  const fn = by('fn-run');
  const fy = by('fastify');
  const nh = by('node-http');
  const check = (ok, detail) => ({ status: ok === null ? 'n/a' : ok ? 'PASS' : 'FAIL', detail });
  const have = (v) => Number.isFinite(v);
  const rpsGet = ratio(fn?.get?.rps, fy?.get?.rps);
  const rpsPost = ratio(fn?.post?.rps, fy?.post?.rps);
  const cold = ratio(fn?.coldMs, nh?.coldMs);
  const rss = ratio(fn?.rssMiB, nh?.rssMiB);
  return [
    { text: 'fn-run req/s ≥ 0.85x bare fastify (GET and POST)',
      ...check(have(rpsGet) && have(rpsPost) ? rpsGet >= 0.85 && rpsPost >= 0.85 : null, `GET ${x(rpsGet)}, POST ${x(rpsPost)}`) },
    { text: 'fn-run cold start ≤ 1.3x bare node:http',
      ...check(have(cold) ? cold <= 1.3 : null, x(cold)) },
    { text: 'fn-run RSS after load ≤ 1.3x bare node:http',
      ...check(have(rss) ? rss <= 1.3 : null, x(rss)) },
  ];
}

export function markdown(rows, meta, opts) {
  const fy = rows.find((r) => r.id === 'fastify');
  const nh = rows.find((r) => r.id === 'node-http');
  const out = [];
  out.push('# HTTP benchmark: fn-run vs peers', '');
  out.push('## Targets', '');
  for (const t of targets(rows)) out.push(`- **${t.status}** ${t.text}: ${t.detail}`);
  const fn = rows.find((r) => r.id === 'fn-run');
  const cpuGet = ratio(fn?.get?.cpuUs, fy?.get?.cpuUs);
  const cpuPost = ratio(fn?.post?.cpuUs, fy?.post?.cpuUs);
  if (Number.isFinite(cpuGet) || Number.isFinite(cpuPost)) {
    // req/s on a shared machine can pass or fail by luck; CPU per request says what a request costs.
    out.push(`- cross-check (not a target): fn-run server CPU per request vs bare fastify: GET ${x(cpuGet)}, POST ${x(cpuPost)}; ` +
      `0.85x of fastify's req/s needs at most ~1.18x when the server is the bottleneck`);
  }
  out.push('');
  out.push(`Date: ${meta.date} · Node ${meta.node} · ${meta.cores} cores (${meta.cpu}) · ` +
    `autocannon ${meta.autocannon}, ${opts.connections} connections, ${opts.warmupSec} s warm-up + ${opts.durationSec} s per case, best of ${opts.rounds} rounds · ` +
    `cold start = median of ${opts.spawns} spawns (spawn → first 2xx, polled every 5 ms)`, '');
  out.push('Versions: ' + rows.map((r) => `${r.name} ${r.version}`).join(' · '), '');
  out.push('| subject | GET req/s | GET p50 / p99 ms | POST CE req/s | POST p50 / p99 ms | req/s vs fastify (GET / POST) | server CPU µs/req (GET / POST) | CPU/req vs fastify (GET / POST) | cold start ms | cold vs node:http | RSS MiB | RSS vs node:http | notes |');
  out.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|');
  for (const r of rows) {
    const lat = (c) => (c ? `${fmt(c.p50)} / ${fmt(c.p99)}` : '–');
    out.push(`| ${r.name} | ${fmt(r.get?.rps)} | ${lat(r.get)} | ${fmt(r.post?.rps)} | ${lat(r.post)} | ` +
      `${x(ratio(r.get?.rps, fy?.get?.rps))} / ${x(ratio(r.post?.rps, fy?.post?.rps))} | ` +
      `${fmt(r.get?.cpuUs, 1)} / ${fmt(r.post?.cpuUs, 1)} | ${x(ratio(r.get?.cpuUs, fy?.get?.cpuUs))} / ${x(ratio(r.post?.cpuUs, fy?.post?.cpuUs))} | ` +
      `${fmt(r.coldMs, 1)} | ${x(ratio(r.coldMs, nh?.coldMs))} | ${fmt(r.rssMiB, 1)} | ${x(ratio(r.rssMiB, nh?.rssMiB))} | ` +
      `${r.notes.join('; ').replace(/\|/g, '\\|') || ''} |`);
  }
  out.push('');
  out.push('Load generator and servers share the same machine (and its cores): compare subjects within one run, not across machines. ' +
    'req/s and latencies come from the best of the rounds for each case (outside load only lowers req/s). ' +
    'RSS is VmRSS of the server process (plus any processes it forked) right after the POST load, highest of the rounds. ' +
    'Server CPU µs/req is the CPU time (user + system, all threads) the server process spent per request during the measured run, read from /proc, lowest of the rounds: ' +
    'it is what a request costs the server, and other work on a shared machine moves it far less than req/s (a CPU/req ratio of 1.18x to fastify is what 0.85x of its req/s needs when the server is the bottleneck).', '');
  return out.join('\n');
}

/** Grouped bar chart: req/s per subject, one bar for GET and one for POST. */
export function svg(rows) {
  const W = 720, H = 360, left = 70, bottom = 70, top = 40, right = 20;
  const plotW = W - left - right, plotH = H - top - bottom;
  const max = Math.max(1, ...rows.flatMap((r) => [r.get?.rps ?? 0, r.post?.rps ?? 0]));
  const step = 10 ** Math.floor(Math.log10(max)) / (max / 10 ** Math.floor(Math.log10(max)) < 3 ? 2 : 1);
  const yMax = Math.ceil(max / step) * step;
  const y = (v) => Math.round((top + plotH - (v / yMax) * plotH) * 10) / 10;
  const group = plotW / rows.length, bar = Math.min(40, group / 3);
  const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="22" text-anchor="middle" font-size="15">HTTP requests/s (higher is better)</text>`,
  ];
  for (let v = 0; v <= yMax; v += step) {
    parts.push(`<line x1="${left}" x2="${W - right}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/>`,
      `<text x="${left - 6}" y="${y(v) + 4}" text-anchor="end">${v}</text>`);
  }
  rows.forEach((r, i) => {
    const cx = left + group * i + group / 2;
    [['get', '#4878d0', -bar - 2], ['post', '#ee854a', 2]].forEach(([k, color, dx]) => {
      const v = r[k]?.rps;
      if (!Number.isFinite(v)) {
        parts.push(`<text x="${cx + dx + bar / 2}" y="${y(0) - 4}" text-anchor="middle" fill="#c00">err</text>`);
        return;
      }
      parts.push(`<rect x="${cx + dx}" y="${y(v)}" width="${bar}" height="${y(0) - y(v)}" fill="${color}"><title>${esc(r.name)} ${k.toUpperCase()}: ${Math.round(v)} req/s</title></rect>`,
        `<text x="${cx + dx + bar / 2}" y="${y(v) - 4}" text-anchor="middle" font-size="10">${Math.round(v)}</text>`);
    });
    parts.push(`<text x="${cx}" y="${H - bottom + 18}" text-anchor="middle">${esc(r.name)}</text>`);
  });
  parts.push(`<line x1="${left}" x2="${W - right}" y1="${y(0)}" y2="${y(0)}" stroke="#333"/>`,
    `<rect x="${left}" y="${H - 28}" width="12" height="12" fill="#4878d0"/><text x="${left + 18}" y="${H - 18}">GET /</text>`,
    `<rect x="${left + 90}" y="${H - 28}" width="12" height="12" fill="#ee854a"/><text x="${left + 108}" y="${H - 18}">POST binary CloudEvent</text>`,
    '</svg>', '');
  return parts.join('\n');
}
