/** Bytes as a person reads them: MiB from 1 MiB up, KiB from 1 KiB, bytes below. */
export function formatBytes(bytes: number): string {
  const MIB = 1024 * 1024;
  if (bytes >= MIB) return `${round(bytes / MIB)} MiB`;
  if (bytes >= 1024) return `${round(bytes / 1024)} KiB`;
  return `${bytes} bytes`;
}

function round(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(1);
}

