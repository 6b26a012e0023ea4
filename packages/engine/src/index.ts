export { Errno, errnoName, BPF_ANY, BPF_NOEXIST, BPF_EXIST, BPF_F_LOCK, updateFlagsValid, type ErrnoName } from './errno.js';
export {
  MAP_TYPES,
  MAX_KEY_SIZE,
  MAX_VALUE_SIZE,
  MAX_CPUS,
  normalizeSpec,
  percpuValueStride,
  setDefaultMemoryBudget,
  type MapType,
  type MapSpec,
  type MapFlags,
  type NormalizedSpec,
  type ResizeOptions,
  type ArrayResizeOptions,
  type EbusyPolicy,
  type ResizeDriver,
} from './spec/map-spec.js';
// describe is exported under a longer name: a bare `describe` would shadow the test runner's in users' test files.
export { describe as describeValue, requireInt } from './spec/map-spec.js';
export { currentCpu, enterCpu, exitCpu } from './context.js';
export { QuiescenceDomain, getDefaultDomain, setDefaultDomain } from './rcu/domain.js';
export { LockTimeoutError, setLockTimeout } from './locks/bucket-lock.js';
export { hashKey, hashKeyJs, hashKeyWasm, randomSeed } from './hash/hasher.js';
export { xxh32Bytes, xxh32U32 } from './hash/xxh32.js';
export type { BpfMap, MapHandle, MapStats, BatchResult, BatchWriteResult, BatchOptions, RepairResult, RecoveryCounts } from './maps/map.js';
export { createMap, attachMap, registerMapType, type CreateOptions } from './maps/registry.js';
export type { MapTypeImpl } from './maps/base.js';
export { HashMap } from './maps/hash/hash-map.js';
export { ArrayMap } from './maps/array/array-map.js';
export { LruHashMap } from './maps/lru/lru-hash-map.js';
export type { LruCensus } from './maps/lru/lru-lists.js';
export { ArrayResizeMap, MAX_SUB_ARRAYS } from './maps/array-resize/array-resize-map.js';
export { ArrayOfMapsMap } from './maps/array-of-maps/array-of-maps.js';
export { HashResizeMap } from './maps/hash-resize/hash-resize-map.js';
export { builtModuleUrl } from './maps/hash-resize/built-module.js';
export { decideAdaptive, decideWatermarks, REASONS, type ControllerKind, type ControllerSample, type Decision, type DecisionRecord, type Reason } from './maps/hash-resize/controller.js';
export type { ScanResult } from './maps/hash-resize/stable-walk.js';
export { verify, type VerifyReport, type VerifyOptions } from './verify/index.js';
