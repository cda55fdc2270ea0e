import type { DatasetProgress, LiveUpdateEvent, ImportProgress, ImportReport, PrelabelFinishEvent, PrelabelProgressEvent, ProjectInfo, TrainingFinishEvent, TrainingProgressEvent, TrainingStartEvent } from './types';

/** Events pushed from the app to every UI (onDidX naming). */
export interface EventMap {
  'imports.onDidProgress': ImportProgress;
  'imports.onDidFinish': ImportReport;
  'projects.onDidChange': ProjectInfo;
  'datasets.onDidProgress': DatasetProgress;
  'training.onDidStart': TrainingStartEvent;
  'training.onDidProgress': TrainingProgressEvent;
  'training.onDidFinish': TrainingFinishEvent;
  'predictions.onDidProgress': PrelabelProgressEvent;
  'predictions.onDidFinish': PrelabelFinishEvent;
  'live.onDidUpdate': LiveUpdateEvent;
}
export type EventName = keyof EventMap;
export const EVENT_NAMES: readonly EventName[] = ['imports.onDidProgress', 'imports.onDidFinish', 'projects.onDidChange', 'datasets.onDidProgress', 'training.onDidStart', 'training.onDidProgress', 'training.onDidFinish', 'predictions.onDidProgress', 'predictions.onDidFinish', 'live.onDidUpdate'];

export interface AppEvent<K extends EventName = EventName> {
  name: K;
  payload: EventMap[K];
}

export type Emit = <K extends EventName>(name: K, payload: EventMap[K]) => void;

/** A minimal typed event hub; composition roots own one per process. */
export class EventHub {
  private listeners = new Set<(e: AppEvent) => void>();
  emit: Emit = (name, payload) => {
    for (const l of [...this.listeners]) l({ name, payload } as AppEvent);
  };
  subscribe(listener: (e: AppEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
