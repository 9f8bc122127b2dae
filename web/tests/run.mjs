// Browser tests of the three views, in Debian's Chromium driven by
// playwright-core, against a real `corridor serve` on the tutorial scenario.
//
//   node web/tests/run.mjs            (after `cargo build -p corridor-cli`)
//
// CORRIDOR_BIN names the binary (default target/debug/corridor), CHROMIUM the
// browser (default /usr/bin/chromium). Screenshots go to target/screenshots/.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { chromium } from 'playwright-core';
import qrcode from 'qrcode-generator';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const bin = process.env.CORRIDOR_BIN ?? join(repo, 'target/debug/corridor');
const browserPath = process.env.CHROMIUM ?? '/usr/bin/chromium';
const scenario = join(repo, 'examples/tutorial/scenario.toml');
const plan = join(repo, 'crates/corridor-cli/tests/data/tutorial-plan.json');
const shots = join(repo, 'target/screenshots');
mkdirSync(shots, { recursive: true });

// Every household reference of the registry, and those the tests register.
const references = readFileSync(join(repo, 'examples/tutorial/households.csv'), 'utf8')
  .split('\n').slice(2).map((l) => l.split(',')[0]).filter(Boolean);
references.push('RF-NEW-1');

function assert(cond, message) {
  if (!cond) throw new Error(message);
}

const data = mkdtempSync(join(tmpdir(), 'corridor-web-'));
const server = spawn(bin, ['serve', '--data', join(data, 'd'), '--listen', '127.0.0.1:0', scenario, plan], { stdio: ['ignore', 'pipe', 'pipe'] });
// The server and its data go whatever happens.
process.on('exit', () => {
  server.kill('SIGTERM');
  rmSync(data, { recursive: true, force: true });
});
process.on('uncaughtException', (e) => {
  console.error(e);
  process.exit(1);
});
process.on('unhandledRejection', (e) => {
  console.error(e);
  process.exit(1);
});
let serverErr = '';
server.stderr.on('data', (d) => { serverErr += d; });
const base = await new Promise((ok, fail) => {
  const timer = setTimeout(() => fail(new Error(`corridor serve did not print its URL:\n${serverErr}`)), 60000);
  createInterface({ input: server.stdout }).on('line', (line) => {
    if (/^http:\/\//.test(line.trim())) {
      clearTimeout(timer);
      ok(line.trim().replace(/\/$/, ''));
    }
  });
  server.on('exit', (c) => fail(new Error(`corridor serve exited (${c}):\n${serverErr}`)));
});

function user(name, role, site) {
  const args = ['users', 'add', name, '--role', role, '--data', join(data, 'd')];
  if (site) args.push('--site', site);
  const out = execFileSync(bin, args, { encoding: 'utf8' }).trim().split('\n');
  return out[out.length - 1].trim();
}
const tokens = {
  coordinator: user('coord', 'coordinator'),
  registrar: user('reg-market', 'registrar', 'Market square'),
  monitor: user('observer', 'monitor'),
};

