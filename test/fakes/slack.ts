// Fake Slack Web API (chat.postMessage only), modelled on
// /work/shared/contracts/slack/CONTRACT.md. Anything else is recorded in `unexpected`.

export interface FakeSlackChannel {
  id: string;
  name?: string;
  /** false → not_in_channel (private channel, or no chat:write.public). */
  member?: boolean;
  archived?: boolean;
}

export interface SlackFailure {
  /** 429 (default), 5xx, or 200 for an ok:false platform error. */
  status?: number;
  error?: string;
  /** Retry-After seconds sent with a 429; default 1. */
  retryAfter?: number;
  /** Only posts to this channel (id or name) consume the failure. */
  channel?: string;
}

export interface SlackMessage {
  channel: string;
  text: string | undefined;
  blocks: unknown[] | undefined;
  threadTs: string | undefined;
  ts: string;
  receivedAt: Date;
  /** Every argument as received, minus `token`. */
  args: Record<string, unknown>;
}

export interface SlackRequestRecord {
  method: string;
  path: string;
  contentType: string | null;
  hadAuth: boolean;
  status: number;
  ok: boolean;
  error?: string;
  channel?: string;
  receivedAt: Date;
}

export interface FakeSlack {
  /** Base for `slackApiUrl`, ending in `/api/`. */
  url: string;
  stop(): Promise<void>;
  messages: SlackMessage[];
  requests: SlackRequestRecord[];
  unexpected: { method: string; path: string; reason: string }[];
  failNext(n: number, failure?: SlackFailure): void;
  /**
   * The next n accepted posts are stored at once but answered only after `ms`: a client killed meanwhile has
   * posted without learning it (the "crashed after posting, before recording" window).
   */
  holdNext(n: number, ms: number): void;
  /** 'any' (default) accepts every channel; otherwise only the listed ones exist. */
  setChannels(channels: 'any' | (FakeSlackChannel | string)[]): void;
}

type Args = Record<string, unknown>;
type Reply = { status: number; body: Args; headers?: Record<string, string> };

const TEXT_LIMIT = 40_000;
const KNOWN_BLOCK_TYPES = new Set([
  'section', 'header', 'context', 'divider', 'actions', 'image', 'markdown',
  'rich_text', 'input', 'file', 'video', 'table',
]);

interface SlackState {
  token: string;
  channels: ChannelTable;
  seq: number;
  messages: SlackMessage[];
  requests: SlackRequestRecord[];
  unexpected: FakeSlack['unexpected'];
  failures: { remaining: number; failure: SlackFailure }[];
  holds: { remaining: number; ms: number }[];
}

export function startFakeSlack(opts: { token: string; channels?: 'any' | (FakeSlackChannel | string)[] }): FakeSlack {
  const state: SlackState = {
    token: opts.token, channels: normaliseChannels(opts.channels ?? 'any'), seq: 0,
    messages: [], requests: [], unexpected: [], failures: [], holds: [],
  };
  const server = Bun.serve({ port: 0, hostname: '127.0.0.1', reusePort: false, fetch: (req) => handleRequest(state, req) });
  return {
    url: `http://127.0.0.1:${server.port}/api/`,
    stop: () => server.stop(true),
    messages: state.messages,
    requests: state.requests,
    unexpected: state.unexpected,
    failNext(n, failure = {}) {
      if (n > 0) state.failures.push({ remaining: n, failure });
    },
    holdNext(n, ms) {
      if (n > 0) state.holds.push({ remaining: n, ms });
    },
    setChannels(list) {
      state.channels = normaliseChannels(list);
    },
  };
}

async function handleRequest(state: SlackState, req: Request): Promise<Response> {
  const path = new URL(req.url).pathname;
  const contentType = req.headers.get('content-type');
  const auth = req.headers.get('authorization');
  const record = (reply: Reply, channel?: string) => {
    const error = typeof reply.body.error === 'string' ? reply.body.error : undefined;
    state.requests.push({ method: req.method, path, contentType, hadAuth: auth !== null, status: reply.status, ok: reply.body.ok === true, error, channel, receivedAt: new Date() });
    return Response.json(reply.body, { status: reply.status, headers: reply.headers });
  };
  if (req.method !== 'POST' || path !== '/api/chat.postMessage') {
    state.unexpected.push({ method: req.method, path, reason: 'unknown method or path' });
    return record({ status: 404, body: { ok: false, error: 'unknown_method' } });
  }
  const parsed = await parseBody(req, contentType);
  if ('reason' in parsed) {
    state.unexpected.push({ method: req.method, path, reason: parsed.reason });
    return record(platformError(parsed.error));
  }
  const bearer = auth === null ? undefined : (/^Bearer\s+(.*)$/i.exec(auth)?.[1] ?? '');
  const channel = typeof parsed.args.channel === 'string' ? parsed.args.channel : undefined;
  const reply = postMessage(state, parsed.args, bearer);
  const hold = reply.body.ok === true ? state.holds[0] : undefined;
  if (hold) {
    if (--hold.remaining <= 0) state.holds.shift();
    await Bun.sleep(hold.ms);
  }
  return record(reply, channel);
}

