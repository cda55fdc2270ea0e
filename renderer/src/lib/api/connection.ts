import type { Transport } from '../../../../core/api/client';

/** Whether pushed events can currently reach the UI. */
export type ConnectionState = 'connected' | 'connecting' | 'offline';

/**
 * A transport plus what the renderer shows about it in the status bar.
 * `onConnectionChange` calls back at once with the current state.
 */
export interface RendererTransport extends Transport {
  readonly connection: ConnectionState;
  onConnectionChange(cb: (state: ConnectionState, reconnected: boolean) => void): () => void;
}