async function call(path, init = {}, token = tokens.coordinator) {
  const r = await fetch(base + path, { ...init, headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' } });
  const body = await r.json();
  if (!r.ok) throw new Error(`${path}: ${r.status} ${JSON.stringify(body)}`);
  return body;
}

// Part of the day has happened: the ambulance's first trip delivered its people,
// bus-01 has picked up one household.
const amb = await call('/api/manifests/ambulance-1');
const t1 = amb.trips[0];
const seed = [];
for (const stop of t1.stops) {
  for (const h of stop.households) seed.push({ id: `seed-b-${h}`, kind: 'boarded', at: stop.departs, device: 'seed', household: h, vehicle: 'ambulance-1', trip: 1 });
}
const people = t1.households.reduce((a, h) => a + h.people, 0);
seed.push({ id: 'seed-d-amb', kind: 'departed', at: t1.stops[t1.stops.length - 1].departs, device: 'seed', vehicle: 'ambulance-1', trip: 1, headcount: people });
seed.push({ id: 'seed-a-amb', kind: 'arrived', at: t1.arrives, device: 'seed', vehicle: 'ambulance-1', trip: 1, destination: t1.destination });
const bus = await call('/api/manifests/bus-01');
const b1 = bus.trips[0];
seed.push({ id: 'seed-b-bus', kind: 'boarded', at: b1.stops[0].departs, device: 'seed', household: b1.stops[0].households[0], vehicle: 'bus-01', trip: 1 });
const seeded = await call('/api/events', { method: 'POST', body: JSON.stringify(seed) });
assert(seeded.results.every((r) => r.result === 'recorded'), `seed events: ${JSON.stringify(seeded.results)}`);

// A Market square household the plan puts on a vehicle and nobody has touched.
const timetable = await call('/api/timetables/Market%20square');
const touched = new Set(seed.map((e) => e.household));
const free = timetable.rows.flatMap((r) => r.households).filter((h) => !touched.has(h));
assert(free.length >= 4, `enough Market square households for the tests: ${free}`);

const browser = await chromium.launch({
  executablePath: browserPath,
  args: ['--no-sandbox', '--enable-unsafe-swiftshader', '--disable-background-networking'],
});

async function signedIn(role, viewport = { width: 1280, height: 800 }) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${base}/login?token=${tokens[role]}`);
  await page.waitForURL((u) => u.pathname === '/' && !u.search.includes('token'));
  return { context, page, errors };
}

/** Every button, input and select on the page has an accessible name. */
async function unnamedControls(page) {
  return page.evaluate(() => [...document.querySelectorAll('button, input, select, textarea')]
    .filter((e) => !(e.getAttribute('aria-label') || (e.labels && e.labels.length) || (e.tagName === 'BUTTON' && e.textContent.trim())))
    .map((e) => e.outerHTML.slice(0, 80)));
}

/** Text whose colour against its background is below WCAG AA (4.5:1, or 3:1 for large text). */
async function lowContrast(page) {
  return page.evaluate(() => {
    const rgb = (c) => (c.match(/[\d.]+/g) || []).map(Number);
    const lum = ([r, g, b]) => {
      const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
      return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
    };
    const background = (e) => {
      for (let n = e; n; n = n.parentElement) {
        const c = rgb(getComputedStyle(n).backgroundColor);
        if (c.length === 3 || (c.length === 4 && c[3] > 0.5)) return c.slice(0, 3);
      }
      return [255, 255, 255];
    };
    const bad = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    const seen = new Set();
    for (let t = walker.nextNode(); t; t = walker.nextNode()) {
      const e = t.parentElement;
      if (!e || seen.has(e) || !t.textContent.trim()) continue;
      seen.add(e);
      const s = getComputedStyle(e);
      if (s.visibility === 'hidden' || s.display === 'none' || e.closest('[aria-hidden="true"] .u-legend') || !e.getClientRects().length) continue;
      const fg = rgb(s.color).slice(0, 3);
      const [a, b] = [lum(fg), lum(background(e))].sort((x, y) => y - x);
      const ratio = (a + 0.05) / (b + 0.05);
      const large = parseFloat(s.fontSize) >= 24 || (parseFloat(s.fontSize) >= 18.66 && Number(s.fontWeight) >= 700);
      if (ratio < (large ? 3 : 4.5)) bad.push(`${ratio.toFixed(2)} ${e.tagName} "${t.textContent.trim().slice(0, 30)}"`);
    }
    return bad;
  });
}

async function fitsWidth(page) {
  return page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
}

const tests = [];
const test = (name, fn) => tests.push({ name, fn });

test('a coordinator sees the map and the progress chart populated', async () => {
  const { context, page, errors } = await signedIn('coordinator');
  const map = page.getByRole('region', { name: 'Operation map' });
  await map.waitFor();
  await page.locator('.label.site').first().waitFor();
  assert(await page.locator('.label.site').count() === 3, 'three gathering points on the map');
  assert(await page.locator('.label.vehicle').count() === 3, 'three vehicles on the map');
  assert(await page.locator('.label.dest').count() === 2, 'two destinations on the map');
  assert(await map.evaluate((e) => e.tagName) === 'CANVAS', 'the map draws on a canvas');
  const chart = page.getByRole('img', { name: /^People delivered/ });
  await chart.waitFor();
  assert(await chart.locator('canvas').count() >= 1, 'the chart draws on a canvas');
  await page.getByText(`${people} of 74 people delivered`).waitFor();
  await page.getByRole('table', { name: 'People waiting per site and tier' }).waitFor();
  await page.getByRole('table', { name: 'Boarded and not arrived' }).waitFor();
  await page.getByText('Live ·').waitFor();
  assert((await unnamedControls(page)).length === 0, `controls without a name: ${await unnamedControls(page)}`);
  assert((await lowContrast(page)).length === 0, `low contrast: ${await lowContrast(page)}`);
  await page.waitForTimeout(800);
  await page.screenshot({ path: join(shots, 'coordinator.png') });
  await page.setViewportSize({ width: 360, height: 760 });
  await page.waitForTimeout(500);
  assert(await fitsWidth(page), 'the coordinator view fits 360 px');
  await page.screenshot({ path: join(shots, 'coordinator-360.png'), fullPage: true });
  assert(errors.length === 0, `page errors: ${errors}`);
  await context.close();
});

test('a registrar boards a household and the coordinator view updates without a reload', async () => {
  const coord = await signedIn('coordinator');
  await coord.page.locator('.label.site').first().waitFor();
  await coord.page.evaluate(() => { window.__sameDocument = true; });
  const before = await coord.page.locator('.label.site', { hasText: 'Market square' }).textContent();
  const waitingBefore = Number(/(\d+) waiting/.exec(before)[1]);

  const reg = await signedIn('registrar', { width: 360, height: 740 });
  const h = free[0];
  const w = await call(`/api/households/${h}`);
  await reg.page.getByLabel('Household reference', { exact: true }).fill(h);
  await reg.page.getByLabel('Household reference', { exact: true }).press('Enter');
  await reg.page.locator('#hh-vehicle').filter({ hasText: w.planned.vehicle }).waitFor();
  assert((await reg.page.locator('#hh-time').textContent()).match(/\d\d:\d\d/), 'shows the time');
  await reg.page.screenshot({ path: join(shots, 'registrar-household.png') });
  await reg.page.getByRole('button', { name: 'Boarded' }).click();
  await reg.page.getByText('Everything is saved on the server').waitFor();

  const after = coord.page.locator('.label.site', { hasText: `Market square: ${waitingBefore - w.people} waiting` });
  await after.waitFor({ timeout: 10000 });
  // The vehicle's trips, unfolded, follow the boarding live.
  const trips = coord.page.getByRole('list', { name: `Trips of ${w.planned.vehicle}` });
  await coord.page.locator(`summary[aria-label^="Trips of ${w.planned.vehicle}:"]`).click();
  await trips.locator('li').nth(w.planned.trip - 1).filter({ hasText: /^boarding Trip/ }).waitFor({ timeout: 10000 });
  const amb = coord.page.locator('summary[aria-label^="Trips of ambulance-1:"]');
  assert(/^Trips of ambulance-1: 1 of \d+ arrived/.test(await amb.getAttribute('aria-label')), `the ambulance's first trip arrived: ${await amb.getAttribute('aria-label')}`);
  assert(await coord.page.evaluate(() => window.__sameDocument === true), 'the coordinator page was not reloaded');

  // A household that is not on the list.
  await reg.page.getByLabel('Reference of the new household').fill('RF-NEW-1');
  await reg.page.getByLabel('People').fill('3');
  await reg.page.getByRole('button', { name: 'Register household' }).click();
  await reg.page.getByText('Everything is saved on the server').waitFor();
  await coord.page.locator('.label.site', { hasText: `Market square: ${waitingBefore - w.people + 3} waiting` }).waitFor({ timeout: 10000 });
  assert((await call('/api/households/RF-NEW-1')).people === 3, 'the new household is in the registry');
  assert((await unnamedControls(reg.page)).length === 0, `controls without a name: ${await unnamedControls(reg.page)}`);
  assert((await lowContrast(reg.page)).length === 0, `low contrast: ${await lowContrast(reg.page)}`);
  assert(await fitsWidth(reg.page), 'the registrar view fits 360 px');
  await reg.page.screenshot({ path: join(shots, 'registrar.png'), fullPage: true });
  assert(coord.errors.length === 0 && reg.errors.length === 0, `page errors: ${coord.errors} ${reg.errors}`);
  await coord.context.close();
  await reg.context.close();
});

