// Shared pieces of the interface: page headers, toasts, the confirm dialog, badges, error boxes, key/value lists.

import { t } from './i18n.js';
import { h, replace, formatNumber } from './dom.js';

/** A page title with actions on the right. */
export function pageHeader(title, ...actions) {
  return h('div', { class: 'page-header' }, h('h1', { testid: 'page-title' }, title), h('div', { class: 'page-actions' }, actions));
}

export function panel(title, ...children) {
  return h('section', { class: 'panel' }, title ? h('h2', { class: 'panel-title' }, title) : null, children);
}

export function loading() {
  return h('p', { class: 'loading', testid: 'loading', role: 'status' }, t('common.loading'));
}

export function button(label, attrs = {}) {
  return h('button', { type: 'button', class: 'btn', ...attrs }, label);
}

/** An error from the API, with a retry button when `retry` is given. 403 reads as "your role cannot see this". */
export function errorBox(error, retry) {
  const message = error?.status === 403 ? t('common.forbidden') : (error?.display ?? String(error?.message ?? error));
  return h('div', { class: 'error-box', role: 'alert', testid: 'view-error' },
    h('p', {}, message),
    retry ? button(t('common.retry'), { onclick: retry, testid: 'view-retry' }) : null);
}

export function badge(text, kind = 'neutral', attrs = {}) {
  return h('span', { class: `badge badge-${kind}`, ...attrs }, text);
}

const VERDICT_KINDS = { pass: 'ok', review: 'warn', block: 'bad' };

/** The verdict a client acts on (pass / review / block); nothing for requests logged before verdicts. */
export function verdictBadge(verdict) {
  if (!verdict) return null;
  return badge(t(`verdict.${verdict}`), VERDICT_KINDS[verdict] ?? 'neutral', { testid: 'verdict', dataset: { verdict } });
}

const STATE_KINDS = { queued: 'info', running: 'info', succeeded: 'ok', failed: 'bad', cancelled: 'neutral', rejected: 'warn' };

export function stateBadge(state, attrs = {}) {
  return badge(t(`state.${state}`), STATE_KINDS[state] ?? 'neutral', { dataset: { state }, ...attrs });
}

/** A definition list of [label, value] pairs (values may be nodes). */
export function keyValues(pairs, attrs = {}) {
  return h('dl', { class: 'kv', ...attrs }, pairs.filter(Boolean).map(([label, value]) => [h('dt', {}, label), h('dd', {}, value ?? t('common.none'))]));
}

/** A free-form JSON object (progress, metrics) as key/value pairs; nested values as compact JSON. */
export function jsonValues(object, attrs = {}) {
  if (object == null || (typeof object === 'object' && Object.keys(object).length === 0)) {
    return h('p', { class: 'muted', ...attrs }, t('common.none'));
  }
  if (typeof object !== 'object') return h('p', attrs, String(object));
  return keyValues(Object.entries(object).map(([name, value]) => [name, plain(value)]), attrs);
}

function plain(value) {
  if (typeof value === 'number') return formatNumber(value, Math.abs(value) < 1 ? 4 : 3);
  if (value == null) return t('common.none');
  if (typeof value === 'object') return h('code', {}, JSON.stringify(value));
  return String(value);
}

// Toasts: short messages at the bottom of the screen, read out by screen readers.

let toastRoot;

export function toast(message, kind = 'ok') {
  toastRoot ??= document.getElementById('toasts');
  const el = h('div', { class: `toast toast-${kind}`, testid: 'toast', dataset: { kind }, role: kind === 'error' ? 'alert' : 'status' },
    h('span', {}, message),
    h('button', { type: 'button', class: 'toast-close', 'aria-label': t('common.close'), onclick: () => el.remove() }, '×'));
  toastRoot.append(el);
  while (toastRoot.children.length > 4) toastRoot.firstElementChild.remove();
  setTimeout(() => el.remove(), kind === 'error' ? 9000 : 5000);
  return el;
}

// The confirm dialog: a modal <dialog> (window.confirm would block the page and any test driving it).

/** Resolves to true when the person confirms. */
export function confirmDialog(message, { confirmLabel = t('common.confirm'), danger = false } = {}) {
  const dialog = document.getElementById('confirm-dialog');
  replace(dialog.querySelector('[data-testid=confirm-message]'), message);
  const ok = dialog.querySelector('[data-testid=confirm-ok]');
  ok.textContent = confirmLabel;
  ok.className = danger ? 'btn btn-danger' : 'btn btn-primary';
  dialog.querySelector('[data-testid=confirm-cancel]').textContent = t('common.cancel');
  dialog.querySelector('h2').textContent = t('common.confirmTitle');
  return new Promise((resolve) => {
    const done = () => {
      dialog.removeEventListener('close', done);
      resolve(dialog.returnValue === 'ok');
    };
    dialog.returnValue = '';
    dialog.addEventListener('close', done);
    dialog.showModal();
    ok.focus();
  });
}

/** Copies text to the clipboard, falling back to selecting it (clipboard access needs a secure context). */
export async function copyText(text, fallbackInput) {
  try {
    await navigator.clipboard.writeText(text);
    toast(t('common.copied'));
  } catch {
    fallbackInput?.select();
    document.execCommand?.('copy');
    toast(t('common.copied'));
  }
}
