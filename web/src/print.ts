// Paper for when the power or the network fails: boarding cards for a gathering
// point (the household reference in large type and as a QR code, with its
// vehicle, trip and departure; never a name, phone or note), each vehicle's
// manifest with a tick column and a headcount box per trip, and each site's
// timetable. `#print/cards/SITE`, `#print/manifest/VEHICLE`, `#print/manifests`,
// `#print/timetable/SITE`, `#print/timetables`; printing the page gives clean
// A4 sheets (style.css, `@media print`).
import qrcode from 'qrcode-generator';
import { api, el, HttpError, Me } from './api';
import { header, Summary, TimetableRow } from './common';

export interface ManifestHousehold {
  household: string;
  people: number;
  stretcher_cases: number;
  tier: number;
  site: string;
  planned: boolean;
  status: string;
}

export interface ManifestTrip {
  trip: number;
  departs?: string;
  destination?: string;
  arrives?: string;
  corridor?: string;
  stops: { site: string; arrives: string; departs: string; households: string[] }[];
  households: ManifestHousehold[];
  planned_people: number;
}

export interface Manifest {
  vehicle: string;
  vehicle_type: string;
  seats: number;
  stretchers: number;
  plan?: string;
  out_of_service_since?: string;
  trips: ManifestTrip[];
}

interface Timetable {
  site: string;
  plan?: string;
  rows: TimetableRow[];
}

const NS = 'http://www.w3.org/2000/svg';
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `2016-12-15T05:20:00+02:00` → `15 Dec 05:20`, on the scenario's own clock; a duration from the start as it is. */
export function dayTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const m = /^\d{4}-(\d\d)-(\d\d)T(\d\d:\d\d)/.exec(iso);
  return m ? `${Number(m[2])} ${MONTHS[Number(m[1]) - 1]} ${m[3]}` : iso;
}

/** `HH:MM` of an instant, or a duration from the start as it is. */
export function hourMinute(iso: string | null | undefined): string {
  if (!iso) return '—';
  const m = /T(\d\d:\d\d)/.exec(iso);
  return m ? m[1] : iso;
}

/** The household reference as a QR code: an SVG of its dark modules with a quiet zone of four. */
export function qrSvg(text: string): SVGSVGElement {
  const q = qrcode(0, 'M');
  q.addData(text);
  q.make();
  const n = q.getModuleCount();
  const size = n + 8;
  let d = '';
  for (let r = 0; r < n; r += 1) {
    for (let c = 0; c < n; c += 1) {
      if (q.isDark(r, c)) d += `M${c + 4} ${r + 4}h1v1h-1z`;
    }
  }
  const s = document.createElementNS(NS, 'svg');
  s.setAttribute('viewBox', `0 0 ${size} ${size}`);
  s.setAttribute('class', 'qr');
  s.setAttribute('role', 'img');
  s.setAttribute('aria-label', `QR code of ${text}`);
  s.setAttribute('shape-rendering', 'crispEdges');
  s.setAttribute('data-modules', String(n));
  const bg = document.createElementNS(NS, 'rect');
  bg.setAttribute('width', String(size));
  bg.setAttribute('height', String(size));
  bg.setAttribute('fill', '#fff');
  const dark = document.createElementNS(NS, 'path');
  dark.setAttribute('d', d);
  dark.setAttribute('fill', '#000');
  s.append(bg, dark);
  return s;
}