test('the registrar\'s events survive going offline and are recorded once when back', async () => {
  const reg = await signedIn('registrar', { width: 360, height: 740 });
  await reg.page.getByText('Live ·').waitFor();
  // The site's timetable is on the device before the connection goes.
  await reg.page.waitForFunction(() => Object.keys(localStorage).some((k) => k.startsWith('corridor.timetable.')));
  await reg.context.setOffline(true);
  await reg.page.getByText('Connection lost, last update at').waitFor();
  const field = reg.page.getByLabel('Household reference', { exact: true });
  for (const h of [free[1], free[2]]) {
    await field.fill(h);
    await field.press('Enter');
    await reg.page.getByText('No connection: from the timetable saved on this device.').waitFor();
    await reg.page.getByRole('button', { name: 'Boarded' }).click();
  }
  await reg.page.getByText('2 waiting to be sent').waitFor();
  await reg.page.screenshot({ path: join(shots, 'registrar-offline.png'), fullPage: true });
  const ids = await reg.page.evaluate(() => Object.entries(localStorage)
    .filter(([k]) => k.startsWith('corridor.queue.'))
    .flatMap(([, v]) => JSON.parse(v).filter((q) => q.state === 'waiting').map((q) => q.event.id)));
  assert(ids.length === 2, `two events queued on the device: ${ids}`);
  await reg.page.close();

  // Back online in a new page; the first answer is lost on the way back, so the
  // page must send the same events again.
  await reg.context.setOffline(false);
  const page = await reg.context.newPage();
  let dropped = 0;
  await page.route('**/api/events', async (route) => {
    if (route.request().method() === 'POST' && dropped === 0) {
      dropped += 1;
      await route.fetch();
      await route.abort('connectionreset');
    } else {
      await route.continue();
    }
  });
  await page.goto(base + '/');
  await page.getByText('Everything is saved on the server').waitFor({ timeout: 15000 });
  assert(dropped === 1, 'one answer was lost');
  const log = await call('/api/events?limit=10000');
  for (const id of ids) {
    assert(log.events.filter((e) => e.id === id).length === 1, `event ${id} is in the log once`);
  }
  for (const h of [free[1], free[2]]) {
    assert((await call(`/api/households/${h}`)).status === 'on_board', `${h} is on board`);
  }
  await reg.context.close();
});

