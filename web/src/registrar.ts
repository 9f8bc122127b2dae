// The registrar's screen at one gathering point, for a phone and a keyboard (or
// a hand-held scanner, which types the code and Enter): find a household, see
// its vehicle and time, mark it boarded or a no-show, register a household that
// is not on the list. Every event is kept on this device and resent with the
// same id until the server has recorded it.
import { api, connectionBanner, deviceTime, el, HttpError, Me, live, shortTime } from './api';
import { header, TimetableRow } from './common';
import { sitePrintLinks } from './print';

interface Whereabouts {
  household: string;
  people: number;
  stretcher_cases: number;
  tier: number;
  site: string;
  status: string;
  planned?: { vehicle: string; trip: number; departs?: string; destination?: string };
  vehicle?: string;
  trip?: number;
  boarded_at?: string;
}

interface EventIn {
  id: string;
  kind: string;
  at: string;
  device: string;
  household?: string;
  vehicle?: string;
  trip?: number;
  site?: string;
  people?: number;
  stretcher_cases?: number;
  tier?: number;
}

type State = 'waiting' | 'saved' | 'conflict' | 'refused';

interface Queued {
  event: EventIn;
  label: string;
  state: State;
  message?: string;
}

const STATUS_WORDS: Record<string, string> = {
  waiting: 'expected, not yet seen',
  registered: 'registered here',
  on_board: 'on board',
  arrived: 'arrived',
  no_show: 'no-show',
  stayed: 'stayed',
};

