// The monitor's screen: aggregates and vehicle movements only. It calls routes
// that carry counts and positions (/api/summary, /api/vehicles, /api/map,
// /api/progress), never one that names a household.
import { api, connectionBanner, el, Me, live, shortTime } from './api';
import { DeliveredChart, Progress } from './chart';
import { header, Summary, table, VehiclePosition } from './common';
import { MapData, OperationMap } from './map';

export async function monitorView(root: HTMLElement, me: Me): Promise<void> {
  const conn = connectionBanner();
  const head = header(me, conn.node);
  const mapBox = el('div', { class: 'map', id: 'map' });
  const chart = new DeliveredChart();
  const tiles = el('section', { class: 'tiles', 'aria-label': 'Totals' });
  const sites = el('section', { class: 'panel', 'aria-labelledby': 'sites-h' }, el('h2', { id: 'sites-h' }, 'Gathering points'));
  const tiers = el('section', { class: 'panel', 'aria-labelledby': 'tiers-h' }, el('h2', { id: 'tiers-h' }, 'Priority tiers'));
  const dests = el('section', { class: 'panel', 'aria-labelledby': 'dest-h' }, el('h2', { id: 'dest-h' }, 'Destinations'));
  const vehicles = el('section', { class: 'panel', 'aria-labelledby': 'veh-h' }, el('h2', { id: 'veh-h' }, 'Vehicle movements'));
  root.replaceChildren(head.node, el('main', { class: 'coordinator monitor' },
    el('div', { class: 'map-col' }, tiles, mapBox),
    el('div', { class: 'side' }, chart.node, sites, tiers, dests, vehicles)));
  const map = new OperationMap(mapBox);
  window.addEventListener('resize', () => {
    chart.resize();
    map.resize();
  });
  const tile = (label: string, value: number) => el('div', { class: 'tile' }, el('span', { class: 'value' }, String(value)), el('span', { class: 'label-t' }, label));
  const refresh = async () => {
    const [s, v, m, p] = await Promise.all([
      api<Summary>('/api/summary'),
      api<{ vehicles: VehiclePosition[] }>('/api/vehicles'),
      api<MapData>('/api/map'),
      api<Progress>('/api/progress'),
    ]);
    head.setContext(`${m.scenario} · ${s.events} events · latest report ${shortTime(s.at)}`);
    const t = s.totals;
    tiles.replaceChildren(
      tile('expected', t.expected_people), tile('waiting', t.waiting_people), tile('on board', s.unaccounted_people),
      tile('arrived', t.arrived_people), tile('open conflicts', s.open_conflicts));
    await map.show(m);
    chart.show(p);
    sites.replaceChildren(sites.firstChild!, table('People per gathering point', ['Site', 'Expected', 'Waiting', 'Boarded', 'Arrived'],
      s.sites.map((x) => [x.site, x.expected_people, x.waiting_people, x.boarded_people, x.arrived_people])));
    tiers.replaceChildren(tiers.firstChild!, table('People per priority tier', ['Tier', 'People', 'Waiting', 'On board', 'Arrived'],
      s.tiers.map((x) => [`Tier ${x.tier}`, x.people, x.waiting, x.on_board, x.arrived])));
    dests.replaceChildren(dests.firstChild!, table('Arrivals per destination', ['Destination', 'Arrived', 'Capacity'],
      s.destinations.map((x) => [x.destination, x.arrived_people, x.capacity ?? '—'])));
    vehicles.replaceChildren(vehicles.firstChild!, table('Vehicle movements', ['Vehicle', 'Status', 'At', 'On board', 'Since'],
      v.vehicles.map((x) => [x.vehicle, x.status.replace(/_/g, ' '), x.site, x.people_on_board, shortTime(x.at)])));
  };
  live(refresh, conn.set);
}