test('the registrar view works with the keyboard alone', async () => {
  const reg = await signedIn('registrar', { width: 360, height: 740 });
  await reg.page.getByText('Live ·').waitFor();
  const focused = () => reg.page.evaluate(() => {
    const e = document.activeElement;
    return e ? (e.labels && e.labels[0] ? e.labels[0].textContent : e.textContent) : '';
  });
  assert(await focused() === 'Household reference', 'the reference field has the focus at the start');
  await reg.page.keyboard.type(free[3]);
  await reg.page.keyboard.press('Enter');
  await reg.page.locator('#hh-vehicle').waitFor();
  assert(await focused() === 'Boarded', `"Boarded" has the focus after a lookup (${await focused()})`);
  await reg.page.keyboard.press('Tab');
  assert(await focused() === 'No-show', `Tab reaches "No-show" (${await focused()})`);
  await reg.page.keyboard.press('Enter');
  await reg.page.getByText(`${free[3]}: no-show.`).waitFor();
  assert(await focused() === 'Household reference', 'the focus is back on the reference field');
  await reg.page.getByText('Everything is saved on the server').waitFor();
  assert((await call(`/api/households/${free[3]}`)).status === 'no_show', 'recorded as a no-show');
  await reg.context.close();
});

test('a coordinator settles a conflict from the page', async () => {
  const coord = await signedIn('coordinator');
  await coord.page.getByText('No open conflicts.').waitFor();
  // The household on bus-01 is reported boarding the ambulance too: a conflict, shown without a reload.
  const h = b1.stops[0].households[0];
  const r = await call('/api/events', { method: 'POST', body: JSON.stringify({ id: 'twice-1', kind: 'boarded', at: b1.stops[0].departs, device: 'seed', household: h, vehicle: 'ambulance-1', trip: 2 }) });
  assert(r.results[0].result === 'conflict', `a conflict: ${JSON.stringify(r.results)}`);
  const keep = coord.page.getByRole('button', { name: /^Keep the first version of .* twice-1$/ });
  await keep.waitFor({ timeout: 10000 });
  await keep.click();
  await coord.page.getByText('No open conflicts.').waitFor({ timeout: 10000 });
  const all = await call('/api/conflicts?all=true');
  assert(all.conflicts.some((c) => c.event === 'twice-1' && c.accepted === 'first'), 'settled: the first version stands');
  assert(coord.errors.length === 0, `page errors: ${coord.errors}`);
  await coord.context.close();
});

test('the monitor\'s pages and every response they receive hold no household reference', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const seen = [];
  page.on('response', async (r) => {
    seen.push(r.url());
    const body = await r.text().catch(() => '');
    for (const ref of references) {
      if (body.includes(ref)) seen.push(`LEAK ${ref} in ${r.url()}`);
    }
  });
  await page.goto(`${base}/login?token=${tokens.monitor}`);
  await page.waitForURL((u) => u.pathname === '/');
  await page.getByRole('region', { name: 'Operation map' }).waitFor();
  await page.locator('.label.vehicle').first().waitFor();
  await page.getByRole('table', { name: 'Vehicle movements' }).waitFor();
  await page.getByText('Live ·').waitFor();
  // A new event while the monitor watches: the stream and the refresh it causes.
  await call('/api/events', { method: 'POST', body: JSON.stringify({ id: 'mon-watch', kind: 'boarded', at: b1.stops[1].departs, device: 'seed', household: b1.stops[1].households[0], vehicle: 'bus-01', trip: 1 }) });
  await page.waitForTimeout(1500);
  await page.screenshot({ path: join(shots, 'monitor.png') });
  const html = await page.content();
  for (const ref of references) assert(!html.includes(ref), `the monitor's page shows ${ref}`);
  const leaks = seen.filter((s) => s.startsWith('LEAK'));
  assert(leaks.length === 0, leaks.join('\n'));
  assert(seen.some((u) => u.includes('/api/summary')) && seen.some((u) => u.includes('/api/vehicles')), 'the monitor read the summary and the vehicles');
  assert((await unnamedControls(page)).length === 0, 'every control has a name');
  assert((await lowContrast(page)).length === 0, `low contrast: ${await lowContrast(page)}`);
  await page.setViewportSize({ width: 360, height: 760 });
  await page.waitForTimeout(300);
  assert(await fitsWidth(page), 'the monitor view fits 360 px');
  await context.close();
});