// Checks run in the order Slack reports them: auth, injected failures, channel, content.
function postMessage(state: SlackState, args: Args, bearer: string | undefined): Reply {
  const token = bearer ?? (typeof args.token === 'string' ? args.token : undefined);
  if (token === undefined || token === '') return platformError('not_authed');
  if (token !== state.token) return platformError('invalid_auth');
  const channelArg = typeof args.channel === 'string' ? args.channel : '';
  const injected = takeFailure(state.failures, channelArg, state.channels);
  if (injected) return injected;
  if (channelArg === '') return platformError('channel_not_found');
  const channel = resolveChannel(state.channels, channelArg);
  if (channel === undefined) return platformError('channel_not_found');
  if (channel.archived) return platformError('is_archived');
  if (channel.member === false) return platformError('not_in_channel');
  const content = checkContent(args);
  if ('status' in content) return content;
  state.seq += 1;
  // Unique and increasing like real ts values; the sequence keeps same-second posts apart.
  const ts = `${Math.floor(Date.now() / 1000)}.${String(state.seq).padStart(6, '0')}`;
  const { token: _omit, ...rest } = args;
  const threadTs = typeof args.thread_ts === 'string' ? args.thread_ts : undefined;
  state.messages.push({ channel: channel.id, text: content.text, blocks: content.blocks, threadTs, ts, receivedAt: new Date(), args: rest });
  const body: Args = {
    ok: true, channel: channel.id, ts,
    message: { type: 'message', subtype: 'bot_message', bot_id: 'B0FAKEBOT', text: content.text ?? '', blocks: content.blocks, ts },
  };
  if (content.truncated) Object.assign(body, { warning: 'message_truncated', response_metadata: { warnings: ['message_truncated'] } });
  return { status: 200, body };
}

function platformError(error: string, extra: Args = {}): Reply {
  return { status: 200, body: { ok: false, error, ...extra } };
}

async function parseBody(req: Request, contentType: string | null): Promise<{ args: Args } | { reason: string; error: string }> {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === 'application/json') {
    try {
      const value: unknown = JSON.parse(await req.text());
      if (value && typeof value === 'object' && !Array.isArray(value)) return { args: value as Args };
    } catch {
      // fall through: Slack answers invalid_json for unparsable JSON bodies
    }
    return { reason: 'JSON body is not an object', error: 'invalid_json' };
  }
  if (type === 'application/x-www-form-urlencoded' || type === 'multipart/form-data') {
    const args: Args = {};
    for (const [key, value] of (await req.formData()).entries()) args[key] = typeof value === 'string' ? value : '[file]';
    return { args };
  }
  return { reason: `unsupported content-type ${contentType ?? '(none)'}`, error: 'invalid_form_data' };
}

type ChannelTable = 'any' | FakeSlackChannel[];

function normaliseChannels(list: 'any' | (FakeSlackChannel | string)[]): ChannelTable {
  if (list === 'any') return 'any';
  return list.map((c) => (typeof c !== 'string' ? c : looksLikeId(c) ? { id: c } : { id: idForName(c), name: stripHash(c) }));
}

function resolveChannel(table: ChannelTable, input: string): FakeSlackChannel | undefined {
  if (table === 'any') return { id: looksLikeId(input) ? input : idForName(input) };
  const name = stripHash(input);
  return table.find((c) => c.id === input || (c.name !== undefined && c.name === name));
}

function looksLikeId(s: string): boolean {
  return /^[CGD][A-Z0-9]{6,}$/.test(s);
}

function stripHash(s: string): string {
  return s.startsWith('#') ? s.slice(1) : s;
}

// Stable per name so tests can predict the id Slack would answer with.
function idForName(name: string): string {
  const hash = Bun.hash(stripHash(name)).toString(36).toUpperCase();
  return `C${hash.padStart(10, '0').slice(0, 10)}`;
}

function takeFailure(failures: { remaining: number; failure: SlackFailure }[], channel: string, table: ChannelTable): Reply | undefined {
  const matches = (f: SlackFailure) =>
    f.channel === undefined || f.channel === channel || (channel !== '' && resolveChannel(table, channel)?.id === resolveChannel(table, f.channel)?.id);
  const index = failures.findIndex((f) => matches(f.failure));
  if (index < 0) return undefined;
  const entry = failures[index]!;
  entry.remaining -= 1;
  if (entry.remaining <= 0) failures.splice(index, 1);
  const { status = entry.failure.error !== undefined ? 200 : 429, error, retryAfter = 1 } = entry.failure;
  if (status === 429) return { status, body: { ok: false, error: error ?? 'ratelimited' }, headers: { 'Retry-After': String(retryAfter) } };
  return { status, body: { ok: false, error: error ?? (status >= 500 ? 'service_unavailable' : 'fatal_error') } };
}

