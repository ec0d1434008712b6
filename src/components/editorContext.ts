/** The canvas's editor handle, shared with the palette, toolbar and shortcuts (provide/inject). */
import { inject, shallowRef, type InjectionKey, type ShallowRef } from 'vue';
import type { EditorHandle } from '../editor';

export const EDITOR_KEY: InjectionKey<ShallowRef<EditorHandle | null>> = Symbol('vae-lab-editor');
export const RENAME_KEY: InjectionKey<ShallowRef<{ node: string; nonce: number } | null>> = Symbol('vae-lab-rename');

export function useEditorHandle(): ShallowRef<EditorHandle | null> {
  return inject(EDITOR_KEY, shallowRef(null));
}
