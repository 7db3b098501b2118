// Disk partitions that matter to the mail system (message store, queue, logs), as
// Sun's counterutil diskusage object shows them. The disks source writes these; the
// MIB view (madmanDiskTable) and the diskavail alarm read them.

export interface DiskUsage {
  index: number;
  /** the configured path */
  path: string;
  /** mount point of the file system holding the path ('' until first read) */
  mountPoint: string;
  /** octets, as last read */
  totalBytes: number;
  /** octets available to unprivileged users, as last read */
  availBytes: number;
  /** when the file system was last read successfully */
  lastStat?: number;
  /** why the last reading failed ('' when it did not) */
  reason: string;
}

/** Available space in percent of the size, exact (the diskavail alarm compares it); undefined before the first reading. */
export function percentAvail(d: DiskUsage): number | undefined {
  if (d.lastStat === undefined || d.totalBytes <= 0) return undefined;
  return (d.availBytes * 100) / d.totalBytes;
}
