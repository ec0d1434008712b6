// First: a language tag that Intl rejects must not stop the app from loading (see the module).
import './locale-guard';
import { createApp } from 'vue';
import { createPinia } from 'pinia';
import App from './App.vue';
import { useGraphStore } from './stores/graph';
import './styles/app.css';
import './styles/dark.css';

const pinia = createPinia();
const app = createApp(App).use(pinia);
// Open the autosaved graph (never lose work), else the lecture's standard VAE.
const store = useGraphStore(pinia);
if (!store.restoreAutosave()) store.loadPreset('standard-vae');
app.mount('#app');
