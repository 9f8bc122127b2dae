// The operation map: MapLibre drawing the server's own GeoJSON (/api/map) on a
// plain background. No tiles, no fonts, nothing from the internet: names and
// counts are HTML labels placed on the map.
import { Map as MapLibre, Marker, setWorkerUrl, LngLatBounds } from 'maplibre-gl';
import type { FeatureCollection, Feature, Point } from 'geojson';
import { el } from './api';

setWorkerUrl('/assets/maplibre-gl-worker.mjs');

export interface MapData extends FeatureCollection {
  scenario: string;
  plan: string | null;
  events: number;
  at: string;
  corridors: {
    corridor: string; checkpoint: string; state: string; next_window: string | null; closed_since: string | null;
    windows: { start: string; end: string }[]; crossings: { at: string; vehicle: string; convoy: number | null }[];
  }[];
}

const empty: FeatureCollection = { type: 'FeatureCollection', features: [] };

export class OperationMap {
  private map: MapLibre;
  private ready: Promise<void>;
  private markers: Marker[] = [];
  private bounds: LngLatBounds | null = null;
  private moved = false;

  constructor(container: HTMLElement) {
    this.map = new MapLibre({
      container,
      style: {
        version: 8,
        sources: { ops: { type: 'geojson', data: empty } },
        layers: [
          { id: 'background', type: 'background', paint: { 'background-color': '#eef1ec' } },
          {
            id: 'legs', type: 'line', source: 'ops', filter: ['==', ['get', 'layer'], 'leg'],
            paint: { 'line-color': '#6b7c93', 'line-width': 1.5, 'line-opacity': 0.55, 'line-dasharray': [3, 2] },
          },
          {
            id: 'sites', type: 'circle', source: 'ops', filter: ['==', ['get', 'layer'], 'site'],
            paint: {
              'circle-color': '#c2410c', 'circle-opacity': 0.35, 'circle-stroke-color': '#9a3412', 'circle-stroke-width': 2,
              'circle-radius': ['+', 6, ['*', 3, ['sqrt', ['get', 'waiting']]]],
            },
          },
          {
            id: 'destinations', type: 'circle', source: 'ops', filter: ['==', ['get', 'layer'], 'destination'],
            paint: {
              'circle-color': '#15803d', 'circle-opacity': 0.3, 'circle-stroke-color': '#166534', 'circle-stroke-width': 2,
              'circle-radius': ['+', 8, ['*', 2.5, ['sqrt', ['get', 'arrived']]]],
            },
          },
          {
            id: 'depots', type: 'circle', source: 'ops', filter: ['==', ['get', 'layer'], 'depot'],
            paint: { 'circle-color': '#475569', 'circle-radius': 6, 'circle-stroke-color': '#fff', 'circle-stroke-width': 2 },
          },
          {
            id: 'checkpoints', type: 'circle', source: 'ops', filter: ['==', ['get', 'layer'], 'checkpoint'],
            paint: {
              'circle-radius': 9, 'circle-stroke-color': '#111827', 'circle-stroke-width': 2,
              'circle-color': ['match', ['get', 'state'], 'open', '#16a34a', 'closed', '#dc2626', '#f59e0b'],
            },
          },
          {
            id: 'vehicles', type: 'circle', source: 'ops', filter: ['==', ['get', 'layer'], 'vehicle'],
            paint: {
              'circle-radius': 5, 'circle-stroke-color': '#fff', 'circle-stroke-width': 1.5,
              'circle-color': ['match', ['get', 'status'], 'out_of_service', '#dc2626', 'at_depot', '#64748b', '#1d4ed8'],
            },
          },
        ],
      },
      center: [0, 0],
      zoom: 1,
      attributionControl: false,
      dragRotate: false,
      pitchWithRotate: false,
      locale: { 'Map.Title': 'Operation map' },
    });
    this.map.getCanvas().setAttribute('aria-label', 'Operation map');
    this.ready = new Promise((resolve) => this.map.on('load', () => resolve()));
    // Once someone pans or zooms, the map stays where they put it.
    this.map.on('movestart', (e) => {
      if ((e as { originalEvent?: unknown }).originalEvent) this.moved = true;
    });
    this.map.on('moveend', () => this.declutter());
  }

