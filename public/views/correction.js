// The correction form: nine integer scores (prefilled with the model's), reasoning and a note, posted to
// POST /v1/requests/{id}/corrections. Used by the review queue and the request page.

import { api } from '../api.js';
import { t, DIMENSIONS, dimensionLabel } from '../i18n.js';
import { h, formatPercent } from '../dom.js';
import { button, toast } from '../ui.js';

const LOW_CONFIDENCE = 0.5;

/** `onSaved(correction)` runs after the server accepted the correction. */
export function correctionForm(request, { onSaved }) {
  const fields = DIMENSIONS.map((dimension) => {
    const modelScore = request.scores?.[dimension.key];
    const confidence = request.confidence?.[dimension.key];
    const inputId = `correction-score-${dimension.id}`;
    const input = h('input', {
      id: inputId, type: 'number', min: '0', max: '100', step: '1', inputmode: 'numeric', required: true,
      testid: inputId, class: 'score-input', 'aria-describedby': `${inputId}-hint ${inputId}-error`,
      value: modelScore == null ? '' : String(modelScore),
    });
    const error = h('span', { id: `${inputId}-error`, class: 'field-error', testid: `correction-error-${dimension.id}` });
    const low = confidence != null && confidence < LOW_CONFIDENCE;
    const row = h('div', { class: low ? 'score-field low-confidence' : 'score-field' },
      // A break opportunity after each slash, so long English labels wrap between words.
      h('label', { for: inputId, class: 'score-label' }, dimensionLabel(dimension).split('/').flatMap((part, i) => (i ? ['/', h('wbr'), part] : [part]))),
      input,
      h('span', { id: `${inputId}-hint`, class: 'score-hint' },
        t('correction.model', { s: modelScore ?? t('common.none'), c: confidence == null ? t('common.none') : formatPercent(confidence) })),
      error);
    input.addEventListener('input', () => {
      row.classList.remove('invalid');
      input.removeAttribute('aria-invalid');
      error.textContent = '';
    });
    return { dimension, input, error, row };
  });

  const reasoning = h('textarea', {
    id: 'correction-reasoning', testid: 'correction-reasoning', rows: '4',
    placeholder: t('correction.reasoningPlaceholder'),
  });
  const note = h('input', { id: 'correction-note', testid: 'correction-note', type: 'text', maxlength: '2000' });
  const formError = h('p', { class: 'form-error', role: 'alert', testid: 'correction-error' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary', testid: 'correction-submit' }, t('correction.submit'));

  const form = h('form', {
    class: 'correction-form', testid: 'correction-form', novalidate: true, dataset: { requestId: request.id },
    onsubmit: async (event) => {
      event.preventDefault();
      formError.textContent = '';
      const scores = {};
      let firstInvalid = null;
      for (const field of fields) {
        const text = field.input.value.trim();
        const value = Number(text);
        if (!/^\d{1,3}$/.test(text) || value > 100) {
          field.row.classList.add('invalid');
          field.input.setAttribute('aria-invalid', 'true');
          field.error.textContent = t('correction.invalidScore');
          firstInvalid ??= field.input;
        } else {
          scores[field.dimension.key] = value;
        }
      }
      if (firstInvalid) {
        formError.textContent = t('correction.fixErrors');
        firstInvalid.focus();
        return;
      }
      const body = { scores };
      if (reasoning.value.trim()) body.reasoning = reasoning.value.trim();
      if (note.value.trim()) body.note = note.value.trim();
      submit.disabled = true;
      submit.textContent = t('correction.submitting');
      try {
        const correction = await api(`/v1/requests/${encodeURIComponent(request.id)}/corrections`, { method: 'POST', body });
        toast(t('correction.saved'));
        onSaved(correction);
      } catch (error) {
        formError.textContent = error.display ?? String(error);
        submit.disabled = false;
        submit.textContent = t('correction.submit');
      }
    },
  },
  h('h2', { class: 'panel-title' }, t('correction.title')),
  h('p', { class: 'muted small' }, t('correction.help')),
  h('div', { class: 'score-grid' }, fields.map((f) => f.row)),
  h('div', { class: 'field' },
    h('div', { class: 'field-row' },
      h('label', { for: 'correction-reasoning', class: 'field-label' }, t('correction.reasoning')),
      request.reasoning
        ? button(t('correction.copyReasoning'), {
          class: 'btn btn-small btn-ghost', testid: 'correction-copy-reasoning',
          onclick: () => { reasoning.value = request.reasoning; reasoning.focus(); },
        })
        : null),
    reasoning),
  h('div', { class: 'field' }, h('label', { for: 'correction-note', class: 'field-label' }, t('correction.note')), note),
  formError,
  h('div', { class: 'form-actions' }, submit));
  return form;
}
