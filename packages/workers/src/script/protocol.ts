import type { MapHandle } from '@rightsize/engine';
import type { KeyInput } from '../util/keys.js';

/** What a script CPU's worker starts with. */
export interface ScriptWorkerInit {
  cpu: number;
  nCpus: number;
  domains: SharedArrayBuffer[];
  maps: Record<string, MapHandle>;
  /** The machine's clock word (the ktime epoch). */
  clock: SharedArrayBuffer;
}

/** One step, main thread -> the CPU's worker. */
export type StepRequest =
  | { id: number; op: 'lookup' | 'lookupAndDelete' | 'delete' | 'grow' | 'shrink' | 'stats'; map: string; key?: KeyInput }
  | { id: number; op: 'update'; map: string; key: KeyInput; value: Uint8Array; flags: number }
  | { id: number; op: 'atomicAdd'; map: string; key: KeyInput; byteOffset: number; delta: number }
  | { id: number; op: 'call'; module: string; fn: string; args: unknown[] }
  | { id: number; op: 'close' };

/** The step's outcome, the CPU's worker -> main thread. */
export type StepReply = { id: number; ok: true; value: unknown } | { id: number; ok: false; message: string; stack?: string };

/** What lookup and lookupAndDelete steps return: the helper's result and, on 0, the value. */
export interface LookupResult {
  result: number;
  value?: Uint8Array;
}
