/** Typed Svelte contexts shared by every screen. */
import { createContext } from 'svelte';
import type { MaskwrightClient } from '../../../core/api/client';
import type { AppState } from './state/app-state.svelte';
import type { Toasts } from './state/toasts.svelte';

export const [getClient, setClient] = createContext<MaskwrightClient>();
export const [getAppState, setAppState] = createContext<AppState>();
export const [getToasts, setToasts] = createContext<Toasts>();
