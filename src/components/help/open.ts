/** Which help popover is open (one at a time, across the app). */
import { ref } from 'vue';

export const openHelp = ref<string | null>(null);
