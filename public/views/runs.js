// Training runs: the list with "Retrain now", and one run's page with its curves, evaluation and gate decision.

import { api } from '../api.js';
import { t, DIMENSIONS, dimensionLabel, dimensionByKey } from '../i18n.js';
import { h, replace, formatTime, formatDuration, formatNumber, formatPercent, shortId, meter } from '../dom.js';
import { pageHeader, panel, loading, errorBox, button, badge, stateBadge, keyValues, jsonValues } from '../ui.js';
import { lineChart, PALETTE } from '../charts.js';

const ACTIVE = new Set(['queued', 'running']);

/** A curve point as { id, phase, step, loss, reward, data, created_at } whether or not the server nests the
 *  measured values under `point`. */
function flatPoint(point) {
  return point.point ? { ...point.point, id: point.id, created_at: point.created_at } : point;
}

/** The gate's decision: an object, or a string that may hold JSON. */
function parseDecision(decision) {
  if (typeof decision === 'string' && /^\s*[{[]/.test(decision)) {
    try {
      return JSON.parse(decision);
    } catch {
      return decision;
    }
  }
  return decision;
}

/** Who asked for a run: the API gives the admin key's id (null for the scheduler). */
function requester(run) {
  if (run.requested_by == null) return run.trigger === 'schedule' ? t('trigger.schedule') : t('common.none');
  return typeof run.requested_by === 'number' ? t('runs.keyRef', { id: run.requested_by }) : String(run.requested_by);
}
const LIST_REFRESH_SECONDS = 5;
const DETAIL_REFRESH_SECONDS = 3;

export async function renderList(ctx) {
  const reason = h('input', { id: 'runs-reason', type: 'text', testid: 'runs-reason', placeholder: t('runs.reasonPlaceholder'), maxlength: '500' });
  const retrain = h('button', { type: 'submit', class: 'btn btn-primary', testid: 'runs-retrain' }, t('runs.retrain'));
  const form = h('form', {
    class: 'inline-form', testid: 'runs-retrain-form',
    onsubmit: async (event) => {
      event.preventDefault();
      retrain.disabled = true;
      try {
        const body = reason.value.trim() ? { reason: reason.value.trim() } : {};
        const answer = await api('/v1/admin/retrain', { method: 'POST', body });
        ctx.toast(t('runs.queued', { id: answer.run_id }));
        ctx.navigate(`/runs/${encodeURIComponent(answer.run_id)}`);
      } catch (error) {
        ctx.toast(error.display ?? String(error), 'error');
      } finally {
        retrain.disabled = false;
      }
    },
  }, h('label', { for: 'runs-reason', class: 'sr-only' }, t('runs.reason')), reason, retrain);

  const note = h('p', { class: 'muted small', testid: 'runs-autorefresh' });
  const body = h('div', {}, loading());
  ctx.main.append(pageHeader(t('runs.title'), form), note, body);

  let timer = null;
  ctx.onLeave(() => clearTimeout(timer));
  const load = async () => {
    clearTimeout(timer);
    try {
      const { items = [] } = await api('/v1/admin/runs');
      if (!ctx.alive()) return;
      replace(body, items.length === 0 ? h('p', { class: 'empty-state', testid: 'runs-empty' }, t('runs.none')) : table(items, ctx));
      const active = items.some((run) => ACTIVE.has(run.state));
      note.textContent = active ? t('runs.autoRefresh', { n: LIST_REFRESH_SECONDS }) : '';
      if (active) timer = setTimeout(load, LIST_REFRESH_SECONDS * 1000);
    } catch (error) {
      if (ctx.alive()) replace(body, errorBox(error, load));
    }
  };
  await load();
}

function table(runs, ctx) {
  return panel(null, h('div', { class: 'table-wrap' }, h('table', { class: 'table', testid: 'runs-table' },
    h('thead', {}, h('tr', {}, ['id', 'state', 'trigger', 'requestedBy', 'created', 'duration', 'phase', 'decision']
      .map((c) => h('th', { scope: 'col' }, t(`runs.col.${c}`))))),
    h('tbody', {}, runs.map((run) => h('tr', {
      class: 'clickable', testid: 'run-row', dataset: { id: run.id, state: run.state },
      onclick: (event) => { if (!event.target.closest('a')) ctx.navigate(`/runs/${encodeURIComponent(run.id)}`); },
    },
    h('td', {}, h('a', { href: `#/runs/${encodeURIComponent(run.id)}`, testid: 'run-link' }, `#${run.id}`)),
    h('td', {}, stateBadge(run.state, { testid: 'run-row-state' })),
    h('td', {}, t(`trigger.${run.trigger}`)),
    h('td', {}, requester(run)),
    h('td', { class: 'nowrap' }, formatTime(run.created_at)),
    h('td', { class: 'nowrap' }, run.started_at ? formatDuration(run.started_at, run.finished_at) : t('common.none')),
    h('td', {}, phaseCell(run)),
    h('td', { class: 'decision-cell' }, decisionSummary(run.decision))))))));
}

/** A fraction 0–1 from whatever the progress object carries, or null. */
function progressFraction(progress) {
  if (!progress || typeof progress !== 'object') return null;
  if (typeof progress.fraction === 'number') return progress.fraction;
  const step = progress.step ?? progress.completed ?? progress.done;
  const total = progress.total_steps ?? progress.total ?? progress.steps;
  return typeof step === 'number' && typeof total === 'number' && total > 0 ? step / total : null;
}

function phaseCell(run) {
  const fraction = ACTIVE.has(run.state) ? progressFraction(run.progress) : null;
  return h('span', { class: 'nowrap' }, run.phase ?? t('common.none'), fraction == null ? null : [' ', meter(fraction), ' ', formatPercent(fraction)]);
}

function decisionSummary(raw) {
  const decision = parseDecision(raw);
  if (decision == null) return t('common.none');
  if (typeof decision === 'string') return h('span', { title: decision }, decision.length > 48 ? `${decision.slice(0, 48)}…` : decision);
  if (typeof decision.accepted === 'boolean') return badge(decision.accepted ? '✓' : '✗', decision.accepted ? 'ok' : 'warn', { title: JSON.stringify(decision) });
  return h('code', { class: 'small' }, JSON.stringify(decision).slice(0, 60));
}

export async function renderDetail(ctx) {
  const [id] = ctx.params;
  const body = h('div', { testid: 'run-detail' }, loading());
  ctx.main.append(h('a', { href: '#/runs', class: 'back-link', testid: 'run-back' }, `← ${t('common.back')}`), body);
  let timer = null;
  ctx.onLeave(() => clearTimeout(timer));
  const load = async () => {
    clearTimeout(timer);
    try {
      const { run, points = [] } = await api(`/v1/admin/runs/${encodeURIComponent(id)}`);
      if (!ctx.alive()) return;
      replace(body, detail(run, points.map(flatPoint), ctx, load));
      if (ACTIVE.has(run.state)) timer = setTimeout(load, DETAIL_REFRESH_SECONDS * 1000);
    } catch (error) {
      if (ctx.alive()) replace(body, errorBox(error, load));
    }
  };
  await load();
}

function detail(run, points, ctx, reload) {
  const active = ACTIVE.has(run.state);
  const cancel = active ? button(t('run.cancel'), {
    class: 'btn btn-danger', testid: 'run-cancel',
    onclick: async () => {
      if (!(await ctx.confirm(t('run.cancelConfirm', { id: run.id }), { danger: true, confirmLabel: t('run.cancel') }))) return;
      try {
        await api(`/v1/admin/runs/${encodeURIComponent(run.id)}/cancel`, { method: 'POST' });
        ctx.toast(t('run.cancelled', { id: run.id }));
      } catch (error) {
        ctx.toast(error.display ?? String(error), 'error');
      }
      reload();
    },
  }) : null;
  const fraction = progressFraction(run.progress);
  return [
    pageHeader(h('span', {}, t('run.title', { id: run.id }), ' ', stateBadge(run.state, { testid: 'run-state' })), cancel),
    active ? h('p', { class: 'muted small', testid: 'run-autorefresh' }, t('runs.autoRefresh', { n: DETAIL_REFRESH_SECONDS })) : null,
    run.error
      ? h('div', { class: run.state === 'cancelled' ? 'note-box' : 'error-box', role: run.state === 'failed' ? 'alert' : 'status', testid: 'run-error' },
        h('strong', {}, `${t('run.error')}: `), String(run.error))
      : null,
    h('div', { class: 'detail-layout' },
      h('div', { class: 'detail-main' },
        panel(t('run.curves'), curves(points)),
        panel(t('run.eval'), evaluation(run.eval)),
        panel(t('run.decision'), decision(run.decision), gateTrials(run.metrics))),
      h('aside', { class: 'detail-side' },
        panel(null, keyValues([
          [t('runs.col.trigger'), t(`trigger.${run.trigger}`)],
          [t('run.requestedBy'), requester(run)],
          [t('runs.col.created'), formatTime(run.created_at)],
          [t('run.started'), formatTime(run.started_at)],
          [t('run.finished'), formatTime(run.finished_at)],
          [t('runs.col.duration'), run.started_at ? formatDuration(run.started_at, run.finished_at) : null],
          [t('runs.col.phase'), run.phase],
          [t('run.candidateAdapter'), run.candidate_adapter_id
            ? h('a', { href: '#/adapters', class: 'mono small break', title: run.candidate_adapter_id }, shortId(run.candidate_adapter_id, 16)) : null],
        ], { testid: 'run-summary' })),
        panel(t('run.progress'), fraction == null ? null : h('div', { class: 'progress-line' }, meter(fraction), ' ', formatPercent(fraction, 1)),
          jsonValues(run.progress, { testid: 'run-progress' })),
        panel(t('run.metrics'), jsonValues(run.metrics, { testid: 'run-metrics' })))),
  ];
}

/** Loss and reward per step, one pair of charts per phase (phases keep the order of their first point). */
function curves(points) {
  if (points.length === 0) return h('p', { class: 'muted', testid: 'run-no-points' }, t('run.noPoints'));
  const phases = [];
  for (const point of points) if (!phases.includes(point.phase)) phases.push(point.phase);
  return h('div', { class: 'curves', testid: 'run-curves' }, phases.map((phase, index) => {
    const mine = points.filter((p) => p.phase === phase);
    const series = (field) => [{ name: phase, color: PALETTE[index % PALETTE.length], points: mine.map((p) => ({ x: p.step, y: p[field] })) }];
    const has = (field) => mine.some((p) => typeof p[field] === 'number');
    return h('div', { class: 'curve-group', testid: `run-phase-${phase}` },
      h('h3', { class: 'curve-phase' }, phase),
      h('div', { class: 'curve-row' },
        has('loss') ? lineChart(series('loss'), { title: t('run.loss'), xLabel: t('run.step'), testid: `run-chart-${phase}-loss` }) : null,
        has('reward') ? lineChart(series('reward'), { title: t('run.reward'), xLabel: t('run.step'), testid: `run-chart-${phase}-reward` }) : null,
        rewardParts(mine, phase)));
  }));
}

/** The reward's parts (format, keys, scores, reasoning), logged separately per step, as one chart with a line each. */
const REWARD_PARTS = ['format', 'keys', 'scores', 'reasoning'];
function rewardParts(points, phase) {
  const parts = REWARD_PARTS.filter((name) => points.some((p) => typeof p.data?.[name] === 'number'));
  if (parts.length === 0) return null;
  const series = parts.map((name, index) => ({
    name, color: PALETTE[(index + 2) % PALETTE.length], points: points.map((p) => ({ x: p.step, y: p.data?.[name] })),
  }));
  return lineChart(series, { title: t('run.rewardParts'), xLabel: t('run.step'), testid: `run-chart-${phase}-reward-parts` });
}

function number(value, digits = 3) {
  return typeof value === 'number' ? formatNumber(value, digits) : t('common.none');
}

/** Candidate against active: overall MAE, format validity, then MAE per dimension; lower MAE is better. */
function evaluation(evaluation) {
  if (!evaluation || (!evaluation.candidate && !evaluation.active)) {
    return h('p', { class: 'muted', testid: 'run-no-eval' }, t('run.noEval'));
  }
  const candidate = evaluation.candidate ?? {};
  const active = evaluation.active ?? {};
  const rows = [];
  const delta = (c, a, lowerIsBetter) => {
    if (typeof c !== 'number' || typeof a !== 'number') return h('td', {}, t('common.none'));
    const d = c - a;
    const better = lowerIsBetter ? d < 0 : d > 0;
    return h('td', { class: d === 0 ? 'delta' : better ? 'delta better' : 'delta worse' }, `${d > 0 ? '+' : ''}${formatNumber(d, 3)}`);
  };
  const line = (label, c, a, lowerIsBetter, format = number, testid) => h('tr', { testid },
    h('th', { scope: 'row' }, label), h('td', {}, format(c)), h('td', {}, format(a)), delta(c, a, lowerIsBetter));
  rows.push(line(t('run.overallMae'), candidate.overall_mae, active.overall_mae, true, number, 'eval-overall-mae'));
  rows.push(line(t('run.formatValidity'), candidate.format_validity, active.format_validity, false, (v) => (typeof v === 'number' ? formatPercent(v, 1) : t('common.none')), 'eval-format-validity'));
  const known = new Set(['overall_mae', 'format_validity', 'per_dimension_mae']);
  for (const name of Object.keys(candidate)) {
    if (known.has(name) || typeof candidate[name] !== 'number') continue;
    rows.push(line(name, candidate[name], active[name], /mae|error|loss/i.test(name)));
  }
  const perDimension = (side) => {
    const values = {};
    for (const [key, value] of Object.entries(side.per_dimension_mae ?? {})) {
      const dimension = dimensionByKey(key);
      if (dimension) values[dimension.id] = value;
    }
    return values;
  };
  const c = perDimension(candidate);
  const a = perDimension(active);
  const head = h('thead', {}, h('tr', {}, ['', t('run.candidate'), t('run.active'), t('run.delta')].map((x) => h('th', { scope: 'col' }, x))));
  const gate = evaluation.gate ?? null;
  const limit = (d) => (gate ? (gate.dimensionTolerances?.[d.id] ?? gate.dimensionTolerance) : null);
  const limitHead = h('thead', {}, h('tr', {}, ['', t('run.candidate'), t('run.active'), t('run.delta'), t('run.limit')]
    .map((x) => h('th', { scope: 'col' }, x))));
  const withLimit = (row, value) => { row.append(h('td', { class: 'muted' }, typeof value === 'number' ? `≤ +${formatNumber(value, 1)}` : t('common.none'))); return row; };
  const control = evaluation.control ?? null;
  return h('div', { testid: 'run-eval' },
    h('table', { class: 'table compact' }, head, h('tbody', {}, rows)),
    h('h3', { class: 'subhead' }, t('run.perDimensionMae')),
    h('table', { class: 'table compact', testid: 'run-eval-dimensions' }, limitHead,
      h('tbody', {}, DIMENSIONS.map((d) => withLimit(line(dimensionLabel(d), c[d.id], a[d.id], true, number, `eval-mae-${d.id}`), limit(d))))),
    control ? controlSection(control, gate, line, limitHead, withLimit, perDimension) : null,
    flagSection(evaluation.candidate_report, evaluation.active_report),
    bandSection(evaluation.candidate_report, evaluation.active_report));
}

/** The gate's control set: labelled texts outside the corrections, on which the candidate must not get worse. */
function controlSection(control, gate, line, limitHead, withLimit, perDimension) {
  const c = perDimension(control.candidate ?? {});
  const a = perDimension(control.active ?? {});
  return h('div', { testid: 'run-eval-control' },
    h('h3', { class: 'subhead' }, t('run.control', { n: control.items ?? 0 })),
    h('table', { class: 'table compact' }, limitHead.cloneNode(true),
      h('tbody', {},
        withLimit(line(t('run.overallMae'), control.candidate?.overall_mae, control.active?.overall_mae, true, number, 'eval-control-mae'),
          gate?.controlTolerance),
        DIMENSIONS.map((d) => withLimit(line(dimensionLabel(d), c[d.id], a[d.id], true, number, `eval-control-mae-${d.id}`),
          gate?.controlDimensionTolerance)))));
}

/** Rows: the dimensions the reviewers flagged (then none); columns: those the model flagged. A candidate that finds
 *  the right texts on the wrong dimension shows weight off the diagonal; a missed violation, in the last column. */
function flagTable(report, title, testid) {
  const table = report?.flagConfusion;
  if (!Array.isArray(table) || table.length !== DIMENSIONS.length + 1) return null;
  const names = [...DIMENSIONS.map((d) => d.id), 'none'];
  const label = (i) => (i < DIMENSIONS.length ? dimensionLabel(DIMENSIONS[i]) : t('run.flagNone'));
  const used = names.map((_, i) => table[i].some((v) => v > 0) || table.some((row) => row[i] > 0));
  const keep = names.map((_, i) => i).filter((i) => used[i]);
  if (keep.length === 0) return null;
  return h('div', { class: 'flag-table' },
    h('h4', {}, title),
    h('table', { class: 'table compact matrix', testid },
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, t('run.flagCorner')), keep.map((j) => h('th', { scope: 'col', title: label(j) }, names[j])))),
      h('tbody', {}, keep.map((i) => h('tr', {},
        h('th', { scope: 'row', title: label(i) }, names[i]),
        keep.map((j) => h('td', { class: table[i][j] === 0 ? 'muted' : i === j ? 'diag' : 'off', 'data-cell': `${names[i]}:${names[j]}` },
          String(table[i][j]))))))));
}

