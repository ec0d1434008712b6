/**
 * The in-app confirmation (`confirm-dialog`, DESIGN.md §6): one question at a time, answered
 * with a Promise. ConfirmDialog.vue shows it. A second question while one is open answers the
 * first with "no" (the newer action wins).
 */
import { defineStore } from 'pinia';
import { shallowRef } from 'vue';

export interface Question {
  title: string;
  message: string;
  confirmLabel: string;
  cancelLabel: string;
}

export const useConfirmStore = defineStore('confirm', () => {
  const question = shallowRef<Question | null>(null);
  let resolveOpen: ((ok: boolean) => void) | null = null;

  function ask(q: Partial<Question> & { message: string }): Promise<boolean> {
    resolveOpen?.(false);
    question.value = { title: q.title ?? 'Are you sure?', message: q.message, confirmLabel: q.confirmLabel ?? 'OK', cancelLabel: q.cancelLabel ?? 'Cancel' };
    return new Promise((resolve) => (resolveOpen = resolve));
  }

  function answer(ok: boolean): void {
    const r = resolveOpen;
    resolveOpen = null;
    question.value = null;
    r?.(ok);
  }

  return { question, ask, answer };
});