/** The pages of a PDF. */
function pdfPages(pdf) {
  return (pdf.toString('latin1').match(/\/Type\s*\/Page[^s]/g) || []).length;
}

/** The dark modules of a reference's QR code, as the cards draw them. */
function qrPath(text) {
  const q = qrcode(0, 'M');
  q.addData(text);
  q.make();
  let d = '';
  for (let r = 0; r < q.getModuleCount(); r += 1) {
    for (let c = 0; c < q.getModuleCount(); c += 1) if (q.isDark(r, c)) d += `M${c + 4} ${r + 4}h1v1h-1z`;
  }
  return d;
}

test('a coordinator prints boarding cards: references in large type and as QR codes, no personal data', async () => {
  // A household of the plan registers with a name, a phone and a note.
  const site = 'Church hill';
  const tt = await call(`/api/timetables/${encodeURIComponent(site)}`);
  const planned = tt.rows.flatMap((r) => r.households.map((h) => ({ h, row: r })));
  assert(planned.length >= 4, `households planned at ${site}: ${planned.length}`);
  const named = planned[0].h;
  const personal = { name: 'Mariam Haddad-Tester', phone: '+49 170 5550199', note: 'walks with a cane' };
  const reg = await call('/api/events', { method: 'POST', body: JSON.stringify({ id: 'print-named', kind: 'registered', at: tt.rows[0].arrives, device: 'seed', household: named, site, ...personal }) });
  assert(reg.results[0].result === 'recorded', `registered: ${JSON.stringify(reg.results)}`);
  const looked = await call(`/api/households/${named}`);
  assert(JSON.stringify(looked).includes(personal.name), `the name is recorded: ${JSON.stringify(looked)}`);

  const { context, page, errors } = await signedIn('coordinator');
  const bodies = [];
  page.on('response', async (r) => { bodies.push(await r.text().catch(() => '')); });
  await page.getByRole('link', { name: `Boarding cards: ${site}` }).click();
  await page.getByRole('heading', { name: `Boarding cards · ${site}` }).waitFor();
  await page.getByText(/^Ready to print/).waitFor();
  assert(await page.locator('.card').count() === planned.length, `one card per planned household (${await page.locator('.card').count()} of ${planned.length})`);
  for (const { h, row } of planned) {
    const card = page.getByRole('article', { name: `Boarding card ${h}`, exact: true });
    const big = card.locator('.card-ref');
    assert(await big.textContent() === h, `${h} in large type`);
    const px = await big.evaluate((e) => parseFloat(getComputedStyle(e).fontSize));
    assert(px >= 24, `${h}'s reference is large (${px} px)`);
    const qr = card.getByRole('img', { name: `QR code of ${h}` });
    assert(await qr.count() === 1, `a QR code on ${h}'s card`);
    assert(await qr.locator('path').getAttribute('d') === qrPath(h), `${h}'s QR code encodes its reference`);
    const text = await card.textContent();
    assert(text.includes(`${row.vehicle}, trip ${row.trip}`) && text.includes(/T(\d\d:\d\d)/.exec(row.departs)[1]), `${h}'s vehicle, trip and departure: ${text}`);
  }
  const html = await page.content();
  for (const v of Object.values(personal)) {
    assert(!html.includes(v), `the cards show "${v}"`);
    assert(!bodies.some((b) => b.includes(v)), `a response to the cards page holds "${v}"`);
  }
  assert((await unnamedControls(page)).length === 0, `controls without a name: ${await unnamedControls(page)}`);
  assert((await lowContrast(page)).length === 0, `low contrast: ${await lowContrast(page)}`);
  await page.screenshot({ path: join(shots, 'print-cards.png'), fullPage: true });

  await page.emulateMedia({ media: 'print' });
  assert(await page.locator('header.top').isHidden(), 'no header on paper');
  assert(await page.getByRole('navigation', { name: 'Print views' }).isHidden(), 'no navigation on paper');
  assert(await page.getByRole('button', { name: 'Print' }).isHidden(), 'no buttons on paper');
  assert((await lowContrast(page)).length === 0, `low contrast on paper: ${await lowContrast(page)}`);
  await page.screenshot({ path: join(shots, 'print-cards-paper.png'), fullPage: true });
  const pdf = await page.pdf({ format: 'A4', preferCSSPageSize: true });
  assert(pdfPages(pdf) === Math.ceil(planned.length / 8), `eight cards to an A4 page: ${planned.length} cards on ${pdfPages(pdf)} pages`);
  // The layout, with a site of sixteen households: two full pages.
  await page.locator('.cards').evaluate((box) => {
    const card = box.firstElementChild;
    box.replaceChildren(...Array.from({ length: 16 }, () => card.cloneNode(true)));
  });
  const sixteen = await page.pdf({ format: 'A4', preferCSSPageSize: true });
  assert(pdfPages(sixteen) === 2, `sixteen cards on ${pdfPages(sixteen)} pages`);
  await page.emulateMedia({ media: 'screen' });
  await page.setViewportSize({ width: 360, height: 760 });
  await page.waitForTimeout(200);
  assert(await fitsWidth(page), 'the cards fit 360 px');
  assert(errors.length === 0, `page errors: ${errors}`);
  await context.close();
});

