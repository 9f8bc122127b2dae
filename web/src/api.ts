// Talking to the corridor server: the token, JSON requests and the live stream.

const TOKEN_KEY = 'corridor.token';

export function token(): string | null {
  return localStorage.getItem(TOKEN_KEY);
}

export function setToken(t: string): void {
  localStorage.setItem(TOKEN_KEY, t);
}

export function signOut(): void {
  localStorage.removeItem(TOKEN_KEY);
}

/** An answer the server gave (as opposed to no answer at all). */
export class HttpError extends Error {
  constructor(public status: number, message: string) {
    super(message);
  }
}

export async function api<T>(path: string, init: RequestInit = {}): Promise<T> {
  const headers = new Headers(init.headers);
  const t = token();
  if (t) headers.set('Authorization', `Bearer ${t}`);
  if (init.body) headers.set('Content-Type', 'application/json');
  const r = await fetch(path, { ...init, headers, cache: 'no-store' });
  const text = await r.text();
  let body: unknown = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  if (!r.ok) {
    const msg = (body && typeof body === 'object' && 'error' in body) ? String((body as { error: unknown }).error) : `${r.status} ${r.statusText}`;
    throw new HttpError(r.status, msg);
  }
  return body as T;
}

export interface Me {
  name: string;
  role: 'coordinator' | 'registrar' | 'driver' | 'monitor';
  site?: string;
  vehicle?: string;
  /** Only when the operation runs on an accelerated clock (a demonstration). */
  clock?: { now: string; speed: number };
}

/** An accelerated operation clock: its reading at a moment of this device's clock, and its speed. */
let accelerated: { at: number; wall: number; speed: number } | null = null;

/** Follow the operation's accelerated clock, when the server runs one, for the times events carry. */
export function followClock(me: Me): void {
  const at = me.clock ? Date.parse(me.clock.now) : NaN;
  accelerated = me.clock && !Number.isNaN(at) ? { at, wall: Date.now(), speed: me.clock.speed } : null;
}

/** The device's time as the API takes it: an ISO 8601 instant (on the operation's clock when it is accelerated). */
export function deviceTime(d = new Date()): string {
  const t = accelerated ? new Date(accelerated.at + (d.getTime() - accelerated.wall) * accelerated.speed) : d;
  return t.toISOString().replace(/\.\d+Z$/, 'Z');
}

export function clockTime(d: Date): string {
  return d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
}

/**
 * The server's stream of log changes. `onChange` runs at once and whenever the
 * log grows; `onStatus` tells whether the connection is up, and when the last
 * update arrived.
 */
export function live(onChange: () => Promise<void>, onStatus: (up: boolean, last: Date | null) => void): void {
  let last: Date | null = null;
  let up = false;
  let running = false;
  let again = false;
  const refresh = async () => {
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      do {
        again = false;
        await onChange();
        last = new Date();
      } while (again);
      onStatus(up, last);
    } catch {
      onStatus(false, last);
    } finally {
      running = false;
    }
  };
  const connect = () => {
    const es = new EventSource(`/api/stream?token=${encodeURIComponent(token() ?? '')}`);
    es.onopen = () => {
      up = true;
      onStatus(true, last);
    };
    es.onmessage = () => {
      up = true;
      void refresh();
    };
    es.onerror = () => {
      up = false;
      onStatus(false, last);
      if (es.readyState === EventSource.CLOSED) {
        es.close();
        setTimeout(connect, 3000);
      }
    };
  };
  window.addEventListener('offline', () => {
    up = false;
    onStatus(false, last);
  });
  connect();
}

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: (Node | string | null)[]): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v;
    else e.setAttribute(k, v);
  }
  for (const c of children) {
    if (c !== null) e.append(c);
  }
  return e;
}

/** `2025-03-14T07:12:00+01:00` → `07:12` (and the date when it is not today's operation day). */
export function shortTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const m = /T(\d\d:\d\d)/.exec(iso);
  return m ? m[1] : iso;
}

/** The connection banner: hidden when live, "connection lost, last update at …" otherwise. */
export function connectionBanner(): { node: HTMLElement; set: (up: boolean, last: Date | null) => void } {
  const node = el('p', { class: 'conn', role: 'status', 'aria-live': 'polite' }, 'Connecting…');
  return {
    node,
    set(up, last) {
      node.classList.toggle('lost', !up);
      node.classList.toggle('live', up);
      node.textContent = up
        ? `Live · updated ${last ? clockTime(last) : '—'}`
        : `Connection lost, last update at ${last ? clockTime(last) : 'never'}; retrying`;
    },
  };
}