function flagSection(candidate, active) {
  const tables = [flagTable(candidate, t('run.candidate'), 'run-flags-candidate'), flagTable(active, t('run.active'), 'run-flags-active')]
    .filter(Boolean);
  if (tables.length === 0) return null;
  return h('div', { testid: 'run-eval-flags' },
    h('h3', { class: 'subhead' }, t('run.flags')), h('p', { class: 'muted small' }, t('run.flagsHelp')),
    h('div', { class: 'flag-tables' }, tables));
}

/** Per dimension, reference severity band (rows) × predicted band (columns), candidate beside active. */
function bandSection(candidate, active) {
  const dims = (report) => new Map((report?.dimensions ?? []).map((m) => [m.dimension, m]));
  const c = dims(candidate);
  const a = dims(active);
  if (c.size === 0 && a.size === 0) return null;
  const edges = candidate?.config?.bandEdges ?? active?.config?.bandEdges ?? [];
  const bands = [...edges.map((e, i) => `${i === 0 ? 0 : edges[i - 1]}–${e - 1}`), `${edges.length ? edges[edges.length - 1] : 0}–100`];
  const matrix = (m, title) => (Array.isArray(m?.bandConfusion) && m.bandConfusion.length === bands.length
    ? h('table', { class: 'table compact matrix' },
      h('caption', {}, title),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, t('run.bandCorner')), bands.map((b) => h('th', { scope: 'col' }, b)))),
      h('tbody', {}, m.bandConfusion.map((row, i) => h('tr', {}, h('th', { scope: 'row' }, bands[i]),
        row.map((v, j) => h('td', { class: v === 0 ? 'muted' : i === j ? 'diag' : 'off' }, String(v)))))))
    : null);
  return h('div', { testid: 'run-eval-bands' },
    h('h3', { class: 'subhead' }, t('run.bands')),
    DIMENSIONS.map((d) => {
      const cm = c.get(d.key);
      const am = a.get(d.key);
      if (!cm && !am) return null;
      return h('details', { class: 'band-dimension', testid: `run-bands-${d.id}` },
        h('summary', {}, dimensionLabel(d)),
        h('div', { class: 'flag-tables' }, matrix(cm, t('run.candidate')), matrix(am, t('run.active'))));
    }));
}