  async show(data: MapData): Promise<void> {
    await this.ready;
    const source = this.map.getSource('ops') as unknown as { setData(d: FeatureCollection): void };
    source.setData(data);
    // Circle areas grow with people, the largest site at about 30 px radius whatever the operation's size.
    const most = (layer: string, key: string) => Math.max(1, ...data.features.filter((f) => f.properties?.layer === layer).map((f) => Number(f.properties?.[key] ?? 0)));
    this.map.setPaintProperty('sites', 'circle-radius', ['+', 5, ['*', 30 / Math.sqrt(most('site', 'waiting')), ['sqrt', ['get', 'waiting']]]]);
    this.map.setPaintProperty('destinations', 'circle-radius', ['+', 7, ['*', 24 / Math.sqrt(Math.max(most('destination', 'arrived'), most('destination', 'capacity'))), ['sqrt', ['get', 'arrived']]]]);
    for (const m of this.markers) m.remove();
    this.markers = [];
    // Vehicles at one place share a label: their names when few, a count when many.
    const groups = new globalThis.Map<string, { at: [number, number]; names: string[]; aboard: number }>();
    for (const f of data.features as Feature[]) {
      const p = f.properties ?? {};
      if (p.layer !== 'vehicle' || f.geometry.type !== 'Point') continue;
      const at = (f.geometry as Point).coordinates as [number, number];
      const g = groups.get(at.join(',')) ?? { at, names: [], aboard: 0 };
      g.names.push(`${p.name}${p.people_on_board ? ` (${p.people_on_board})` : ''}`);
      g.aboard += Number(p.people_on_board ?? 0);
      groups.set(at.join(','), g);
    }
    for (const g of groups.values()) {
      const lines = g.names.length <= 3 ? g.names : [`${g.names.length} vehicles${g.aboard ? `, ${g.aboard} on board` : ''}`];
      lines.forEach((text, i) => {
        const node = el('div', { class: 'label vehicle', 'aria-hidden': 'true' }, text);
        this.markers.push(new Marker({ element: node, offset: [0, 16 + 15 * i] }).setLngLat(g.at).addTo(this.map));
      });
    }
    for (const f of data.features as Feature[]) {
      const p = f.properties ?? {};
      if (f.geometry.type !== 'Point') continue;
      const at = (f.geometry as Point).coordinates as [number, number];
      let text: string | null = null;
      let cls = 'label';
      const offset: [number, number] = [0, -14];
      switch (p.layer) {
        case 'site':
          text = `${p.name}: ${p.waiting} waiting`;
          cls += ' site';
          break;
        case 'destination':
          text = `${p.name}: ${p.arrived}${p.capacity != null ? ` / ${p.capacity}` : ''}`;
          cls += ' dest';
          break;
        case 'depot':
          text = String(p.name);
          cls += ' depot';
          break;
        case 'checkpoint':
          text = `${p.name}: ${p.state}`;
          cls += ` checkpoint ${String(p.state).replace(/ /g, '-')}`;
          break;
      }
      if (text === null) continue;
      const node = el('div', { class: cls, 'aria-hidden': 'true' }, text);
      this.markers.push(new Marker({ element: node, offset }).setLngLat(at).addTo(this.map));
    }
    this.declutter();
    if (!this.bounds) {
      const b = new LngLatBounds();
      for (const f of data.features as Feature[]) {
        if (f.geometry.type === 'Point') b.extend((f.geometry as Point).coordinates as [number, number]);
      }
      if (!b.isEmpty()) this.bounds = b;
      this.fit();
    }
  }

  /** Hides labels that would cover one placed before them (checkpoints, then sites, destinations, depots, vehicles). */
  private declutter(): void {
    const rank = (e: HTMLElement) => ['checkpoint', 'site', 'dest', 'depot', 'vehicle'].findIndex((c) => e.classList.contains(c));
    const nodes = this.markers.map((m) => m.getElement()).sort((a, b) => rank(a) - rank(b));
    for (const n of nodes) n.style.visibility = '';
    const placed: DOMRect[] = [];
    for (const n of nodes) {
      const r = n.getBoundingClientRect();
      if (placed.some((p) => r.left < p.right && r.right > p.left && r.top < p.bottom && r.bottom > p.top)) {
        n.style.visibility = 'hidden';
      } else {
        placed.push(r);
      }
    }
  }

  private fit(): void {
    if (!this.bounds || this.moved) return;
    const w = this.map.getContainer().clientWidth;
    const side = Math.round(Math.min(130, w * 0.18));
    this.map.fitBounds(this.bounds, { padding: { top: 40, bottom: 40, left: side, right: side }, duration: 0, maxZoom: 15 });
  }

  resize(): void {
    this.map.resize();
    this.fit();
  }

  /** Resolves when the map has drawn everything it has. */
  idle(): Promise<void> {
    return new Promise((resolve) => {
      if (this.map.loaded()) resolve();
      else this.map.once('idle', () => resolve());
    });
  }
}
