/**
 * A sleep that a wake-up cuts short, and that is skipped altogether when the
 * wake-up came while nobody was sleeping (during a round of work), so that no
 * wake-up is ever lost to a full poll interval.
 */
export class Waker {
  private pending = false;
  private readonly sleepers = new Set<() => void>();

  wake(): void {
    if (this.sleepers.size === 0) this.pending = true;
    for (const wakeUp of [...this.sleepers]) wakeUp();
  }

  async sleep(ms: number, stop: AbortSignal): Promise<void> {
    if (this.pending || stop.aborted) {
      this.pending = false;
      return;
    }
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timeout);
        stop.removeEventListener('abort', done);
        this.sleepers.delete(done);
        resolve();
      };
      const timeout = setTimeout(done, ms);
      stop.addEventListener('abort', done, { once: true });
      this.sleepers.add(done);
    });
  }
}
