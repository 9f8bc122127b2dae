// The coordinator's screen: the map, progress against the plan, people waiting
// per site and tier, corridors, vehicles, open conflicts and the unaccounted.
import { api, connectionBanner, deviceTime, el, Me, live, shortTime } from './api';
import { DeliveredChart, Progress } from './chart';
import { MapData, OperationMap } from './map';
import { header, Summary, table } from './common';
import { printPanel } from './print';
import { timeline } from './timeline';

interface ConflictView {
  event: string;
  rule: string;
  household?: string;
  vehicle?: string;
  message: string;
  at: string;
  second_version: boolean;
}

interface Unaccounted {
  household: string;
  people: number;
  site: string;
  vehicle?: string;
  trip?: number;
  last_event?: { kind: string; at: string };
  age_seconds: number;
}

interface Reconciliation {
  unaccounted: Unaccounted[];
  open_conflicts: number;
  complete: boolean;
}

interface Proposal {
  id: string;
  at: string;
  figures: { households: number; vehicles_in_service: number; makespan: string; lower_bound?: string | null; uncarried: { tier_1: number; tier_2: number; tier_3: number } };
  changes: { vehicles?: { vehicle: string; in_service: boolean; added: unknown[]; removed: unknown[]; moved: unknown[] }[]; households?: unknown[]; sites?: { site: string; households_changed: number }[] };
  notes: string[];
}

/** One trip in `GET /api/manifests`' schedule of a vehicle. */
interface TripLine {
  trip: number;
  state: 'to_come' | 'boarding' | 'under_way' | 'arrived';
  departs?: string;
  destination?: string;
  arrives?: string;
  planned_people: number;
  boarded_people: number;
  departed_at?: string;
  arrived_at?: string;
}

interface VehicleTrips {
  vehicle: string;
  trips: number;
  planned_people: number;
  boarded_people: number;
  schedule: TripLine[];
}

const STATES: Record<TripLine['state'], string> = { to_come: 'to come', boarding: 'boarding', under_way: 'under way', arrived: 'arrived' };

/** A vehicle's trips: where it stands in one line, each trip when unfolded (live, as events come in). */
function tripsCell(v: VehicleTrips | undefined, open: Set<string>): Node | string {
  if (!v || !v.schedule.length) return 'none';
  const done = v.schedule.filter((t) => t.state === 'arrived').length;
  const now = v.schedule.find((t) => t.state === 'under_way' || t.state === 'boarding');
  // The next trip is the first to come after the latest one begun, not one the field skipped.
  const begun = v.schedule.map((t) => t.state !== 'to_come').lastIndexOf(true);
  const next = v.schedule.slice(begun + 1).find((t) => t.state === 'to_come');
  const where = now
    ? `trip ${now.trip} ${STATES[now.state]}${now.destination ? ` to ${now.destination}` : ''}`
    : next ? `next: trip ${next.trip}${next.departs ? ` leaves ${shortTime(next.departs)}` : ''}` : 'all trips done';
  const details = el('details', { class: 'vehicle-trips', 'data-vehicle': v.vehicle },
    el('summary', { 'aria-label': `Trips of ${v.vehicle}: ${done} of ${v.schedule.length} arrived, ${where}` }, `${done} of ${v.schedule.length} arrived · ${where}`),
    el('ol', { class: 'trips', 'aria-label': `Trips of ${v.vehicle}` }, ...v.schedule.map((t) => el('li', {},
      el('span', { class: `trip-state ${t.state}` }, STATES[t.state]),
      ` Trip ${t.trip}`,
      t.departs ? ` · leaves ${shortDay(t.departs)} ${shortTime(t.departs)}` : ' · not in the plan',
      t.destination ? ` → ${t.destination}` : '',
      t.arrives ? ` · due ${shortTime(t.arrives)}` : '',
      t.arrived_at ? ` · arrived ${shortTime(t.arrived_at)}` : t.departed_at ? ` · left ${shortTime(t.departed_at)}` : '',
      ` · ${t.boarded_people} / ${t.planned_people} people`))));
  if (open.has(v.vehicle)) details.open = true;
  details.addEventListener('toggle', () => {
    if (details.open) open.add(v.vehicle);
    else open.delete(v.vehicle);
  });
  return details;
}

