/** The live preview of the product being configured: one `LivePreview` per product, fed
 * every change of the values — debounced while a slider is dragged, at once otherwise —
 * and paused while the values break a rule. A change its morph GLB covers is shown morphed
 * at once; while dragging, that is all (no request), and the exact GLB is asked for when the
 * drag ends (`flush`). */
import { useCallback, useEffect, useMemo, useRef, useState, type RefObject } from 'react';
import { createDebouncer } from '../lib/debounce';
import { webglAvailable } from '../lib/renderer';
import { evaluateRules, standInFor, type StandIn } from '../lib/rules';
import { exposeForTests } from '../lib/testHooks';
import { defaultConfig, nonDefaultValues } from '../lib/values';
import { LivePreview, type PreviewState } from '../services/livePreview';
import { Speculation } from '../services/speculation';
import { disposeModel, type LoadedModel } from '../services/modelLoader';
import type { ConfigData, ConfigSchema } from '../types/configSchema';

/** 'drag': a continuous change (slider move), debounced; 'commit': a finished one, sent at once. */
export type ChangeMode = 'drag' | 'commit';

const DEBOUNCE_MS = 150;
const MAX_WAIT_MS = 400;
const IDLE: PreviewState = { phase: 'idle', progress: 0, model: null, error: null };

export interface LivePreviewSession {
  preview: PreviewState;
  /** Show `values`; `inputAt` is when the user made the change (performance.now()). */
  send(values: ConfigData, mode: ChangeMode, inputAt: number): void;
  /** Send a debounced change now (the end of a drag). */
  flush(): void;
  retryPreview(): void;
  /** The viewer drew `model` (ends the timing of the change that asked for it). */
  modelDrawn(model: LoadedModel): void;
  /** What the viewer shows while the values break a rule and no model of theirs exists. */
  standIn: StandIn | null;
}

/** `current` holds the values the page shows: the first request of a new preview sends them. */
export function useLivePreviewSession(productId: string, schema: ConfigSchema, current: RefObject<ConfigData>): LivePreviewSession {
  const [preview, setPreview] = useState<PreviewState>(IDLE);
  const previewRef = useRef<LivePreview | null>(null);
  const [standIn, setStandIn] = useState<StandIn | null>(null);
  const standInRef = useRef<StandIn | null>(null);
  const showStandIn = useCallback((next: StandIn | null) => {
    standInRef.current = next;
    setStandIn(next);
  }, []);
  /** Makes the likely next models while the page is idle (../services/speculation). */
  const speculationRef = useRef<Speculation | null>(null);
  const debouncer = useMemo(() => createDebouncer(DEBOUNCE_MS, MAX_WAIT_MS), []);
  /** A dragged change shown morphed and not sent: the end of the drag sends it. */
  const unsent = useRef<ConfigData | null>(null);

  const send = useCallback((values: ConfigData, mode: ChangeMode, inputAt: number) => {
    const live = previewRef.current;
    if (!live) return;
    speculationRef.current?.input();
    if (evaluateRules(schema, values).length > 0) {
      debouncer.cancel();
      unsent.current = null;
      if (standInRef.current) return; // the stand-in stays, on its way or on screen
      // Nothing of these values was ever shown (a link that breaks a rule): show the nearest
      // valid configuration, or the defaults, marked as such, rather than an empty viewer.
      const instead = live.getState().model ? null : standInFor(schema, values);
      if (instead) {
        showStandIn(instead);
        live.request(nonDefaultValues(schema, instead.values), inputAt);
      } else {
        live.block();
      }
      return;
    }
    if (standInRef.current) showStandIn(null);
    // Only the changed values go to the server, which fills in the defaults itself: its
    // cache key then matches the product preview's (JSON from a browser writes 1.0 as 1).
    const changed = nonDefaultValues(schema, values);
    const morphed = live.morph(changed, inputAt);
    if (morphed && live.has(changed)) {
      // Its exact model was in memory, and morph showed it: nothing is left to send.
      debouncer.cancel();
      unsent.current = null;
      return;
    }
    unsent.current = morphed && mode === 'drag' ? changed : null;
    if (unsent.current) {
      debouncer.cancel();
    } else if (mode === 'drag') {
      debouncer.schedule(() => live.request(changed, inputAt));
    } else {
      debouncer.cancel();
      live.request(changed, inputAt);
    }
  }, [schema, debouncer, showStandIn]);

  // One preview per product; the first request shows the values the page opened with.
  useEffect(() => {
    const canDraw = webglAvailable(); // else models are only measured, and never morphed
    const live = new LivePreview(productId, setPreview, { defaults: defaultConfig(schema), morph: canDraw, measureOnly: !canDraw });
    previewRef.current = live;
    setPreview(live.getState());
    send(current.current, 'commit', performance.now());
    return () => {
      debouncer.cancel();
      unsent.current = null;
      live.dispose();
      previewRef.current = null;
      showStandIn(null);
    };
  }, [productId, schema, send, debouncer, current, showStandIn]);

  // What is made ahead goes into the memory of whichever preview is current.
  useEffect(() => {
    const speculation = new Speculation(productId, schema, {
      shownValues: () => previewRef.current?.shownValues() ?? null,
      has: (values) => previewRef.current?.has(values) ?? true,
      keep: (values, model) => (previewRef.current ? previewRef.current.keep(values, model) : disposeModel(model)),
    });
    speculationRef.current = speculation;
    return () => {
      speculation.dispose();
      speculationRef.current = null;
    };
  }, [productId, schema]);

  useEffect(() => exposeForTests(() => previewRef.current, () => speculationRef.current?.lastReport ?? null), []);

  const flush = useCallback(() => {
    const values = unsent.current;
    unsent.current = null;
    if (values) previewRef.current?.request(values);
    else debouncer.flush();
  }, [debouncer]);
  // A touch drag the browser takes over (to scroll) ends in pointercancel, which the slider
  // does not handle: a morphed change is sent when any pointer is released or cancelled.
  useEffect(() => {
    const released = () => { if (unsent.current) flush(); };
    window.addEventListener('pointerup', released);
    window.addEventListener('pointercancel', released);
    return () => {
      window.removeEventListener('pointerup', released);
      window.removeEventListener('pointercancel', released);
    };
  }, [flush]);
  const retryPreview = useCallback(() => previewRef.current?.retry(), []);
  const modelDrawn = useCallback((model: LoadedModel) => {
    previewRef.current?.markDrawn(model);
    speculationRef.current?.drawn();
  }, []);
  return { preview, send, flush, retryPreview, modelDrawn, standIn };
}