/** `3 households`, `1 household`. */
export function count(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

type Cell = string | number | Node | null | undefined;

/** A table with a visible caption; a number is right-aligned, a node goes in as it is. */
function sheetTable(caption: string, cols: string[], rows: Cell[][], cls = ''): HTMLElement {
  const cell = (tag: 'th' | 'td', v: Cell, attrs: Record<string, string>) => {
    const c = el(tag, { ...attrs, class: typeof v === 'number' ? 'num' : '' });
    c.append(v instanceof Node ? v : String(v ?? '—'));
    return c;
  };
  return el('div', { class: 'table-wrap' }, el('table', { class: `sheet-table ${cls}`.trim() },
    el('caption', {}, caption),
    el('thead', {}, el('tr', {}, ...cols.map((c) => el('th', { scope: 'col' }, c)))),
    el('tbody', {}, ...rows.map((r) => el('tr', {}, ...r.map((v, i) => (i === 1 ? cell('th', v, { scope: 'row' }) : cell('td', v, {})))))),
  ));
}

/** The shell of every print view: the app's header and a bar (both left off the paper), then the sheets. */
export function shell(root: HTMLElement, me: Me, title: string): { main: HTMLElement; status: HTMLElement } {
  const head = header(me, el('span', { class: 'conn' }));
  head.setContext(title);
  const print = el('button', { type: 'button', class: 'primary' }, 'Print');
  print.addEventListener('click', () => window.print());
  const status = el('p', { class: 'muted', role: 'status' }, 'Loading…');
  const nav = el('nav', { class: 'print-nav', 'aria-label': 'Print views' },
    el('a', { href: '#' }, 'Back to the operation'),
    location.hash === '#plan' || me.role !== 'coordinator' ? null : el('a', { href: '#plan' }, 'Active plan'),
    print,
    status);
  const main = el('main', { class: 'print' });
  root.replaceChildren(head.node, nav, main);
  return { main, status };
}

export async function manifests(names: string[]): Promise<Map<string, Manifest>> {
  const all = await Promise.all(names.map((v) => api<Manifest>(`/api/manifests/${encodeURIComponent(v)}`)));
  return new Map(all.map((m) => [m.vehicle, m]));
}

/**
 * A gathering point's timetable: from the server, or, for a registrar whose connection is
 * down, the copy their device saved (`registrar.ts`), said so on the sheet.
 */
async function siteTimetable(site: string, me: Me): Promise<{ t: Timetable; saved: boolean }> {
  try {
    return { t: await api<Timetable>(`/api/timetables/${encodeURIComponent(site)}`), saved: false };
  } catch (e) {
    const copy = me.role === 'registrar' && me.site === site && !(e instanceof HttpError) ? localStorage.getItem(`corridor.timetable.${site}`) : null;
    if (!copy) throw e;
    return { t: { site, rows: JSON.parse(copy) as TimetableRow[] }, saved: true };
  }
}

const SAVED = 'No connection: printed from the timetable saved on this device, which may be older than the active plan.';

/** One card per household the plan picks up at the site. */
async function cards(main: HTMLElement, site: string, me: Me): Promise<string> {
  const { t, saved } = await siteTimetable(site, me);
  const list = el('div', { class: 'cards' });
  let n = 0;
  for (const r of t.rows) {
    r.households.forEach((h, i) => {
      // Timetables saved by an older page have no parties: the card then leaves the size off.
      const w = r.parties?.[i]?.household === h ? r.parties[i] : undefined;
      n += 1;
      list.append(el('article', { class: 'card', 'aria-label': `Boarding card ${h}` },
        el('p', { class: 'card-site' }, `Boarding card · ${t.site}`),
        el('p', { class: 'card-ref' }, h),
        el('div', { class: 'card-body' },
          qrSvg(h),
          el('dl', {},
            el('dt', {}, 'Vehicle'), el('dd', {}, `${r.vehicle}, trip ${r.trip}`),
            el('dt', {}, 'Leaves'), el('dd', {}, dayTime(r.departs)),
            el('dt', {}, 'To'), el('dd', {}, r.destination),
            w ? el('dt', {}, 'People') : null,
            w ? el('dd', {}, `${w.people}${w.stretcher_cases ? `, ${w.stretcher_cases} lying` : ''}`) : null))));
    });
  }
  main.replaceChildren(el('section', { class: 'sheet', 'aria-labelledby': 'cards-h' },
    el('h1', { id: 'cards-h' }, `Boarding cards · ${t.site}`),
    el('p', { class: 'sheet-note' }, `${count(n, 'household')} planned here${t.plan ? ` (plan ${t.plan})` : ''}. Cut along the lines; the registrar scans the code or types the reference.`),
    saved ? el('p', { class: 'note' }, SAVED) : null,
    n ? list : el('p', {}, 'The active plan picks up nobody here.')));
  return `${n} boarding cards`;
}

function manifestSheet(m: Manifest): HTMLElement {
  const trips = m.trips.map((t) => {
    const stops = t.stops.map((s) => `${s.site} ${hourMinute(s.arrives)}–${hourMinute(s.departs)}`).join(' → ');
    const people = t.households.reduce((a, h) => a + h.people, 0);
    const lying = t.households.reduce((a, h) => a + h.stretcher_cases, 0);
    return el('section', { class: 'trip', 'aria-label': `${m.vehicle} trip ${t.trip}` },
      el('h2', {}, `Trip ${t.trip}${t.departs ? `: leaves ${dayTime(t.departs)}` : ' (not in the plan)'}${t.destination ? `, to ${t.destination}` : ''}${t.arrives ? `, arrives ${hourMinute(t.arrives)}` : ''}`),
      stops ? el('p', { class: 'sheet-note' }, `Stops: ${stops}${t.corridor ? ` · corridor ${t.corridor}` : ''}`) : null,
      sheetTable(`${m.vehicle} trip ${t.trip}: ${count(t.households.length, 'household')}, ${count(people, 'person', 'people')}`,
        ['On board', 'Household', 'Pickup', 'People', 'Stretcher cases'],
        [...t.households.map((h) => [el('span', { class: 'tick', role: 'img', 'aria-label': `box to tick when ${h.household} is on board` }),
          h.planned ? h.household : `${h.household} (not planned here)`, h.site, h.people, h.stretcher_cases]),
        ['', 'Total', '', people, lying]], 'manifest'),
      el('p', { class: 'headcount' }, 'Counted on board: ', el('span', { class: 'blank', 'aria-hidden': 'true' }), ` of ${t.planned_people} planned · Left at: `,
        el('span', { class: 'blank', 'aria-hidden': 'true' })));
  });
  return el('section', { class: 'sheet', 'aria-label': `Manifest of ${m.vehicle}` },
    el('h1', {}, `Manifest · ${m.vehicle}`),
    el('p', { class: 'sheet-note' }, `${m.vehicle_type}, ${m.seats} seats, ${m.stretchers} stretchers${m.plan ? ` · plan ${m.plan}` : ''}${m.out_of_service_since ? ` · out of service since ${dayTime(m.out_of_service_since)}` : ''}`),
    ...(trips.length ? trips : [el('p', {}, 'No trips planned.')]));
}

function timetableSheet(t: Timetable): HTMLElement {
  const people = t.rows.reduce((a, r) => a + r.people, 0);
  return el('section', { class: 'sheet', 'aria-label': `Timetable of ${t.site}` },
    el('h1', {}, `Timetable · ${t.site}`),
    el('p', { class: 'sheet-note' }, `${count(t.rows.length, 'pickup')}, ${count(t.rows.reduce((a, r) => a + r.households.length, 0), 'household')}, ${count(people, 'person', 'people')}${t.plan ? ` · plan ${t.plan}` : ''}`),
    t.rows.length
      ? sheetTable(`Pickups at ${t.site}`, ['Arrives', 'Vehicle', 'Leaves', 'Trip', 'To', 'People', 'Households expected'],
        t.rows.map((r) => [dayTime(r.arrives), r.vehicle, hourMinute(r.departs), r.trip, r.destination, r.people, r.households.join(', ')]), 'timetable')
      : el('p', {}, 'The active plan picks up nobody here.'));
}

export async function printView(root: HTMLElement, me: Me, hash: string): Promise<void> {
  const [, kind, ...rest] = hash.replace(/^#/, '').split('/');
  let name = rest.join('/');
  try {
    name = decodeURIComponent(name);
  } catch {
    // A hand-edited address: look the name up as it was typed, and say so if it is unknown.
  }
  const titles: Record<string, string> = {
    cards: `Boarding cards · ${name}`,
    manifest: `Manifest · ${name}`,
    manifests: 'Manifests of every vehicle',
    timetable: `Timetable · ${name}`,
    timetables: 'Timetables of every gathering point',
  };
  const title = titles[kind] ?? 'Print';
  // A registrar prints their own gathering point's cards and timetable; the server refuses the rest anyway.
  const allowed = me.role === 'coordinator' || ((kind === 'cards' || kind === 'timetable') && name === me.site);
  document.title = `Corridor · ${title}`;
  const { main, status } = shell(root, me, title);
  if (!allowed) {
    status.textContent = '';
    main.replaceChildren(el('p', { class: 'warn' }, `A registrar prints the boarding cards and the timetable of ${me.site ?? 'their gathering point'} only; go back and choose one of those.`));
    return;
  }
  try {
    let done: string;
    switch (kind) {
      case 'cards':
        done = await cards(main, name, me);
        break;
      case 'manifest':
        main.replaceChildren(manifestSheet(await api<Manifest>(`/api/manifests/${encodeURIComponent(name)}`)));
        done = '1 manifest';
        break;
      case 'manifests': {
        const index = await api<{ vehicles: { vehicle: string; trips: number }[] }>('/api/manifests');
        const ms = await manifests(index.vehicles.filter((v) => v.trips > 0).map((v) => v.vehicle));
        main.replaceChildren(...[...ms.values()].map(manifestSheet));
        done = `${ms.size} manifests, one vehicle per page`;
        break;
      }
      case 'timetable': {
        const { t, saved } = await siteTimetable(name, me);
        main.replaceChildren(...(saved ? [el('p', { class: 'note' }, SAVED)] : []), timetableSheet(t));
        done = '1 timetable';
        break;
      }
      case 'timetables': {
        const s = await api<Summary>('/api/summary');
        const ts = await Promise.all(s.sites.map((x) => api<Timetable>(`/api/timetables/${encodeURIComponent(x.site)}`)));
        main.replaceChildren(...ts.map(timetableSheet));
        done = `${ts.length} timetables, one gathering point per page`;
        break;
      }
      default:
        main.replaceChildren(el('p', { class: 'warn' }, 'No such print view; go back to the operation and choose one.'));
        done = '';
    }
    status.textContent = done ? `Ready to print: ${done}.` : '';
  } catch (e) {
    status.textContent = '';
    main.replaceChildren(el('p', { class: 'warn' }, `Nothing to print: ${(e as Error).message}`));
  }
}

/** A registrar's links to their gathering point's boarding cards and timetable. */
export function sitePrintLinks(site: string): HTMLElement {
  const href = (kind: string) => `#print/${kind}/${encodeURIComponent(site)}`;
  return el('section', { class: 'print-links', 'aria-labelledby': 'print-h' },
    el('h2', { id: 'print-h' }, 'Print'),
    el('p', { class: 'muted' }, 'Paper for when the power or the network fails. Without a connection, the timetable saved on this device is printed.'),
    el('ul', { class: 'link-list' },
      el('li', {}, el('a', { href: href('cards') }, `Boarding cards: ${site}`)),
      el('li', {}, el('a', { href: href('timetable') }, `Timetable: ${site}`))));
}

/** The coordinator's links to the plan page and the print views. */
export function printPanel(): HTMLElement {
  const links = el('div', { class: 'print-links' }, el('p', { class: 'muted' }, 'Loading the gathering points and vehicles…'));
  const panel = el('section', { class: 'panel', 'aria-labelledby': 'print-h' },
    el('h2', { id: 'print-h' }, 'Plan and print'),
    el('p', { class: 'muted' }, 'Paper for when the power or the network fails; print each page from its "Print" button.'),
    links);
  const href = (...parts: string[]) => `#${parts.map(encodeURIComponent).join('/')}`;
  void (async () => {
    try {
      const [s, index] = await Promise.all([
        api<Summary>('/api/summary'),
        api<{ vehicles: { vehicle: string; trips: number }[] }>('/api/manifests'),
      ]);
      const pick = el('select', { id: 'print-vehicle' }, ...index.vehicles.filter((v) => v.trips > 0).map((v) => el('option', { value: v.vehicle }, v.vehicle))) as HTMLSelectElement;
      const open = el('button', { type: 'button' }, 'Print this manifest');
      open.addEventListener('click', () => { if (pick.value) location.hash = href('print', 'manifest', pick.value); });
      links.replaceChildren(
        el('ul', { class: 'link-list' },
          el('li', {}, el('a', { href: '#plan' }, 'Active plan: vehicle schedules')),
          el('li', {}, el('a', { href: href('print', 'manifests') }, 'Print the manifests of every vehicle')),
          el('li', {}, el('a', { href: href('print', 'timetables') }, 'Print the timetables of every gathering point'))),
        el('table', {},
          el('caption', { class: 'sr-only' }, 'Print per gathering point'),
          el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'Gathering point'), el('th', { scope: 'col' }, 'Boarding cards'), el('th', { scope: 'col' }, 'Timetable'))),
          el('tbody', {}, ...s.sites.map((x) => el('tr', {},
            el('th', { scope: 'row' }, x.site),
            el('td', {}, el('a', { href: href('print', 'cards', x.site) }, `Boarding cards: ${x.site}`)),
            el('td', {}, el('a', { href: href('print', 'timetable', x.site) }, `Timetable: ${x.site}`)))))),
        el('label', { for: 'print-vehicle' }, 'One vehicle\'s manifest'),
        el('div', { class: 'row' }, pick, open));
    } catch (e) {
      links.replaceChildren(el('p', { class: 'warn' }, `Not available: ${(e as Error).message}`));
    }
  })();
  return panel;
}
