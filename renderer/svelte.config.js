// Read by @sveltejs/vite-plugin-svelte (vite root = renderer/) and by svelte-check.
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

export default {
  preprocess: vitePreprocess(),
};