type Content = { text: string | undefined; blocks: unknown[] | undefined; truncated: boolean };

function checkContent(args: Args): Content | Reply {
  const text = typeof args.text === 'string' && args.text !== '' ? args.text : undefined;
  const markdown = typeof args.markdown_text === 'string' && args.markdown_text !== '' ? args.markdown_text : undefined;
  let blocks: unknown = args.blocks;
  if (typeof blocks === 'string') {
    try {
      blocks = JSON.parse(blocks);
    } catch {
      return platformError('invalid_blocks_format');
    }
  }
  if (blocks !== undefined && !Array.isArray(blocks)) return platformError('invalid_blocks_format');
  const blockList = blocks as unknown[] | undefined;
  const hasBlocks = blockList !== undefined && blockList.length > 0;
  if (markdown !== undefined && (text !== undefined || hasBlocks)) return platformError('markdown_text_conflict');
  if (text === undefined && markdown === undefined && !hasBlocks) return platformError('no_text');
  if (blockList !== undefined) {
    const errors = validateBlocks(blockList);
    if (errors.length > 0) return platformError('invalid_blocks', { errors });
  }
  const body = text ?? markdown;
  const truncated = body !== undefined && body.length > TEXT_LIMIT;
  return { text: truncated ? body!.slice(0, TEXT_LIMIT) : body, blocks: blockList, truncated };
}

// Returns Slack-style messages, e.g. "must be less than 3001 characters [json-pointer:/blocks/0/text/text]".
export function validateBlocks(blocks: unknown[]): string[] {
  const errors: string[] = [];
  const fail = (msg: string, pointer: string) => errors.push(`${msg} [json-pointer:${pointer}]`);
  if (blocks.length > 50) fail('no more than 50 items allowed', '/blocks');
  blocks.forEach((block, i) => {
    validateBlock(block, `/blocks/${i}`, fail);
  });
  return errors;
}

type Fail = (msg: string, pointer: string) => void;

function validateBlock(block: unknown, at: string, fail: Fail): void {
  if (!isObject(block) || typeof block.type !== 'string') return fail('must provide an object with a type', at);
  if (!KNOWN_BLOCK_TYPES.has(block.type)) return fail(`unsupported type: ${block.type}`, `${at}/type`);
  if (block.block_id !== undefined && (typeof block.block_id !== 'string' || block.block_id.length > 255)) {
    fail('must be a string of at most 255 characters', `${at}/block_id`);
  }
  switch (block.type) {
    case 'section': {
      if (block.text === undefined && block.fields === undefined) fail('must provide text or fields', at);
      if (block.text !== undefined) checkTextObject(block.text, `${at}/text`, 3000, fail);
      if (block.fields !== undefined) {
        if (!Array.isArray(block.fields) || block.fields.length === 0) return fail('must be a non-empty array', `${at}/fields`);
        if (block.fields.length > 10) fail('no more than 10 items allowed', `${at}/fields`);
        block.fields.forEach((f, j) => {
          checkTextObject(f, `${at}/fields/${j}`, 2000, fail);
        });
      }
      return;
    }
    case 'header':
      if (isObject(block.text) && block.text.type !== 'plain_text') fail('must be plain_text', `${at}/text/type`);
      return checkTextObject(block.text, `${at}/text`, 150, fail);
    case 'context':
      return checkArray(block.elements, 10, `${at}/elements`, fail);
    case 'actions':
      return checkArray(block.elements, 25, `${at}/elements`, fail);
    case 'markdown':
      if (typeof block.text !== 'string' || block.text.length === 0 || block.text.length > 12_000) {
        fail('must be a string of 1 to 12000 characters', `${at}/text`);
      }
      return;
    default:
      return;
  }
}

function checkTextObject(value: unknown, at: string, max: number, fail: Fail): void {
  if (!isObject(value) || (value.type !== 'plain_text' && value.type !== 'mrkdwn')) return fail('must be a text object', at);
  if (typeof value.text !== 'string' || value.text.length === 0) return fail('must be more than 0 characters', `${at}/text`);
  if (value.text.length > max) fail(`must be less than ${max + 1} characters`, `${at}/text`);
}

function checkArray(value: unknown, max: number, at: string, fail: Fail): void {
  if (!Array.isArray(value) || value.length === 0) return fail('must be a non-empty array', at);
  if (value.length > max) fail(`no more than ${max} items allowed`, at);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
