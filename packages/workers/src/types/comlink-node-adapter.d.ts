/**
 * comlink ships its worker_threads adapter as an ES module without a `.d.mts`,
 * so NodeNext resolution finds no types for it; this is its declaration
 * (dist/esm/node-adapter.d.ts), written against Node's MessagePort/Worker.
 */
declare module 'comlink/dist/esm/node-adapter.mjs' {
  import type { Endpoint } from 'comlink';
  export interface NodeEndpoint {
    postMessage(message: unknown, transfer?: readonly unknown[]): void;
    on(type: string, listener: (...args: any[]) => void): unknown;
    off(type: string, listener: (...args: any[]) => void): unknown;
    start?: () => void;
  }
  export default function nodeEndpoint(nep: NodeEndpoint): Endpoint;
}
