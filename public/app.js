// The dashboard's entry point: sign-in, the page shell (header, navigation, language switch) and the hash router.

import { api, storedKey, storeKey, onUnauthorized } from './api.js';
import { t, language, setLanguage } from './i18n.js';
import { h, replace } from './dom.js';
import { toast, confirmDialog, errorBox } from './ui.js';
import * as overview from './views/overview.js';
import * as requests from './views/requests.js';
import * as review from './views/review.js';
import * as runs from './views/runs.js';
import * as adapters from './views/adapters.js';
import * as keys from './views/keys.js';

const STAFF = ['reviewer', 'admin'];
const ADMIN = ['admin'];

/** Pages in navigation order; `pattern` matches the path after `#`. */
const ROUTES = [
  { nav: 'overview', pattern: /^\/overview$/, roles: STAFF, view: overview.render },
  { nav: 'requests', pattern: /^\/requests$/, roles: STAFF, view: requests.renderList },
  { nav: 'requests', pattern: /^\/requests\/([^/]+)$/, roles: STAFF, view: requests.renderDetail },
  { nav: 'review', pattern: /^\/review$/, roles: STAFF, view: review.render },
  { nav: 'runs', pattern: /^\/runs$/, roles: ADMIN, view: runs.renderList },
  { nav: 'runs', pattern: /^\/runs\/([^/]+)$/, roles: ADMIN, view: runs.renderDetail },
  { nav: 'adapters', pattern: /^\/adapters$/, roles: ADMIN, view: adapters.render },
  { nav: 'keys', pattern: /^\/keys$/, roles: ADMIN, view: keys.render },
];
const NAV = [
  { id: 'overview', roles: STAFF },
  { id: 'requests', roles: STAFF },
  { id: 'review', roles: STAFF },
  { id: 'runs', roles: ADMIN },
  { id: 'adapters', roles: ADMIN },
  { id: 'keys', roles: ADMIN },
];

const root = document.getElementById('app');
const state = { me: null, signInMessage: '' };
/** Bumped on every render: views check it so a slow answer never paints over the next page. */
let generation = 0;
let cleanups = [];

function runCleanups() {
  for (const fn of cleanups) {
    try {
      fn();
    } catch (error) {
      console.error(error);
    }
  }
  cleanups = [];
}

export function navigate(path) {
  if (location.hash === `#${path}`) render();
  else location.hash = path;
}

