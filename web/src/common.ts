// Pieces every view uses: the header, tables, and the summary's shape.
import { el, Me, signOut } from './api';

export interface SiteCounts {
  site: string;
  expected_people: number;
  waiting_people: number;
  boarded_people: number;
  arrived_people: number;
  no_show_households: number;
  stayed_households: number;
}

export interface VehiclePosition {
  vehicle: string;
  vehicle_type: string;
  status: string;
  trip?: number;
  site: string;
  at?: string;
  people_on_board: number;
}

export interface Summary {
  at: string;
  events: number;
  totals: SiteCounts;
  sites: SiteCounts[];
  tiers: { tier: number; people: number; waiting: number; on_board: number; arrived: number; accounted_otherwise: number }[];
  corridors: { corridor: string; closed: boolean; reopens?: string; crossings: number; people_crossed: number }[];
  destinations: { destination: string; arrived_people: number; capacity?: number }[];
  vehicles: VehiclePosition[];
  unaccounted_households: number;
  unaccounted_people: number;
  open_conflicts: number;
  complete: boolean;
}

export function header(me: Me, status: HTMLElement): { node: HTMLElement; setContext: (t: string) => void } {
  const context = el('span', { class: 'context' });
  const out = el('button', { type: 'button', class: 'quiet' }, 'Sign out');
  out.addEventListener('click', () => {
    signOut();
    location.href = '/';
  });
  const who = me.site ? `${me.name} (${me.role}, ${me.site})` : `${me.name} (${me.role})`;
  const node = el('header', { class: 'top' },
    el('h1', {}, 'Corridor'),
    context,
    status,
    el('span', { class: 'who' }, who),
    out,
  );
  return { node, setContext: (t) => { context.textContent = t; } };
}

/** A table with a caption for screen readers; the first cell of a row heads it, a number is right-aligned, a node goes in as it is. */
export function table(caption: string, cols: string[], rows: (string | number | Node | null | undefined)[][]): HTMLElement {
  const text = (v: string | number | Node | null | undefined) => (v instanceof Node ? v : String(v ?? '—'));
  const t = el('table', {},
    el('caption', { class: 'sr-only' }, caption),
    el('thead', {}, el('tr', {}, ...cols.map((c, i) => el('th', { scope: 'col', class: i ? 'num' : '' }, c)))),
    el('tbody', {}, ...rows.map((r) => el('tr', {}, ...r.map((v, i) => (i === 0
      ? el('th', { scope: 'row' }, text(v))
      : el('td', { class: typeof v === 'number' ? 'num' : '' }, text(v))))))),
  );
  return el('div', { class: 'table-wrap' }, t);
}

/** One pickup on a gathering point's timetable (`GET /api/timetables/{site}`). */
export interface TimetableRow {
  vehicle: string;
  trip: number;
  arrives: string;
  departs: string;
  destination: string;
  households: string[];
  people: number;
  boarded_people: number;
  departed: boolean;
  /** Each household to board here with its people, in the order of `households`. */
  parties: { household: string; people: number; stretcher_cases: number }[];
}
