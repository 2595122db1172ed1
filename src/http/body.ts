/**
 * Reading webhook bodies without letting senders choose how much memory SecBot uses: one body stops as soon as it
 * exceeds the limit (no matter what Content-Length claims), and all bodies being read or handled at once share a
 * byte budget (SECBOT_INTAKE_BUFFER_BYTES). A body that does not fit is refused before it is buffered.
 */
export class BodyTooLarge extends Error {
  constructor(readonly limit: number) {
    super(`request body exceeds the limit of ${limit} bytes (SECBOT_MAX_BODY_BYTES)`);
  }
}

export class BudgetExhausted extends Error {
  constructor(readonly budget: number) {
    super(
      `SecBot is already holding ${budget} bytes of webhook bodies (SECBOT_INTAKE_BUFFER_BYTES); nothing was stored. ` +
        'Resend the delivery in a few seconds',
    );
  }
}

/** The bytes of request bodies held in memory by one intake, across concurrent requests. */
export class BodyBudget {
  private used = 0;
  constructor(readonly capacity: number) {}

  get inUse(): number {
    return this.used;
  }

  /** Takes `bytes` if they fit; false (and nothing taken) otherwise. */
  tryTake(bytes: number): boolean {
    if (bytes > this.capacity - this.used) return false;
    this.used += bytes;
    return true;
  }

  give(bytes: number): void {
    this.used = Math.max(0, this.used - bytes);
  }
}

/** A body read under a budget: `release` gives its bytes back once the request no longer holds them. */
export interface HeldBody {
  text: string;
  release(): void;
}

/**
 * Reads the body under `limit` and `budget`. A declared Content-Length is taken from the budget before the first
 * byte is read; a body without one (chunked) takes its bytes as they arrive. Throws BodyTooLarge or
 * BudgetExhausted with nothing left taken; on success the caller must call `release`.
 */
export async function readBodyHeld(request: Request, limit: number, budget: BodyBudget): Promise<HeldBody> {
  const declared = Number(request.headers.get('content-length') ?? '0');
  if (declared > limit) throw new BodyTooLarge(limit);
  let held = 0;
  const take = (bytes: number) => {
    if (!budget.tryTake(bytes)) throw new BudgetExhausted(budget.capacity);
    held += bytes;
  };
  const release = () => {
    budget.give(held);
    held = 0;
  };
  try {
    if (declared > 0) take(declared);
    const text = await readChunks(request, limit, (size) => {
      if (size > held) take(size - held);
    });
    return { text, release };
  } catch (err) {
    release();
    throw err;
  }
}

/** Reads the body as text under `limit` alone (no shared budget). */
export async function readBodyLimited(request: Request, limit: number): Promise<string> {
  const declared = Number(request.headers.get('content-length') ?? '0');
  if (declared > limit) throw new BodyTooLarge(limit);
  return readChunks(request, limit, () => {});
}

/**
 * Reads the body into one buffer, sized by Content-Length when the request declares it (Bun holds the sender to
 * it), so no second copy of the chunks is made; bodies without it (chunked) are gathered and joined.
 */
async function readChunks(request: Request, limit: number, onSize: (size: number) => void): Promise<string> {
  if (!request.body) return '';
  const declared = Number(request.headers.get('content-length') ?? '0');
  const reader = request.body.getReader();
  let whole = declared > 0 ? new Uint8Array(declared) : null;
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (size + value.byteLength > limit) throw new BodyTooLarge(limit);
      onSize(size + value.byteLength);
      if (whole && size + value.byteLength <= whole.byteLength) whole.set(value, size);
      else {
        // More than declared (only possible for a Request built in-process): fall back to gathering.
        if (whole) chunks.push(whole.subarray(0, size));
        whole = null;
        chunks.push(value);
      }
      size += value.byteLength;
    }
  } catch (err) {
    await reader.cancel().catch(() => {});
    throw err;
  }
  const bytes = whole ? whole.subarray(0, size) : Buffer.concat(chunks);
  return new TextDecoder('utf-8', { fatal: false }).decode(bytes);
}