/** The candidates the gate judged in order (`candidate_stages` × `candidate_fractions`): the trained adapter (1) and
 *  smaller steps toward it from where the run started, then the same for the adapter after SFT (before GRPO), each with
 *  its held-out and control MAE and verdict. Shown when there was more than one. */
function gateTrials(metrics) {
  const trials = metrics?.gateTrials;
  if (!Array.isArray(trials) || trials.length < 2) return null;
  const number = (v) => (typeof v === 'number' ? formatNumber(v, 3) : t('common.none'));
  return h('div', {},
    h('h3', { class: 'subhead' }, t('run.trials')),
    h('table', { class: 'table compact', testid: 'run-gate-trials' },
      h('thead', {}, h('tr', {}, [t('run.trialStage'), t('run.trialFraction'), t('run.trialHeldOut'), t('run.trialControl'), t('run.trialVerdict')].map((c) => h('th', {}, c)))),
      h('tbody', {}, trials.map((trial) => h('tr', { dataset: { fraction: String(trial.fraction), stage: trial.stage ?? 'trained' } },
        h('td', {}, t(trial.stage === 'sft' ? 'run.stageSFT' : 'run.stageTrained')),
        h('td', {}, number(trial.fraction)),
        h('td', {}, number(trial.heldOutMAE)),
        h('td', {}, number(trial.controlMAE)),
        h('td', {}, trial.accepted ? badge(`✓ ${t('run.trialPassed')}`, 'ok')
          : h('span', {}, badge(`✗ ${t('run.trialRefused')}`, 'warn'), ' ', (trial.reasons ?? []).join('; '))))))));
}

function decision(raw) {
  const decision = parseDecision(raw);
  if (decision == null) return h('p', { class: 'muted', testid: 'run-decision' }, t('common.none'));
  if (typeof decision === 'string') return h('p', { testid: 'run-decision' }, decision);
  const accepted = decision.accepted ?? decision.promote ?? decision.activate;
  const reasons = decision.reasons ?? (decision.reason ? [decision.reason] : []);
  return h('div', { testid: 'run-decision' },
    typeof accepted === 'boolean' ? badge(accepted ? `✓ ${t('run.accepted')}` : `✗ ${t('run.notAccepted')}`, accepted ? 'ok' : 'warn') : null,
    reasons.length ? h('ul', {}, reasons.map((r) => h('li', {}, typeof r === 'string' ? r : JSON.stringify(r)))) : null,
    h('details', { class: 'raw' }, h('summary', {}, 'JSON'), h('pre', {}, JSON.stringify(decision, null, 2))));
}