export function registrarView(root: HTMLElement, me: Me): void {
  const site = me.site ?? '';
  const queueKey = `corridor.queue.${me.name}`;
  const ttKey = `corridor.timetable.${site}`;
  let queue: Queued[] = JSON.parse(localStorage.getItem(queueKey) ?? '[]') as Queued[];
  let timetable: TimetableRow[] = JSON.parse(localStorage.getItem(ttKey) ?? '[]') as TimetableRow[];
  const save = () => localStorage.setItem(queueKey, JSON.stringify(queue));

  const conn = connectionBanner();
  const head = header(me, conn.node);
  head.setContext(`Gathering point: ${site}`);

  const ref = el('input', { id: 'ref', name: 'reference', type: 'text', autocomplete: 'off', autocapitalize: 'characters', spellcheck: 'false', enterkeyhint: 'search', required: '' }) as HTMLInputElement;
  const find = el('form', { class: 'find', role: 'search', 'aria-label': 'Find a household' },
    el('label', { for: 'ref' }, 'Household reference'),
    el('div', { class: 'row' }, ref, el('button', { type: 'submit' }, 'Find')),
  );
  const result = el('section', { class: 'result', 'aria-live': 'polite', 'aria-label': 'Household' });
  const status = el('section', { class: 'queue', 'aria-labelledby': 'queue-h' });

  const newRef = el('input', { id: 'new-ref', type: 'text', autocomplete: 'off', required: '' }) as HTMLInputElement;
  const newPeople = el('input', { id: 'new-people', type: 'number', min: '1', max: '99', value: '1', required: '', inputmode: 'numeric' }) as HTMLInputElement;
  const newLying = el('input', { id: 'new-lying', type: 'number', min: '0', max: '99', value: '0', inputmode: 'numeric' }) as HTMLInputElement;
  const newTier = el('select', { id: 'new-tier' },
    el('option', { value: '3' }, '3 (general)'), el('option', { value: '2' }, '2 (vulnerable)'), el('option', { value: '1' }, '1 (medical)')) as HTMLSelectElement;
  const register = el('form', { class: 'register', 'aria-labelledby': 'reg-h' },
    el('h2', { id: 'reg-h' }, 'Register a household not on the list'),
    el('label', { for: 'new-ref' }, 'Reference of the new household'), newRef,
    el('div', { class: 'row3' },
      el('div', {}, el('label', { for: 'new-people' }, 'People'), newPeople),
      el('div', {}, el('label', { for: 'new-lying' }, 'Lying down'), newLying),
      el('div', {}, el('label', { for: 'new-tier' }, 'Priority tier'), newTier)),
    el('button', { type: 'submit' }, 'Register household'),
  );

  root.replaceChildren(head.node, el('main', { class: 'registrar' }, find, result, status, register, sitePrintLinks(site)));
  ref.focus();

  const newId = (kind: string) => `${me.name}-${kind}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;

  const lastState = el('span', { id: 'last-state' });
  const renderQueue = () => {
    const last = queue[queue.length - 1];
    lastState.textContent = !last ? '' : last.state === 'waiting' ? 'Saved on this device, waiting to be sent.'
      : last.state === 'refused' ? `Not recorded: ${last.message ?? ''}` : 'Saved on the server.';
    const waiting = queue.filter((q) => q.state === 'waiting').length;
    const saved = queue.filter((q) => q.state === 'saved' || q.state === 'conflict').length;
    const summary = waiting
      ? `${waiting} waiting to be sent: kept on this device and sent as soon as the server answers. ${saved} saved.`
      : queue.length ? `Everything is saved on the server (${saved}).` : 'Nothing recorded on this device yet.';
    const words: Record<State, string> = { waiting: 'Waiting to be sent', saved: 'Saved', conflict: 'Saved, flagged for the coordinator', refused: 'Not recorded' };
    status.replaceChildren(
      el('h2', { id: 'queue-h' }, 'Sent from this device'),
      el('p', { class: waiting ? 'pending' : 'allsaved', role: 'status', id: 'queue-status' }, summary),
      el('ul', { class: 'events' }, ...queue.slice().reverse().slice(0, 30).map((q) =>
        el('li', { class: `ev ${q.state}` }, el('span', { class: 'badge' }, words[q.state]), ` ${q.label}`, q.message && q.state !== 'saved' ? el('small', {}, ` ${q.message}`) : null))),
    );
  };

  let sending = false;
  const flush = async () => {
    const batch = queue.filter((q) => q.state === 'waiting');
    if (sending || !batch.length) return;
    sending = true;
    try {
      const r = await api<{ results: { id: string; result: string; message: string }[] }>('/api/events', {
        method: 'POST', body: JSON.stringify(batch.map((q) => q.event)),
      });
      for (const x of r.results) {
        const q = queue.find((y) => y.event.id === x.id);
        if (!q) continue;
        q.state = x.result === 'recorded' || x.result === 'duplicate' ? 'saved' : x.result === 'conflict' ? 'conflict' : 'refused';
        q.message = x.message;
      }
    } catch (e) {
      if (e instanceof HttpError && e.status !== 503 && e.status !== 401 && e.status < 500) {
        for (const q of batch) {
          q.state = 'refused';
          q.message = e.message;
        }
      }
      // Otherwise no answer: everything stays waiting and is sent again with the same ids.
    } finally {
      sending = false;
      queue = queue.filter((q, i) => q.state === 'waiting' || i >= queue.length - 100);
      save();
      renderQueue();
    }
  };
  const enqueue = (event: EventIn, label: string) => {
    queue.push({ event, label, state: 'waiting' });
    save();
    renderQueue();
    void flush();
  };
  setInterval(() => void flush(), 3000);
  window.addEventListener('online', () => void flush());

  const pending = (household: string): Queued | undefined => queue.filter((q) => q.event.household === household && q.state === 'waiting').pop();

  const fromTimetable = (reference: string): { vehicle: string; trip: number; departs: string; destination: string } | null => {
    const row = timetable.find((r) => r.households.includes(reference));
    return row ? { vehicle: row.vehicle, trip: row.trip, departs: row.departs, destination: row.destination } : null;
  };

  const show = (w: Whereabouts | null, reference: string, note: string) => {
    const planned = w?.planned ?? fromTimetable(reference);
    // When the vehicle is at this gathering point (the timetable's stop), not when it leaves its depot.
    const stop = planned ? timetable.find((r) => r.vehicle === planned.vehicle && r.trip === planned.trip) : undefined;
    const choices = timetable.filter((r) => !r.departed);
    const pick = el('select', { id: 'trip-pick' }, ...choices.map((r) => el('option', { value: `${r.vehicle}|${r.trip}` }, `${r.vehicle} trip ${r.trip}, leaves ${shortTime(r.departs)}`))) as HTMLSelectElement;
    if (planned) pick.value = `${planned.vehicle}|${planned.trip}`;
    const boarded = el('button', { type: 'button', class: 'primary' }, 'Boarded') as HTMLButtonElement;
    const noShow = el('button', { type: 'button' }, 'No-show') as HTMLButtonElement;
    if (!choices.length && !planned) boarded.disabled = true;
    const q = pending(reference);
    const kindWords: Record<string, string> = { boarded: 'boarded', no_show: 'no-show', registered: 'registered' };
    const st = q ? `${kindWords[q.event.kind] ?? q.event.kind} (saved on this device, waiting to be sent)` : w ? (STATUS_WORDS[w.status] ?? w.status) : 'not known to the server yet';
    boarded.addEventListener('click', () => {
      const [vehicle, trip] = (pick.value || (planned ? `${planned.vehicle}|${planned.trip}` : '')).split('|');
      if (!vehicle) return;
      enqueue({ id: newId('boarded'), kind: 'boarded', at: deviceTime(), device: me.name, household: reference, vehicle, trip: Number(trip) }, `${reference} boarded ${vehicle} trip ${trip}`);
      done(`${reference}: boarded ${vehicle}.`);
    });
    noShow.addEventListener('click', () => {
      enqueue({ id: newId('no_show'), kind: 'no_show', at: deviceTime(), device: me.name, household: reference }, `${reference} no-show`);
      done(`${reference}: no-show.`);
    });
    result.replaceChildren(...[
      el('h2', {}, reference),
      note ? el('p', { class: 'note' }, note) : null,
      el('dl', {},
        el('dt', {}, 'Status'), el('dd', { id: 'hh-status' }, st),
        w ? el('dt', {}, 'People') : null, w ? el('dd', {}, `${w.people}${w.stretcher_cases ? `, ${w.stretcher_cases} lying` : ''} · tier ${w.tier}`) : null,
        el('dt', {}, 'Vehicle'), el('dd', { id: 'hh-vehicle' }, planned ? `${planned.vehicle}, trip ${planned.trip}` : 'none planned'),
        el('dt', {}, 'Here'), el('dd', { id: 'hh-time' }, stop ? `${shortTime(stop.arrives)} to ${shortTime(stop.departs)}` : planned?.departs ? `trip leaves ${shortTime(planned.departs)}` : '—'),
        planned?.destination ? el('dt', {}, 'To') : null, planned?.destination ? el('dd', {}, planned.destination) : null,
        w?.vehicle ? el('dt', {}, 'Boarded') : null, w?.vehicle ? el('dd', {}, `${w.vehicle} trip ${w.trip} at ${shortTime(w.boarded_at)}`) : null,
      ),
      choices.length ? el('div', { class: 'pick' }, el('label', { for: 'trip-pick' }, 'Vehicle and trip'), pick) : null,
      el('div', { class: 'actions big' }, boarded, noShow),
    ].filter((x) => x !== null));
    boarded.focus();
  };
  const done = (msg: string) => {
    result.replaceChildren(el('p', { class: 'done' }, msg, ' ', lastState, ' Next household: type or scan its reference.'));
    renderQueue();
    ref.value = '';
    ref.focus();
  };

  // A scanner types the next code wherever the focus is: the first character of a
  // code typed while the focus is on a button (after a lookup) starts a new
  // reference, so its Enter looks that household up instead of pressing the button.
  document.addEventListener('keydown', (e) => {
    const at = document.activeElement;
    if (e.key.length !== 1 || e.key === ' ' || e.ctrlKey || e.metaKey || e.altKey) return;
    if (at instanceof HTMLInputElement || at instanceof HTMLSelectElement || at instanceof HTMLTextAreaElement) return;
    e.preventDefault();
    ref.value = e.key;
    ref.focus();
  });

  find.addEventListener('submit', async (e) => {
    e.preventDefault();
    const reference = ref.value.trim();
    if (!reference) return;
    // The next scan replaces this reference rather than adding to it.
    ref.select();
    result.replaceChildren(el('p', {}, 'Looking up…'));
    try {
      const w = await api<Whereabouts>(`/api/households/${encodeURIComponent(reference)}`);
      show(w, w.household, '');
    } catch (err) {
      if (err instanceof HttpError && err.status === 404) {
        const known = queue.some((q) => q.event.kind === 'registered' && q.event.household === reference);
        if (known) {
          show(null, reference, 'Registered on this device; the server has not confirmed it yet.');
          return;
        }
        // The focus stays off the registration form, so that the next scan cannot
        // run into this reference and register the two as one household.
        const add = el('button', { type: 'button' }, `Register ${reference} as new`);
        add.addEventListener('click', () => {
          newRef.value = reference;
          newPeople.focus();
          newPeople.select();
        });
        result.replaceChildren(el('p', { class: 'warn' }, `No household ${reference} on the list. Register it below if it is new.`), el('div', { class: 'actions' }, add));
        newRef.value = reference;
        add.focus();
      } else if (err instanceof HttpError && err.status !== 503) {
        result.replaceChildren(el('p', { class: 'warn' }, err.message));
        ref.select();
      } else if (fromTimetable(reference)) {
        show(null, reference, 'No connection: from the timetable saved on this device.');
      } else {
        result.replaceChildren(el('p', { class: 'warn' }, `No connection, and ${reference} is not in the timetable saved on this device. Record it on paper or register it below.`));
        ref.select();
      }
    }
  });

  register.addEventListener('submit', (e) => {
    e.preventDefault();
    const reference = newRef.value.trim();
    if (!reference) return;
    const people = Number(newPeople.value);
    enqueue({ id: newId('registered'), kind: 'registered', at: deviceTime(), device: me.name, household: reference, site, people, stretcher_cases: Number(newLying.value || 0), tier: Number(newTier.value) },
      `${reference} registered (${people} people)`);
    newRef.value = '';
    show(null, reference, 'Registered; choose its vehicle and trip when it boards.');
  });

  renderQueue();
  live(async () => {
    if (!site) return;
    const t = await api<{ rows: TimetableRow[] }>(`/api/timetables/${encodeURIComponent(site)}`);
    timetable = t.rows;
    localStorage.setItem(ttKey, JSON.stringify(timetable));
    void flush();
  }, conn.set);
}
