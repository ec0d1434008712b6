/** The canvas's editor handle, shared with the palette, toolbar and shortcuts (provide/inject). */
import { computed, inject, ref, shallowRef, type ComputedRef, type InjectionKey, type Ref, type ShallowRef } from 'vue';
import type { EditorHandle } from '../editor';

export const EDITOR_KEY: InjectionKey<ShallowRef<EditorHandle | null>> = Symbol('vae-lab-editor');
export const RENAME_KEY: InjectionKey<ShallowRef<{ node: string; nonce: number } | null>> = Symbol('vae-lab-rename');

export function useEditorHandle(): ShallowRef<EditorHandle | null> {
  return inject(EDITOR_KEY, shallowRef(null));
}

export interface PaletteControl {
  docked: ComputedRef<boolean>;
  open: Ref<boolean>;
  openPalette(): Promise<void>;
}
export const PALETTE_KEY_INJECT: InjectionKey<PaletteControl> = Symbol('vae-lab-palette');

export function usePaletteControl(): PaletteControl {
  return inject(PALETTE_KEY_INJECT, { docked: computed(() => true), open: ref(false), openPalette: async () => {} });
}