test('a manifest prints with a tick column and a headcount box per trip, one vehicle per page', async () => {
  const { context, page, errors } = await signedIn('coordinator');
  await page.getByLabel('One vehicle\'s manifest').selectOption('bus-02');
  await page.getByRole('button', { name: 'Print this manifest' }).click();
  await page.getByRole('heading', { name: 'Manifest · bus-02' }).waitFor();
  const m = await call('/api/manifests/bus-02');
  assert(m.trips.length >= 1, 'bus-02 has trips');
  for (const t of m.trips) {
    const trip = page.getByRole('region', { name: `bus-02 trip ${t.trip}`, exact: true });
    const table = trip.getByRole('table');
    assert(await table.locator('thead th').first().textContent() === 'On board', `trip ${t.trip} has a tick column`);
    const rows = table.locator('tbody tr');
    assert(await rows.count() === t.households.length + 1, `trip ${t.trip}: a row per household and a total`);
    for (const h of t.households) {
      const row = table.locator('tbody tr', { has: page.getByRole('rowheader', { name: h.household, exact: true }) });
      assert(await row.getByRole('img', { name: `box to tick when ${h.household} is on board` }).count() === 1, `a box to tick for ${h.household}`);
      assert((await row.textContent()).includes(String(h.people)), `${h.household}'s people`);
    }
    const count = trip.locator('.headcount');
    assert(await count.count() === 1, `trip ${t.trip} has a headcount box`);
    assert(new RegExp(`^Counted on board: +of ${t.planned_people} planned`).test(await count.textContent()), `headcount box: ${await count.textContent()}`);
  }
  assert((await unnamedControls(page)).length === 0, `controls without a name: ${await unnamedControls(page)}`);
  assert((await lowContrast(page)).length === 0, `low contrast: ${await lowContrast(page)}`);
  await page.screenshot({ path: join(shots, 'print-manifest.png'), fullPage: true });

  // Every vehicle's manifest, each on its own page.
  await page.getByRole('link', { name: 'Back to the operation' }).click();
  await page.getByRole('link', { name: 'Print the manifests of every vehicle' }).click();
  await page.getByText(/^Ready to print/).waitFor();
  const index = await call('/api/manifests');
  const vehicles = index.vehicles.filter((v) => v.trips > 0);
  assert(await page.locator('.sheet').count() === vehicles.length, 'a manifest per vehicle with trips');
  await page.emulateMedia({ media: 'print' });
  assert(await page.locator('header.top').isHidden() && await page.getByRole('navigation', { name: 'Print views' }).isHidden(), 'no header or navigation on paper');
  const breaks = await page.locator('.sheet').evaluateAll((s) => s.map((e) => getComputedStyle(e).breakAfter));
  assert(breaks.slice(0, -1).every((b) => b === 'page'), `a page break after each vehicle: ${breaks}`);
  await page.screenshot({ path: join(shots, 'print-manifests-paper.png'), fullPage: true });
  const pdf = await page.pdf({ format: 'A4', preferCSSPageSize: true });
  assert(pdfPages(pdf) >= vehicles.length, `a page per vehicle at least: ${pdfPages(pdf)} pages for ${vehicles.length} vehicles`);
  assert(errors.length === 0, `page errors: ${errors}`);
  await context.close();
});

