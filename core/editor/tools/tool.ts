/** Tools are small state machines driven by pointer and key events in image coordinates. */
import type { ImageBuffer } from '../../mask/flood-fill';
import type { LabelMap } from '../../mask/label-map';
import type { Connectivity, Point, Rect } from '../../mask/types';
import type { GestureRecorder } from '../gesture-recorder';
import type { MaskCrop } from '../object-crop';

export interface EditorPointerEvent {
  /** image coordinates (continuous: pixel (x, y) spans [x, x+1)) */
  x: number;
  y: number;
  /** screen coordinates, for panning */
  sx: number;
  sy: number;
  /** 0 left, 1 middle, 2 right */
  button: number;
  shift?: boolean;
  alt?: boolean;
  ctrl?: boolean;
}

export interface EditorKeyEvent {
  key: string;
  shift?: boolean;
  alt?: boolean;
  ctrl?: boolean;
}

/** What a tool may do to the document; implemented by Editor. */
export interface ToolHost {
  readonly map: LabelMap;
  readonly brushRadiusPx: number;
  readonly connectivity: Connectivity;
  readonly wandTolerance: number;
  /** colour bound of the fill tool (FILL_TOLERANCE_OFF: labels only) */
  readonly fillTolerance: number;
  readonly image: ImageBuffer | null;
  /** a click this close (image px) to a polygon's first vertex closes it; the renderer sets it from the zoom */
  readonly snapDistancePx: number;
  /** starts a gesture (one undo step) and returns its recorder */
  beginGesture(): GestureRecorder;
  /** ends the gesture; it becomes one history entry when it changed anything */
  commitGesture(label: string): void;
  cancelGesture(): void;
  /** instance id to paint with for a gesture starting at p (creates one when needed) */
  paintIdAt(p: Point): number;
  isLocked(id: number): boolean;
  changed(rect: Rect | null): void;
  select(id: number | null): void;
  pan(dxScreen: number, dyScreen: number): void;
  notify(message: string, kind?: 'info' | 'warning'): void;
  /** the shown proposal instance at an image pixel (0: none, or no proposal) */
  proposalAt(x: number, y: number): number;
  /** accepts whole proposal instances (one undo step) */
  acceptProposalInstances(ids: readonly number[]): void;
  /** accepts the proposal pixels inside a row-major 0/1 region (one undo step) */
  acceptProposalRegion(region: Uint8Array): void;
  /**
   * places an object as a new instance of the active class on background pixels (one undo step);
   * `replaces`: the proposal instance it was refined from. Returns the new id or null
   */
  placeObject(crop: MaskCrop, score: number | null, replaces: number | null): number | null;
}

export interface Tool {
  readonly name: ToolName;
  /** the current state, e.g. 'idle' | 'painting' */
  readonly state: string;
  pointerDown(e: EditorPointerEvent): void;
  pointerMove(e: EditorPointerEvent): void;
  pointerUp(e: EditorPointerEvent): void;
  /** returns true when the tool consumed the key */
  keyDown(e: EditorKeyEvent): boolean;
  /** abandon any gesture in progress (tool switch, Esc) */
  cancel(): void;
}

export type ToolName = 'brush' | 'eraser' | 'polygon' | 'fill' | 'wand' | 'select' | 'pan' | 'refine' | 'accept';
