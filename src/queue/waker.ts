/**
 * The sleep of a polling loop that can be cut short: `sleep(ms)` returns after `ms`, or at once when `poke()` was
 * called since the last sleep or is called during it. A poke is never lost between two sleeps.
 */
export class Waker {
  private poked = false;
  private wake: (() => void) | null = null;

  poke(): void {
    this.poked = true;
    this.wake?.();
  }

  async sleep(ms: number): Promise<void> {
    if (this.poked) {
      this.poked = false;
      return;
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.wake = null;
        resolve();
      }, ms);
      this.wake = () => {
        this.wake = null;
        clearTimeout(timer);
        resolve();
      };
    });
    this.poked = false;
  }
}
