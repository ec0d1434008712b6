// First: a language tag that Intl rejects must not stop the app from loading (see the module).
import './locale-guard';
import { createApp } from 'vue';
import { createPinia } from 'pinia';
import App from './App.vue';
import { useGraphStore } from './stores/graph';
import { useShareStore } from './stores/share';
import { isShareHash } from './graph/share';
import './styles/app.css';
import './styles/dark.css';

const pinia = createPinia();
const app = createApp(App).use(pinia);
// Open the autosaved graph (never lose work), else the lecture's standard VAE.
const store = useGraphStore(pinia);
if (!store.restoreAutosave()) store.loadPreset('standard-vae');

// A share link (#g=…, DESIGN.md §9) opens its graph, unsaved and untrained; the address loses
// the fragment at once (a reload must not ask again). It is opened before the app mounts when
// nothing needs asking, so the trainer starts on it directly.
const share = useShareStore(pinia);
function openSharedLink(): void {
  const hash = window.location.hash;
  if (!isShareHash(hash)) return;
  history.replaceState(history.state, '', window.location.pathname + window.location.search);
  void share.openFragment(hash);
}
openSharedLink();
window.addEventListener('hashchange', openSharedLink);
app.mount('#app');