/** `2016-12-15T…` → `15 Dec`. */
function shortDay(iso: string): string {
  const m = /^\d{4}-(\d\d)-(\d\d)/.exec(iso);
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  return m ? `${Number(m[2])} ${months[Number(m[1]) - 1]}` : '';
}

function age(s: number): string {
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  if (s < 172800) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86400)} days`;
}

export async function coordinatorView(root: HTMLElement, me: Me): Promise<void> {
  const conn = connectionBanner();
  const mapBox = el('div', { class: 'map', id: 'map' });
  const chart = new DeliveredChart();
  const waiting = el('section', { class: 'panel', 'aria-labelledby': 'waiting-h' }, el('h2', { id: 'waiting-h' }, 'People waiting'));
  const corridors = el('section', { class: 'panel', 'aria-labelledby': 'corr-h' }, el('h2', { id: 'corr-h' }, 'Corridors'));
  const windows = el('section', { class: 'panel', 'aria-labelledby': 'win-h' }, el('h2', { id: 'win-h' }, 'Windows and convoys'));
  const conflicts = el('section', { class: 'panel', 'aria-labelledby': 'conf-h' }, el('h2', { id: 'conf-h' }, 'Open conflicts'));
  const unaccounted = el('section', { class: 'panel', 'aria-labelledby': 'unacc-h' }, el('h2', { id: 'unacc-h' }, 'Unaccounted'));
  const vehicles = el('section', { class: 'panel', 'aria-labelledby': 'veh-h' }, el('h2', { id: 'veh-h' }, 'Vehicles'));
  const replanButton = el('button', { type: 'button', class: 'primary' }, 'Re-plan from the latest report') as HTMLButtonElement;
  const proposal = el('div', { class: 'proposal', 'aria-live': 'polite' });
  const replan = el('section', { class: 'panel', 'aria-labelledby': 'replan-h' },
    el('h2', { id: 'replan-h' }, 'Re-plan'),
    el('p', { class: 'muted' }, 'Plans what remains from the latest report (who is still waiting, where each vehicle is), checked by the validator; nothing changes until you activate it.'),
    el('div', { class: 'actions' }, replanButton), proposal);
  let latestReport = '';
  // Which vehicles' trips are unfolded, kept across live updates.
  const openTrips = new Set<string>();
  const totals = el('p', { class: 'totals', 'aria-live': 'polite' });
  const head = header(me, conn.node);
  root.replaceChildren(
    head.node,
    el('main', { class: 'coordinator' },
      el('div', { class: 'map-col' }, mapBox, totals),
      el('div', { class: 'side' }, chart.node, waiting, conflicts, unaccounted, corridors, windows, replan, printPanel(), vehicles),
    ),
  );
  const map = new OperationMap(mapBox);
  window.addEventListener('resize', () => {
    chart.resize();
    map.resize();
  });

  const resolve = async (c: ConflictView, accept: 'first' | 'second', button: HTMLButtonElement) => {
    button.disabled = true;
    try {
      await api('/api/events', {
        method: 'POST',
        body: JSON.stringify({ id: `resolve-${c.event}-${Date.now()}`, kind: 'resolved', at: deviceTime(), device: me.name, conflict: c.event, accept }),
      });
    } catch (e) {
      button.disabled = false;
      alert(`Not resolved: ${(e as Error).message}`);
    }
  };

  replanButton.addEventListener('click', async () => {
    replanButton.disabled = true;
    proposal.replaceChildren(el('p', {}, 'Planning what remains (up to 5 seconds)…'));
    try {
      const p = await api<Proposal>('/api/replan', { method: 'POST', body: JSON.stringify({ at: latestReport || undefined, time_limit: '5s' }) });
      const f = p.figures;
      const left = f.uncarried.tier_1 + f.uncarried.tier_2 + f.uncarried.tier_3;
      const activate = el('button', { type: 'button', class: 'primary' }, `Activate ${p.id}`) as HTMLButtonElement;
      activate.addEventListener('click', async () => {
        activate.disabled = true;
        try {
          await api(`/api/plans/${encodeURIComponent(p.id)}/activate`, { method: 'POST', body: '{}' });
          proposal.replaceChildren(el('p', { class: 'done' }, `${p.id} is the active plan; manifests and timetables follow it.`));
        } catch (e) {
          activate.disabled = false;
          proposal.append(el('p', { class: 'warn' }, `Not activated: ${(e as Error).message}`));
        }
      });
      const vs = p.changes.vehicles ?? [];
      proposal.replaceChildren(
        el('p', {}, `${p.id}, from ${p.at}: ${f.households} households still to move with ${f.vehicles_in_service} vehicles; the last arrives ${f.makespan}${f.lower_bound ? ` (no plan can finish before ${f.lower_bound})` : ''}${left ? `; ${left} people cannot be carried` : ''}.`),
        el('p', {}, `${vs.length} vehicles change their trips; ${(p.changes.households ?? []).length} households change vehicle or time${(p.changes.sites ?? []).length ? ` (${p.changes.sites.map((x) => `${x.site} ${x.households_changed}`).join(', ')})` : ''}.`),
        vs.length ? table('Changes per vehicle', ['Vehicle', 'New trips', 'Dropped', 'Moved'],
          vs.slice(0, 20).map((v) => [v.vehicle + (v.in_service ? '' : ' (out of service)'), v.added.length, v.removed.length, v.moved.length])) : el('p', { class: 'muted' }, 'The trips stay as they are.'),
        ...p.notes.map((n) => el('p', { class: 'note' }, n)),
        el('div', { class: 'actions' }, activate),
      );
    } catch (e) {
      proposal.replaceChildren(el('p', { class: 'warn' }, `No re-plan: ${(e as Error).message}`));
    } finally {
      replanButton.disabled = false;
    }
  });

  const refresh = async () => {
    const [m, p, s, r, c, mi] = await Promise.all([
      api<MapData>('/api/map'),
      api<Progress>('/api/progress'),
      api<Summary>('/api/summary'),
      api<Reconciliation>('/api/reconciliation'),
      api<{ conflicts: ConflictView[] }>('/api/conflicts'),
      api<{ vehicles: VehicleTrips[] }>('/api/manifests'),
    ]);
    latestReport = m.at;
    head.setContext(`${m.scenario} · plan ${m.plan ?? 'none'} · ${m.events} events · latest report ${shortTime(m.at)}`);
    await map.show(m);
    chart.show(p);
    const t = s.totals;
    totals.textContent = `${t.expected_people} people expected · ${t.waiting_people} waiting · ${t.boarded_people} boarded · ${t.arrived_people} arrived · ${s.unaccounted_people} unaccounted · ${s.open_conflicts} open conflicts${s.complete ? ' · everyone accounted for' : ''}`;

    const sites = m.features.filter((f) => f.properties?.layer === 'site').map((f) => f.properties!);
    const sum = (k: string) => sites.reduce((a, x) => a + Number(x[k] ?? 0), 0);
    waiting.replaceChildren(waiting.firstChild!, table('People waiting per site and tier',
      ['Site', 'Tier 1', 'Tier 2', 'Tier 3', 'All'],
      [...sites.map((x) => [String(x.name), x.waiting_tier1, x.waiting_tier2, x.waiting_tier3, x.waiting]),
        ['All sites', sum('waiting_tier1'), sum('waiting_tier2'), sum('waiting_tier3'), sum('waiting')]],
    ));

    corridors.replaceChildren(corridors.firstChild!, m.corridors.length
      ? table('Corridors', ['Corridor', 'Checkpoint', 'State', 'Next window', 'Windows'],
        m.corridors.map((x) => [x.corridor, x.checkpoint, x.state, shortTime(x.next_window),
          x.windows.filter((w) => w.end > m.at).slice(0, 4).map((w) => `${shortDay(w.start)} ${shortTime(w.start)}–${shortTime(w.end)}`).join(', ') || 'none left']))
      : el('p', { class: 'muted' }, 'No corridor in this operation.'));

    windows.replaceChildren(windows.firstChild!, timeline(m));
    const list = c.conflicts.slice(0, 30);
    conflicts.replaceChildren(conflicts.firstChild!, list.length
      ? el('ul', { class: 'items' }, ...list.map((x) => {
        const keep = el('button', { type: 'button', 'aria-label': `Keep the first version of ${x.rule} ${x.event}` }, 'Keep first') as HTMLButtonElement;
        keep.addEventListener('click', () => void resolve(x, 'first', keep));
        const second = el('button', { type: 'button', 'aria-label': `Accept the second version of ${x.rule} ${x.event}` }, 'Accept second') as HTMLButtonElement;
        second.addEventListener('click', () => void resolve(x, 'second', second));
        if (!x.second_version) second.disabled = true;
        return el('li', {},
          el('strong', {}, x.rule), ` · ${shortTime(x.at)}${x.household ? ` · ${x.household}` : ''}${x.vehicle ? ` · ${x.vehicle}` : ''}`,
          el('p', {}, x.message),
          el('div', { class: 'actions' }, keep, second));
      }))
      : el('p', { class: 'muted' }, 'No open conflicts.'));

    // Ages from the latest report, so that a replayed or delayed log reads as it happened.
    const latest = Date.parse(m.at);
    const since = (u: Unaccounted) => (u.last_event && !Number.isNaN(latest) ? Math.max(0, Math.round((latest - Date.parse(u.last_event.at)) / 1000)) : u.age_seconds);
    const rows = r.unaccounted.slice().sort((a, b) => since(b) - since(a));
    const shown = rows.slice(0, 12);
    unaccounted.replaceChildren(unaccounted.firstChild!, ...(rows.length
      ? [table('Boarded and not arrived', ['Household', 'People', 'Vehicle', 'Last seen', 'For'],
        shown.map((u) => [u.household, u.people, `${u.vehicle ?? '—'}${u.trip ? ` trip ${u.trip}` : ''}`,
          u.last_event ? `${u.last_event.kind} ${shortTime(u.last_event.at)}` : '—', age(since(u))])),
        el('p', { class: 'muted' }, rows.length > shown.length
          ? `${rows.length} households (${rows.reduce((a, u) => a + u.people, 0)} people) boarded and not arrived; the ${shown.length} longest unseen are listed.`
          : `${rows.length} households boarded and not arrived, longest unseen first.`)]
      : [el('p', { class: 'muted' }, 'Nobody is unaccounted for.')]));

    const trips = new Map(mi.vehicles.map((v) => [v.vehicle, v]));
    // The table is drawn afresh on each update: a focused trips summary keeps the focus.
    const focused = (document.activeElement as HTMLElement | null)?.closest('details.vehicle-trips')?.getAttribute('data-vehicle');
    vehicles.replaceChildren(vehicles.firstChild!, table('Vehicles', ['Vehicle', 'Status', 'At', 'On board', 'Since', 'Trips', 'Boarded / planned'],
      s.vehicles.map((v) => [v.vehicle, v.status.replace(/_/g, ' '), v.site, v.people_on_board, shortTime(v.at),
        tripsCell(trips.get(v.vehicle), openTrips),
        `${trips.get(v.vehicle)?.boarded_people ?? 0} / ${trips.get(v.vehicle)?.planned_people ?? 0}`])));
    if (focused) vehicles.querySelector<HTMLElement>(`details.vehicle-trips[data-vehicle="${CSS.escape(focused)}"] summary`)?.focus();
  };
  live(refresh, conn.set);
}
