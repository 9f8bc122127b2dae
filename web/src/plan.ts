// The coordinator's plan page (`#plan`): where the plan's time goes (the
// bottleneck first), its rehearsal band, and the active plan's vehicle schedules,
// per vehicle its trips with their departure, stops, corridor crossing,
// destination, arrival and people, and the households the plan leaves behind
// with the planner's reason. The structure comes from `GET /api/plan` (the plan
// file, whose times are seconds from the scenario's start); the instants and the
// people come from each vehicle's manifest, which the server writes on the
// scenario's clock.
import { api, el, Me } from './api';
import { Progress } from './chart';
import { rehearsalSection } from './rehearsal';
import { count, dayTime, hourMinute, Manifest, manifests, shell } from './print';

/** `GET /api/plan/explanation`: where the plan's time goes, the bottleneck first. */
interface Explanation {
  plan: string;
  text: string;
}

/** The bottleneck explanation and the rehearsal, above the schedules. */
async function analysis(): Promise<HTMLElement[]> {
  const [x, p] = await Promise.all([
    api<Explanation>('/api/plan/explanation').catch(() => null),
    api<Progress>('/api/progress').catch(() => null),
  ]);
  const out: HTMLElement[] = [];
  if (x) {
    const [first, ...rest] = x.text.trim().split('\n');
    out.push(el('section', { class: 'sheet', 'aria-labelledby': 'explain-h' },
      el('h2', { id: 'explain-h' }, 'Where the time goes'),
      el('p', { class: 'bottleneck' }, el('strong', {}, first ?? '')),
      ...rest.map((line) => el('p', {}, line))));
  }
  if (p) out.push(rehearsalSection(p));
  return out;
}

interface PlanStop {
  site: string;
  arrives: number;
  departs: number;
  households: string[];
}

interface PlanTrip {
  departs: number;
  stops: PlanStop[];
  crossing?: { corridor: string; queued: number; starts: number; ends: number; convoy?: number | null };
  destination: string;
  arrives: number;
  unloaded: number;
}

interface PlanFile {
  scenario: string;
  routes: { vehicle: string; returns_at?: number; trips: PlanTrip[] }[];
  uncarried?: { household: string; reason: string }[];
}

function schedule(route: PlanFile['routes'][number], m: Manifest | undefined): HTMLElement {
  const size = new Map<string, number>();
  for (const t of m?.trips ?? []) for (const h of t.households) size.set(h.household, h.people);
  const rows = route.trips.map((t, i) => {
    const mt = m?.trips.find((x) => x.trip === i + 1);
    const people = t.stops.reduce((a, s) => a + s.households.reduce((b, h) => b + (size.get(h) ?? 0), 0), 0);
    const stops = el('ol', { class: 'stops' }, ...t.stops.map((s, k) => {
      const ms = mt?.stops[k];
      const here = s.households.reduce((b, h) => b + (size.get(h) ?? 0), 0);
      return el('li', {}, `${s.site} ${ms ? `${hourMinute(ms.arrives)}–${hourMinute(ms.departs)}` : ''}: `,
        s.households.length ? `${count(s.households.length, 'household')}, ${count(here, 'person', 'people')} (${s.households.join(', ')})` : 'passes by');
    }));
    const crossing = t.crossing ? `${t.crossing.corridor}${t.crossing.convoy != null ? `, convoy ${t.crossing.convoy}` : ''}` : '—';
    return el('tr', {},
      el('th', { scope: 'row' }, String(i + 1)),
      el('td', {}, dayTime(mt?.departs)),
      el('td', {}, stops),
      el('td', {}, crossing),
      el('td', {}, t.destination),
      el('td', {}, dayTime(mt?.arrives)),
      el('td', { class: 'num' }, String(mt?.planned_people ?? people)));
  });
  return el('section', { class: 'sheet vehicle-plan', 'aria-labelledby': `plan-${route.vehicle}` },
    el('h2', { id: `plan-${route.vehicle}` }, route.vehicle),
    m ? el('p', { class: 'sheet-note' }, `${m.vehicle_type}, ${m.seats} seats, ${m.stretchers} stretchers · ${count(route.trips.length, 'trip')}${m.out_of_service_since ? ` · out of service since ${dayTime(m.out_of_service_since)}` : ''}`) : null,
    el('div', { class: 'table-wrap' }, el('table', { class: 'sheet-table' },
      el('caption', {}, `Schedule of ${route.vehicle}`),
      el('thead', {}, el('tr', {}, ...['Trip', 'Leaves', 'Stops', 'Corridor', 'Destination', 'Arrives', 'People'].map((c) => el('th', { scope: 'col' }, c)))),
      el('tbody', {}, ...rows))));
}

export async function planView(root: HTMLElement, me: Me): Promise<void> {
  document.title = 'Corridor · active plan';
  const { main, status } = shell(root, me, 'Active plan');
  try {
    const plan = await api<PlanFile>('/api/plan');
    const routes = plan.routes.filter((r) => r.trips.length);
    const ms = await manifests(routes.map((r) => r.vehicle));
    const id = [...ms.values()].find((m) => m.plan)?.plan;
    const people = [...ms.values()].reduce((a, m) => a + m.trips.reduce((b, t) => b + t.planned_people, 0), 0);
    const trips = routes.reduce((a, r) => a + r.trips.length, 0);
    const last = [...ms.values()].flatMap((m) => m.trips.map((t) => t.arrives)).filter((x): x is string => !!x)
      .sort((a, b) => Date.parse(a) - Date.parse(b) || a.localeCompare(b)).pop();
    const uncarried = plan.uncarried ?? [];
    main.replaceChildren(
      el('section', { class: 'sheet plan-summary', 'aria-labelledby': 'plan-h' },
        el('h1', { id: 'plan-h' }, `Active plan${id ? ` ${id}` : ''}`),
        el('p', {}, `${plan.scenario}: ${count(routes.length, 'vehicle')}, ${count(trips, 'trip')}, ${count(people, 'person', 'people')} planned; the last arrives ${dayTime(last)}.`),
        uncarried.length
          ? el('table', { class: 'sheet-table' },
            el('caption', {}, `Left behind by the plan: ${count(uncarried.length, 'household')}`),
            el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'Household'), el('th', { scope: 'col' }, 'Why'))),
            el('tbody', {}, ...uncarried.map((u) => el('tr', {}, el('th', { scope: 'row' }, u.household), el('td', {}, u.reason)))))
          : el('p', {}, 'The plan carries every household of the registry.')),
      ...(await analysis()),
      ...routes.map((r) => schedule(r, ms.get(r.vehicle))));
    status.textContent = `${count(routes.length, 'vehicle schedule')}.`;
  } catch (e) {
    status.textContent = '';
    main.replaceChildren(el('p', { class: 'warn' }, `No plan to show: ${(e as Error).message}`));
  }
}
