/** Which help popover is open (one at a time, across the app): its button's key, `<topic>#<n>`. */
import { ref } from 'vue';

export const openHelp = ref<string | null>(null);

let buttons = 0;
/** A new number for a help button's key. */
export function nextButtonId(): number {
  return ++buttons;
}
