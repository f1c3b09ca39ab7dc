// Small DOM and formatting helpers. Text from the API (request texts are adversarial by nature) only ever reaches
// the page as text nodes or attribute values, never as HTML.

import { language, t } from './i18n.js';

const BOOLEAN_ATTRIBUTES = new Set(['disabled', 'checked', 'required', 'selected', 'hidden', 'open', 'readonly', 'multiple']);

/**
 * Creates an element. `attrs`: `class`, `testid` (→ data-testid), `dataset`, `on<event>` handlers, `value`,
 * boolean attributes, anything else as an attribute. Children: nodes, strings, numbers, arrays; null is skipped.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value == null || value === false) continue;
    if (name === 'class') el.className = Array.isArray(value) ? value.filter(Boolean).join(' ') : value;
    else if (name === 'testid') el.dataset.testid = value;
    else if (name === 'dataset') Object.assign(el.dataset, value);
    else if (name.startsWith('on') && typeof value === 'function') el.addEventListener(name.slice(2), value);
    else if (name === 'value') el.value = value;
    else if (BOOLEAN_ATTRIBUTES.has(name)) el.setAttribute(name, '');
    else el.setAttribute(name, String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child == null || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : String(child));
  }
}

/** Replaces the children of `el`. */
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

const pad = (n) => String(n).padStart(2, '0');

/** Local time as YYYY-MM-DD HH:mm:ss (the same in both languages: reviewers compare times). */
export function formatTime(iso) {
  if (!iso) return t('common.none');
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

export function formatClock(iso) {
  const d = new Date(iso);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** Value for an <input type="datetime-local"> from an ISO string. */
export function toLocalInput(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** ISO 8601 (UTC) from an <input type="datetime-local"> value, or null. */
export function fromLocalInput(value) {
  if (!value) return null;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

export function formatNumber(value, digits = 0) {
  if (value == null || Number.isNaN(value)) return t('common.none');
  return new Intl.NumberFormat(language() === 'zh' ? 'zh-CN' : 'en-US', {
    maximumFractionDigits: digits,
    minimumFractionDigits: 0,
  }).format(value);
}

export function formatPercent(fraction, digits = 0) {
  if (fraction == null || Number.isNaN(fraction)) return t('common.none');
  return `${(fraction * 100).toFixed(digits)}%`;
}

export function formatMs(ms) {
  if (ms == null) return t('common.none');
  return ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`;
}

export function formatDuration(startIso, endIso) {
  if (!startIso) return t('common.none');
  const ms = (endIso ? new Date(endIso) : new Date()) - new Date(startIso);
  if (!(ms >= 0)) return t('common.none');
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

/** A short form of a long id (UUIDs, hashes) for tables; the whole id goes in the title. */
export function shortId(id, length = 8) {
  const text = String(id ?? '');
  return text.length > length + 1 ? `${text.slice(0, length)}…` : text;
}

export function excerpt(text, length = 80) {
  const flat = String(text ?? '').replace(/\s+/g, ' ').trim();
  return flat.length > length ? `${flat.slice(0, length)}…` : flat;
}

/** CSS class for a score: low scores (non-compliant) are red, high green. */
export function scoreClass(score) {
  if (score == null) return 'score score-missing';
  if (score < 60) return 'score score-low';
  if (score < 85) return 'score score-mid';
  return 'score score-high';
}

export function scoreChip(score, attrs = {}) {
  return h('span', { class: scoreClass(score), ...attrs }, score == null ? t('common.none') : String(score));
}

/** The lowest score of a scores object (null values skipped), or null. */
export function minScore(scores) {
  if (!scores) return null;
  const values = Object.values(scores).filter((v) => typeof v === 'number');
  return values.length ? Math.min(...values) : null;
}

/** A horizontal bar for a fraction 0–1 (confidence, progress). */
export function meter(fraction, label) {
  const value = Math.max(0, Math.min(1, Number(fraction) || 0));
  const el = h('span', { class: 'meter', role: 'img', 'aria-label': label ?? formatPercent(value) },
    h('span', { class: 'meter-fill' }));
  el.firstChild.style.width = `${(value * 100).toFixed(1)}%`;
  if (value < 0.5) el.classList.add('meter-low');
  else if (value < 0.8) el.classList.add('meter-mid');
  return el;
}
