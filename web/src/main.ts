// Corridor in the browser: signs in, asks the server who the token belongs to,
// and shows that role's view.
import './style.css';
import { api, el, followClock, HttpError, Me, setToken, signOut, token } from './api';
import { coordinatorView } from './coordinator';
import { monitorView } from './monitor';
import { planView } from './plan';
import { printView } from './print';
import { registrarView } from './registrar';

const root = document.getElementById('app') as HTMLElement;

function signIn(message: string): void {
  const input = el('input', { id: 'token', name: 'token', type: 'password', autocomplete: 'current-password', required: '' });
  const form = el('form', { class: 'signin', 'aria-labelledby': 'signin-title' },
    el('h1', { id: 'signin-title' }, 'Corridor'),
    el('p', {}, message),
    el('label', { for: 'token' }, 'Token'),
    input,
    el('button', { type: 'submit' }, 'Sign in'),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const t = input.value.trim();
    if (t) location.href = `/login?token=${encodeURIComponent(t)}`;
  });
  root.replaceChildren(el('main', {}, form));
  input.focus();
}

async function start(): Promise<void> {
  if (location.pathname === '/login') {
    const t = new URLSearchParams(location.search).get('token');
    if (t) setToken(t);
    history.replaceState(null, '', '/');
  }
  if (!token()) {
    signIn('Open the sign-in link you were given, or paste your token.');
    return;
  }
  let me: Me;
  try {
    me = await api<Me>('/api/me');
    followClock(me);
    localStorage.setItem('corridor.me', JSON.stringify(me));
  } catch (e) {
    if (e instanceof HttpError && e.status === 401) {
      signOut();
      signIn(e.message);
      return;
    }
    // No connection: a registrar keeps working from what this device saved.
    const saved = localStorage.getItem('corridor.me');
    if (!saved) {
      signIn('The server does not answer; try again when the connection is back.');
      return;
    }
    me = JSON.parse(saved) as Me;
    followClock(me);
  }
  document.title = `Corridor · ${me.role}`;
  switch (me.role) {
    case 'coordinator':
      // The plan page and the print views have their own address; moving between
      // them and the live view loads the page afresh.
      window.addEventListener('hashchange', () => location.reload());
      if (location.hash === '#plan') await planView(root, me);
      else if (location.hash.startsWith('#print/')) await printView(root, me, location.hash);
      else await coordinatorView(root, me);
      break;
    case 'registrar': {
      // The print views open in place, without loading the page again: a registrar whose
      // connection is down prints from the saved timetable, and the queue keeps sending.
      const work = el('div', {});
      const paper = el('div', {});
      root.replaceChildren(work, paper);
      registrarView(work, me);
      const show = async () => {
        const printing = location.hash.startsWith('#print/');
        work.hidden = printing;
        paper.hidden = !printing;
        if (printing) await printView(paper, me, location.hash);
        else {
          paper.replaceChildren();
          work.querySelector<HTMLInputElement>('#ref')?.focus();
        }
      };
      window.addEventListener('hashchange', () => void show());
      await show();
      break;
    }
    default:
      await monitorView(root, me);
  }
}

void start();
