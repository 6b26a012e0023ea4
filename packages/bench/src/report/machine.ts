import os from 'node:os';

/** The machine a result was measured on: enough to compare two result files honestly. */
export interface MachineInfo {
  cpuModel: string;
  /** Logical CPUs (os.cpus().length). */
  cores: number;
  availableParallelism: number;
  totalMemoryBytes: number;
  platform: string;
  arch: string;
  osRelease: string;
  nodeVersion: string;
  v8Version: string;
  /** 1, 5 and 15 minute load averages when the run started: a busy machine shows here. */
  loadAverage: number[];
}

export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    availableParallelism: os.availableParallelism(),
    totalMemoryBytes: os.totalmem(),
    platform: process.platform,
    arch: process.arch,
    osRelease: os.release(),
    nodeVersion: process.version,
    v8Version: process.versions.v8,
    loadAverage: os.loadavg().map((x) => Math.round(x * 100) / 100),
  };
}
