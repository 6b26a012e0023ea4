import { Machine } from '@rightsize/workers';

/**
 * One Machine per CPU count, started on first use and kept for the whole
 * suite (a run needs exactly `cpus` workers; starting a pool per run would
 * add its start-up to every measurement's wall time and load its modules
 * again). Idle machines cost no CPU: their workers wait for tasks.
 */
export class MachinePool {
  private readonly machines = new Map<number, Promise<Machine>>();

  get(cpus: number): Promise<Machine> {
    let m = this.machines.get(cpus);
    if (!m) {
      m = Machine.start({ cpus });
      this.machines.set(cpus, m);
    }
    return m;
  }

  async close(): Promise<void> {
    const all = [...this.machines.values()];
    this.machines.clear();
    // A machine that failed to start has nothing to close.
    await Promise.allSettled(all.map(async (p) => (await p).close()));
  }
}
