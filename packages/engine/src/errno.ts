/**
 * Kernel-style results. Every map operation returns 0 or a negative Linux errno,
 * exactly as the bpf() syscall and the BPF helpers do, so a program written
 * against rightsize reads like one written against the kernel.
 */
export const Errno = {
  EPERM: 1,
  ENOENT: 2,
  E2BIG: 7,
  EAGAIN: 11,
  ENOMEM: 12,
  EBUSY: 16,
  EEXIST: 17,
  EINVAL: 22,
  ENOSPC: 28,
  ENOTSUPP: 524,
} as const;

export type ErrnoName = keyof typeof Errno;

const NAMES = new Map<number, ErrnoName>((Object.entries(Errno) as [ErrnoName, number][]).map(([k, v]) => [v, k]));

/** `errnoName(-16)` is `'EBUSY'`; 0 is `'OK'`. For reports and error messages. */
export function errnoName(result: number): string {
  if (result === 0) return 'OK';
  return NAMES.get(-result) ?? `E${-result}`;
}

/** Update flags (include/uapi/linux/bpf.h). */
export const BPF_ANY = 0;
export const BPF_NOEXIST = 1;
export const BPF_EXIST = 2;
export const BPF_F_LOCK = 4;

/**
 * The kernel's check (`flags & ~BPF_F_LOCK) > BPF_EXIST`): the low bits are one
 * of ANY/NOEXIST/EXIST, BPF_F_LOCK may be or-ed in, anything else is -EINVAL.
 */
export function updateFlagsValid(flags: number): boolean {
  return Number.isInteger(flags) && flags >= 0 && (flags & ~BPF_F_LOCK) <= BPF_EXIST && flags <= 7;
}