test('a coordinator prints each gathering point\'s timetable and reads the plan page', async () => {
  const { context, page, errors } = await signedIn('coordinator');
  await page.getByRole('link', { name: 'Print the timetables of every gathering point' }).click();
  await page.getByText(/^Ready to print/).waitFor();
  const s = await call('/api/summary');
  for (const x of s.sites) {
    const tt = await call(`/api/timetables/${encodeURIComponent(x.site)}`);
    const sheet = page.getByRole('region', { name: `Timetable of ${x.site}`, exact: true });
    const rows = sheet.locator('tbody tr');
    assert(await rows.count() === tt.rows.length, `${x.site}: a row per pickup`);
    for (const [i, r] of tt.rows.entries()) {
      const text = await rows.nth(i).textContent();
      assert(text.includes(r.vehicle) && text.includes(r.destination) && r.households.every((h) => text.includes(h)), `${x.site} row ${i}: ${text}`);
    }
  }
  await page.emulateMedia({ media: 'print' });
  assert(await page.locator('header.top').isHidden(), 'no header on paper');
  await page.screenshot({ path: join(shots, 'print-timetables-paper.png'), fullPage: true });
  await page.emulateMedia({ media: 'screen' });

  await page.getByRole('link', { name: 'Active plan', exact: true }).click();
  await page.getByRole('heading', { name: /^Active plan/ }).waitFor();
  await page.getByText(/vehicle schedules\.$/).waitFor();
  const plan = await call('/api/plan');
  for (const r of plan.routes.filter((x) => x.trips.length)) {
    const m = await call(`/api/manifests/${r.vehicle}`);
    const rows = page.getByRole('table', { name: `Schedule of ${r.vehicle}` }).locator('tbody tr');
    assert(await rows.count() === r.trips.length, `${r.vehicle}: a row per trip`);
    for (const [i, t] of r.trips.entries()) {
      const text = await rows.nth(i).textContent();
      const mt = m.trips[i];
      const hhmm = (iso) => /T(\d\d:\d\d)/.exec(iso)[1];
      assert(text.includes(t.destination) && text.includes(hhmm(mt.departs)) && text.includes(hhmm(mt.arrives)), `${r.vehicle} trip ${i + 1}: ${text}`);
      assert(t.stops.every((st) => text.includes(st.site) && st.households.every((h) => text.includes(h))), `${r.vehicle} trip ${i + 1}'s stops: ${text}`);
      assert(text.trim().endsWith(String(mt.planned_people)), `${r.vehicle} trip ${i + 1}'s people: ${text}`);
    }
  }
  // Where the time goes, as `corridor explain` says it, bottleneck first.
  const explained = await call('/api/plan/explanation');
  const where = page.getByRole('region', { name: 'Where the time goes' });
  const firstLine = explained.text.trim().split('\n')[0];
  assert(firstLine.length > 10 && (await where.locator('.bottleneck').textContent()).trim() === firstLine, `the bottleneck: ${firstLine}`);
  // The rehearsal: the plan carried out many times, drawn as a band on the chart.
  const rehearsal = page.getByRole('region', { name: 'Rehearsal' });
  await rehearsal.getByText(/carried out \d+ times/).waitFor({ timeout: 30000 });
  await rehearsal.getByText(/Rehearsed \d+ times: by the latest report, 8 runs in 10 had delivered between \d+ and \d+/).waitFor({ timeout: 30000 });
  assert(await rehearsal.getByRole('img', { name: /^People delivered/ }).locator('canvas').count() === 1, 'the rehearsal chart is drawn');
  // When each run delivered its last person, and where the vehicles' time went, as `corridor rehearse` plots them.
  const progress = await call('/api/progress');
  const r = progress.rehearsal;
  await rehearsal.getByText(`Everyone the plan carries was delivered in ${r.complete_runs} of ${r.runs} runs.`).waitFor();
  const finishes = rehearsal.getByRole('img', { name: /^When the last person was delivered/ });
  assert(await finishes.locator('canvas').count() === 1, 'the histogram of last deliveries is drawn');
  assert((await finishes.getAttribute('aria-label')).includes(`${r.complete_runs} of ${r.runs} runs delivered everyone`), 'the histogram counts the runs');
  const uses = rehearsal.getByRole('table', { name: /^Where the vehicles' time went/ }).locator('tbody tr');
  assert(await uses.count() === r.time_use.length && r.time_use.length > 0, 'a row per use of the vehicles\' time');
  assert((await uses.first().textContent()).includes(r.time_use[0].label), `the largest use first: ${await uses.first().textContent()}`);
  assert((await unnamedControls(page)).length === 0, `controls without a name: ${await unnamedControls(page)}`);
  assert((await lowContrast(page)).length === 0, `low contrast: ${await lowContrast(page)}`);
  await page.screenshot({ path: join(shots, 'plan.png'), fullPage: true });
  await page.setViewportSize({ width: 360, height: 760 });
  await page.waitForTimeout(200);
  assert(await fitsWidth(page), 'the plan page fits 360 px');
  assert(errors.length === 0, `page errors: ${errors}`);
  await context.close();
});

test('a registrar prints their gathering point\'s boarding cards, and its timetable without a connection', async () => {
  const { context, page, errors } = await signedIn('registrar', { width: 360, height: 740 });
  await page.getByText('Live ·').waitFor();
  await page.getByRole('link', { name: 'Boarding cards: Market square' }).click();
  await page.getByText(/^Ready to print: \d+ boarding cards/).waitFor();
  const tt = await call('/api/timetables/Market%20square');
  const parties = tt.rows.flatMap((r) => r.parties);
  assert(await page.locator('article.card').count() === parties.length, 'a card per household planned here');
  for (const p of parties.slice(0, 5)) {
    const card = page.getByRole('article', { name: `Boarding card ${p.household}`, exact: true });
    assert((await card.locator('.card-ref').textContent()) === p.household && (await card.locator('dd').last().textContent()).startsWith(String(p.people)), `${p.household}'s card`);
  }
  await page.screenshot({ path: join(shots, 'registrar-cards.png'), fullPage: true });
  await page.getByRole('link', { name: 'Back to the operation' }).click();
  await page.getByLabel('Household reference', { exact: true }).waitFor();
  await context.setOffline(true);
  await page.getByRole('link', { name: 'Timetable: Market square' }).click();
  await page.getByText(/printed from the timetable saved on this device/).waitFor();
  const rows = page.getByRole('region', { name: 'Timetable of Market square', exact: true }).locator('tbody tr');
  assert(await rows.count() === tt.rows.length, 'the saved timetable has a row per pickup');
  // Another site's paper is not the registrar's to print.
  await context.setOffline(false);
  await page.evaluate(() => { location.hash = '#print/cards/Old%20mill'; });
  await page.getByText(/A registrar prints the boarding cards and the timetable of Market square only/).waitFor();
  assert((await unnamedControls(page)).length === 0, `controls without a name: ${await unnamedControls(page)}`);
  assert(errors.length === 0, `page errors: ${errors}`);
  await context.close();
});

test('a hand-held scanner at the registrar: each scan and Enter looks up the household it scanned', async () => {
  const reg = await signedIn('registrar', { width: 360, height: 740 });
  await reg.page.getByText('Live ·').waitFor();
  const queued = () => reg.page.evaluate(() => Object.entries(localStorage)
    .filter(([k]) => k.startsWith('corridor.queue.')).reduce((a, [, v]) => a + JSON.parse(v).length, 0));
  const before = await queued();
  const scan = async (code) => {
    await reg.page.keyboard.type(code, { delay: 5 });
    await reg.page.keyboard.press('Enter');
  };
  await scan(free[0]);
  await reg.page.getByRole('heading', { name: free[0], exact: true }).waitFor();
  // The next code arrives while the focus is on "Boarded": it is looked up, nothing is recorded.
  await scan(free[1]);
  await reg.page.getByRole('heading', { name: free[1], exact: true }).waitFor();
  assert(await reg.page.getByLabel('Household reference', { exact: true }).inputValue() === free[1], 'the field holds the second code alone');
  // A code that is not on the list, then the next one: no household is registered.
  await scan('RF-UNKNOWN-9');
  await reg.page.getByText('No household RF-UNKNOWN-9 on the list.').waitFor();
  await scan(free[2]);
  await reg.page.getByRole('heading', { name: free[2], exact: true }).waitFor();
  assert(await queued() === before, `nothing was recorded by scanning (${await queued()} events, ${before} before)`);
  // In the field itself, the text is selected after a lookup, so a scan replaces it.
  const field = reg.page.getByLabel('Household reference', { exact: true });
  await field.focus();
  await field.evaluate((e) => e.setSelectionRange(0, 0));
  await field.press('Enter');
  await reg.page.getByRole('heading', { name: free[2], exact: true }).waitFor();
  assert(await field.evaluate((e) => e.selectionStart === 0 && e.selectionEnd === e.value.length), 'the reference is selected after a lookup');
  assert(reg.errors.length === 0, `page errors: ${reg.errors}`);
  await reg.context.close();
});

let failed = 0;
const started = Date.now();
try {
  for (const t of tests) {
    const t0 = Date.now();
    try {
      await t.fn();
      console.log(`ok   ${t.name} (${Date.now() - t0} ms)`);
    } catch (e) {
      failed += 1;
      console.log(`FAIL ${t.name}\n     ${e.stack ?? e}`);
    }
  }
} finally {
  await browser.close();
}
console.log(`${tests.length - failed} passed, ${failed} failed in ${((Date.now() - started) / 1000).toFixed(1)} s; screenshots in ${shots}`);
process.exit(failed ? 1 : 0);
