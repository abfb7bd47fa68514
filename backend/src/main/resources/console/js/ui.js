// Toasts and modal dialogs (native <dialog>), with API errors shown as code, message and request id.

import { h, $ } from './dom.js';
import { ApiError } from './api.js';

export function errorView(err) {
  if (err instanceof ApiError) {
    return h('div', { class: 'error-box', role: 'alert', 'data-testid': 'error', 'data-code': err.code },
      h('div', { class: 'error-title' }, h('span', { class: 'code' }, err.code), err.status ? ` · HTTP ${err.status}` : ''),
      h('div', { class: 'error-message' }, err.message),
      err.requestId ? h('div', { class: 'request-id' }, `request ${err.requestId}`) : null);
  }
  return h('div', { class: 'error-box', role: 'alert', 'data-testid': 'error' }, h('div', { class: 'error-message' }, String(err?.message ?? err)));
}

export function toast(kind, content, ms = kind === 'error' ? 12000 : 5000) {
  const close = h('button', { class: 'toast-close', 'aria-label': 'dismiss', type: 'button' }, '×');
  const t = h('div', { class: `toast toast-${kind}`, role: kind === 'error' ? 'alert' : 'status', 'data-testid': `toast-${kind}` },
    h('div', { class: 'toast-body' }, content), close);
  const remove = () => t.remove();
  close.addEventListener('click', remove);
  $('#toasts').append(t);
  setTimeout(remove, ms);
}

export const toastError = (err, what) => toast('error', h('div', {}, what ? h('div', { class: 'toast-what' }, what) : null, errorView(err)));

/**
 * Opens a modal form. {@code fields}: nodes inside the form; {@code submit(form)} runs on submit and may
 * throw an ApiError, which is shown in the dialog (the dialog stays open so the user can fix the input).
 * Resolves with submit's result, or null when cancelled.
 */
export function openDialog({ title, intro, fields, submitLabel, danger = false, submit, testid, canSubmit }) {
  const dialog = $('#dialog');
  return new Promise((resolve) => {
    const errorSlot = h('div', { class: 'error-slot' });
    const ok = h('button', { type: 'submit', class: danger ? 'danger' : 'primary', 'data-testid': 'dialog-submit' }, submitLabel);
    const cancel = h('button', { type: 'button', class: 'ghost', 'data-testid': 'dialog-cancel' }, 'Cancel');
    const form = h('form', { class: 'dialog-form', method: 'dialog', 'data-testid': testid },
      h('header', {}, h('h2', {}, title), intro ? h('p', { class: 'intro' }, intro) : null),
      h('div', { class: 'fields' }, fields), errorSlot, h('footer', {}, cancel, ok));
    const check = () => { if (canSubmit) ok.disabled = !canSubmit(form); };
    form.addEventListener('input', check);
    check();
    let done = false;
    const finish = (v) => {
      if (done) return;
      done = true;
      dialog.close();
      dialog.replaceChildren();
      resolve(v);
    };
    cancel.addEventListener('click', () => finish(null));
    dialog.onclose = () => finish(null);
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      ok.disabled = true;
      ok.classList.add('loading');
      errorSlot.replaceChildren();
      try {
        finish(await submit(form));
      } catch (err) {
        errorSlot.replaceChildren(errorView(err));
        ok.disabled = false;
        ok.classList.remove('loading');
        check();
      }
    });
    dialog.replaceChildren(form);
    dialog.showModal();
    form.querySelector('input:not([type=hidden]):not([disabled]), select')?.focus();
  });
}

export function field(label, input, hint) {
  return h('label', { class: 'field' }, h('span', { class: 'label' }, label), input, hint ? h('span', { class: 'hint' }, hint) : null);
}