function currentPath() {
  const path = location.hash.replace(/^#/, '');
  return path.startsWith('/') ? path : '/overview';
}

function render() {
  runCleanups();
  generation += 1;
  if (!state.me) {
    renderSignIn();
    return;
  }
  const path = currentPath();
  const route = ROUTES.find((r) => r.pattern.test(path));
  const main = h('main', { id: 'main', class: 'main', tabindex: '-1', testid: 'main' });
  replace(root, header(route?.nav), main);
  document.title = `${t(`nav.${route?.nav ?? 'overview'}`)} · ${t('app.title')}`;
  if (!route) {
    main.append(errorBox({ display: t('common.notFound') }));
    return;
  }
  if (!route.roles.includes(state.me.role)) {
    main.append(errorBox({ status: 403 }));
    return;
  }
  const mine = generation;
  const context = {
    main,
    me: state.me,
    params: path.match(route.pattern).slice(1).map(decodeURIComponent),
    navigate,
    rerender: render,
    /** True while this page is still the one shown. */
    alive: () => mine === generation,
    /** Runs `fn` when the page goes away. */
    onLeave: (fn) => cleanups.push(fn),
    /** Calls `fn` every `ms` while the page is shown. */
    every: (ms, fn) => {
      const id = setInterval(() => {
        if (mine === generation && document.visibilityState !== 'hidden') fn();
      }, ms);
      cleanups.push(() => clearInterval(id));
    },
    toast,
    confirm: confirmDialog,
  };
  Promise.resolve(route.view(context)).catch((error) => {
    if (mine !== generation) return;
    console.error(error);
    main.append(errorBox(error, render));
  });
}

function languageToggle() {
  return h('button', {
    type: 'button',
    class: 'btn btn-ghost lang-toggle',
    testid: 'lang-toggle',
    lang: language() === 'zh' ? 'en' : 'zh-CN',
    'aria-label': t('lang.switchLabel'),
    onclick: () => {
      setLanguage(language() === 'zh' ? 'en' : 'zh');
      render();
    },
  }, t('lang.switch'));
}

function header(active) {
  const me = state.me;
  const links = NAV.filter((item) => item.roles.includes(me.role)).map((item) =>
    h('a', {
      href: `#/${item.id}`,
      class: item.id === active ? 'nav-link active' : 'nav-link',
      testid: `nav-${item.id}`,
      'aria-current': item.id === active ? 'page' : null,
    }, t(`nav.${item.id}`)));
  return h('header', { class: 'topbar' },
    h('div', { class: 'brand' },
      h('span', { class: 'brand-mark', 'aria-hidden': 'true' }, '◆'),
      h('span', { class: 'brand-name' }, t('app.title')),
      h('span', { class: 'brand-standard' }, t('app.standard'))),
    h('nav', { class: 'nav', 'aria-label': t('nav.label') }, links),
    h('div', { class: 'user' },
      h('span', { class: 'whoami', testid: 'whoami', title: `${t('signedInAs')} ${me.label} (${me.prefix}…)` },
        h('span', { class: 'whoami-label' }, me.label),
        h('span', { class: `badge badge-role role-${me.role}`, testid: 'whoami-role', dataset: { role: me.role } }, t(`role.${me.role}`))),
      languageToggle(),
      h('button', { type: 'button', class: 'btn btn-ghost', testid: 'signout', onclick: () => signOut('') }, t('signout'))));
}

function renderSignIn() {
  document.title = `${t('signin.title')} · ${t('app.title')}`;
  const input = h('input', {
    id: 'signin-key', type: 'password', testid: 'signin-key', autocomplete: 'off', spellcheck: 'false',
    required: true, 'aria-describedby': 'signin-error', placeholder: 'cs_…',
  });
  const error = h('p', { id: 'signin-error', class: 'form-error', role: 'alert', testid: 'signin-error' }, state.signInMessage);
  const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-block', testid: 'signin-submit' }, t('signin.submit'));
  const form = h('form', {
    class: 'signin-card', testid: 'signin-form', novalidate: true,
    onsubmit: async (event) => {
      event.preventDefault();
      const key = input.value.trim();
      if (!key) {
        error.textContent = t('signin.empty');
        input.focus();
        return;
      }
      submit.disabled = true;
      submit.textContent = t('signin.checking');
      error.textContent = '';
      try {
        const me = await api('/v1/me', { key });
        if (!STAFF.includes(me.role)) {
          error.textContent = t('signin.clientRole');
          return;
        }
        storeKey(key);
        state.me = me;
        state.signInMessage = '';
        if (!location.hash.startsWith('#/')) location.replace('#/overview');
        render();
      } catch (failure) {
        error.textContent = failure.status === 401 || failure.status === 403 ? t('signin.invalid') : failure.display ?? String(failure);
      } finally {
        submit.disabled = false;
        submit.textContent = t('signin.submit');
      }
    },
  },
  h('div', { class: 'signin-brand' }, h('span', { class: 'brand-mark', 'aria-hidden': 'true' }, '◆'), t('app.title')),
  h('h1', {}, t('signin.title')),
  h('p', { class: 'muted' }, t('signin.intro')),
  h('label', { for: 'signin-key', class: 'field-label' }, t('signin.key')),
  input,
  error,
  submit,
  h('div', { class: 'signin-footer' }, languageToggle()));
  replace(root, h('main', { id: 'main', class: 'signin-page', testid: 'signin' }, form));
  input.focus();
}

function signOut(message) {
  storeKey(null);
  state.me = null;
  state.signInMessage = message;
  render();
}

async function start() {
  setLanguage(language());
  document.querySelector('.skip-link')?.addEventListener('click', (event) => {
    event.preventDefault();
    document.getElementById('main')?.focus();
  });
  document.getElementById('confirm-dialog').addEventListener('cancel', (event) => {
    event.target.returnValue = 'cancel';
  });
  onUnauthorized(() => signOut(t('signin.expired')));
  window.addEventListener('hashchange', render);
  const key = storedKey();
  if (key) {
    try {
      const me = await api('/v1/me', { key });
      if (STAFF.includes(me.role)) state.me = me;
      else storeKey(null);
    } catch (error) {
      if (error.status === 401) {
        storeKey(null);
        state.signInMessage = t('signin.expired');
      } else {
        state.signInMessage = error.display ?? String(error);
      }
    }
  }
  render();
}

start();
