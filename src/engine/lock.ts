/**
 * One scanner for all windows: a lock file in the shared storage folder, held by one process with
 * a heartbeat. The others read the index it saves. A lock whose owner died (heartbeat older than
 * `staleMs`, or its pid gone on this host) is taken over.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeFileAtomic } from './atomic';

interface LockBody {
  pid: number;
  host: string;
  token: string;
  heartbeat: number;
}

export const lockFileName = 'scanner.lock';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error: unknown) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class ScannerLock {
  private readonly file: string;
  private readonly token = `${process.pid}-${Math.random().toString(36).slice(2)}`;
  private timer: NodeJS.Timeout | undefined;
  held = false;

  constructor(
    dir: string,
    private readonly staleMs = 30_000,
    private readonly now: () => number = Date.now,
  ) {
    this.file = path.join(dir, lockFileName);
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  }

  private read(): LockBody | undefined {
    try {
      const b = JSON.parse(fs.readFileSync(this.file, 'utf8')) as LockBody;
      return typeof b.pid === 'number' && typeof b.heartbeat === 'number' && typeof b.token === 'string' ? b : undefined;
    } catch {
      return undefined;
    }
  }

  private body(): string {
    return JSON.stringify({ pid: process.pid, host: os.hostname(), token: this.token, heartbeat: this.now() } satisfies LockBody);
  }

  /** Whether the current holder (if any) is gone. */
  isStale(b: LockBody | undefined): boolean {
    if (!b) return true;
    if (this.now() - b.heartbeat > this.staleMs) return true;
    return b.host === os.hostname() && !alive(b.pid);
  }

  /** Try to become the scanner; true when this process holds the lock afterwards. */
  tryAcquire(): boolean {
    if (this.held) return true;
    try {
      const fd = fs.openSync(this.file, 'wx', 0o600);
      fs.writeSync(fd, this.body());
      fs.closeSync(fd);
    } catch (error: unknown) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') return false;
      const current = this.read();
      if (!this.isStale(current)) return false;
      // Take over a dead holder's lock; the token check below settles a race between two takers.
      writeFileAtomic(this.file, this.body());
    }
    const mine = this.read();
    this.held = mine?.token === this.token;
    if (this.held) this.beat();
    return this.held;
  }

  private beat(): void {
    this.timer = setInterval(() => {
      const b = this.read();
      if (b?.token !== this.token) {
        // Someone took it over (we were thought dead): step down.
        this.held = false;
        this.stopBeat();
        return;
      }
      try {
        writeFileAtomic(this.file, this.body());
      } catch {
        // keep trying on the next beat
      }
    }, Math.max(1000, Math.floor(this.staleMs / 3)));
    this.timer.unref?.();
  }

  private stopBeat(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  release(): void {
    this.stopBeat();
    if (this.held && this.read()?.token === this.token) {
      try {
        fs.unlinkSync(this.file);
      } catch {
        // already gone
      }
    }
    this.held = false;
  }
}
