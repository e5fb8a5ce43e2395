/** This thread's CPU time (ms), where Node can tell (`process.threadCpuUsage`, Node ≥ 22.19). */
export function threadCpuMs(): number | undefined {
  const usage = (process as { threadCpuUsage?: () => { user: number; system: number } }).threadCpuUsage?.();
  return usage ? (usage.user + usage.system) / 1000 : undefined;
}
