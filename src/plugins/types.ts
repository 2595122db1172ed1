/**
 * The contracts between the pipeline and the plugins. A plugin is a definition (handler name, kind, config schema,
 * the env parameters it needs) plus a factory that receives everything it uses in a context object: no plugin
 * reaches for globals, so two components of one handler (two DefectDojo instances, say) never share state.
 */
import type { z } from 'zod';
import type { Logger } from '../log/logger.ts';
import type { GitlabInstance, Settings } from '../config/settings.ts';
import type { CheckRecord } from '../core/check.ts';
import type { CheckSnapshot } from '../core/publication.ts';
import type { CheckLeak } from '../core/leaks.ts';
import type { FindingSummary, OutputFinding, ScanReport } from '../core/results.ts';

export type { OutputFinding } from '../core/results.ts';

export type PluginKind = 'scanner' | 'output' | 'notifier';

export interface EnvParam {
  /** Parameter name used under `env:` in config.yml (e.g. `token`). */
  key: string;
  required: boolean;
  /** Values of secret parameters are registered with the log redactor. */
  secret: boolean;
  /** The value is a service URL: http(s), and refused at start if it carries credentials (user:password@). */
  url?: boolean;
  description: string;
}

export interface PluginContext<Cfg> {
  /** Component name from config.yml. */
  name: string;
  config: Cfg;
  /** Env parameter values resolved from the variable names the component maps them to. */
  env: Record<string, string>;
  settings: Settings;
  logger: Logger;
  fetch: typeof fetch;
}

export interface PluginDefinition<Kind extends PluginKind, Cfg, Instance> {
  handlerName: string;
  kind: Kind;
  description: string;
  configSchema: z.ZodType<Cfg>;
  envParams: readonly EnvParam[];
  /** A notifier that publishes (keeps a view of each check in step with it) rather than announcing once. */
  publishes?: boolean;
  create(ctx: PluginContext<Cfg>): Instance;
}

export interface TaskRunContext {
  check: CheckRecord;
  instance: GitlabInstance;
  signal: AbortSignal;
  log: Logger;
}

/** What SecBot has recorded of the project's history for one scan component, read before the scan starts. */
export interface ScanHistoryInput {
  /** Commits whose whole history completed scans of this component covered. */
  coveredCommits: readonly string[];
  /** Commits that introduced recorded leaks (or unscanned files) of this component. */
  leakCommits: readonly string[];
}

export interface ScanRunContext extends TaskRunContext {
  /** The component name (config.yml), which keys coverage: two components never vouch for each other. */
  scanName: string;
  history: ScanHistoryInput;
}

export interface Scanner {
  scan(run: ScanRunContext): Promise<ScanReport>;
}

/** A leak handed to an output: its key (traced back through the output's finding) and its report entry. */
export interface LeakToPublish {
  leakKey: string;
  entry: Record<string, unknown>;
}

export interface OutputPublishRequest extends TaskRunContext {
  scanName: string;
  /** The scan's own result (status, range) for naming what is imported. */
  report: Pick<ScanReport, 'status' | 'summary'>;
  /** What to import: the check's own leaks plus inherited ones this output has never seen. Masked. */
  leaks: readonly LeakToPublish[];
  /** Files this check's own scan could not read (masked): the output should say so where people look. */
  unscanned: readonly { file: string; commit: string; description: string }[];
  /** What an earlier attempt of this task recorded, if anything: the key to idempotent retries. */
  previous?: { externalId?: string; attemptedAt?: number };
  /** Durably records that this attempt is about to send (an ambiguous failure later means "maybe sent"). */
  markAttempt(): Promise<void>;
  /** The output answered (even with an error): nothing from this attempt can still be in flight. */
  clearAttempt(): Promise<void>;
  /** Durably records the external id (e.g. the DefectDojo test) as soon as it exists, before the task ends. */
  saveExternalId(id: string): Promise<void>;
}

export interface OutputPublishResult {
  status: 'imported' | 'skipped';
  externalId?: string;
  externalUrl?: string;
  /** One per leak given that the output kept or dropped; a leak missing here is unrecorded (the gate fails closed). */
  findings: OutputFinding[];
}

export interface OutputRefreshRequest {
  /** External finding ids whose triage state to read again. */
  externalIds: readonly string[];
  signal: AbortSignal;
  log: Logger;
}

export interface Output {
  publish(req: OutputPublishRequest): Promise<OutputPublishResult>;
  /** Re-reads triage (false positive, risk accepted…): open or not, per external id. Absent when it cannot change. */
  refresh?(req: OutputRefreshRequest): Promise<Map<string, boolean>>;
}

export interface NotificationInput {
  scanName: string;
  report: ScanReport;
  /** What the output recorded for this scan (null when it recorded nothing). */
  output: { status: 'imported' | 'skipped'; externalId?: string; externalUrl?: string; findings: OutputFinding[] } | null;
  /** Every leak the check rests on for this scan (own and inherited); `isNew` marks what to announce. */
  findings: FindingSummary[];
  /** Files of the history the scan could not read (`inherited`: met by an earlier check). */
  unscanned: CheckLeak[];
}

export type ChannelState = 'posting' | 'sent' | 'failed' | 'uncertain';

/** Per-channel delivery records of one notification task: what makes retries post at most once per channel. */
export interface DeliveryLedger {
  get(channel: string): Promise<{ state: ChannelState; detail?: string } | undefined>;
  /** Records the intent to post, before the request leaves. */
  begin(channel: string): Promise<void>;
  sent(channel: string, ref: string): Promise<void>;
  failed(channel: string, reason: string): Promise<void>;
  /** The previous attempt died between intent and result: whether it posted is unknown. */
  uncertain(channel: string, reason: string): Promise<void>;
  /** The post definitely did not happen (rejected before Slack stored it): a later attempt may post. */
  release(channel: string): Promise<void>;
}

export interface NotifyRequest extends TaskRunContext {
  outputName: string;
  results: NotificationInput[];
  ledger: DeliveryLedger;
}

export interface NotifyResult {
  delivered: number;
  skipped: number;
  failed: { channel: string; reason: string }[];
  note?: string;
}

/** A merge request whose head is (or was) the check's commit; earlier heads' checks count as the MR's own. */
export interface PublishMergeRequest {
  projectId: number;
  iid: number;
  checkIds: readonly string[];
}

/** The last status set on one target: `pipeline:<id>`, or `ref:<name>` (its pipeline learned from the answer). */
export interface PublishedStatus {
  target: string;
  name: string;
  state: string;
  description: string;
  pipelineId: number | null;
}

/** What a publisher already wrote, so that an unchanged state is never written again (and survives restarts). */
export interface PublicationLedger {
  statuses(): Promise<PublishedStatus[]>;
  saveStatus(s: PublishedStatus): Promise<void>;
  dropStatus(target: string): Promise<void>;
  note(mr: PublishMergeRequest): Promise<{ noteId: number; bodyHash: string } | undefined>;
  saveNote(mr: PublishMergeRequest, noteId: number, bodyHash: string): Promise<void>;
  dropNote(mr: PublishMergeRequest): Promise<void>;
  /** The MR was closed or merged (or is gone): it is no longer published to. */
  closeMergeRequest(mr: PublishMergeRequest, state: string): Promise<void>;
}

export interface PublishRequest {
  snapshot: CheckSnapshot;
  instance: GitlabInstance;
  /** Open merge requests of the check (its head, or formerly its head). */
  mergeRequests: readonly PublishMergeRequest[];
  ledger: PublicationLedger;
  signal: AbortSignal;
  log: Logger;
}

export interface PublishResult {
  /** Writes made (statuses set, notes created or edited). */
  written: number;
  /** Targets left as they were because they already showed this state. */
  unchanged: number;
  /** Targets that refused for a reason retrying soon cannot fix (403 on a protected branch, …), with the fix. */
  problems: { target: string; message: string }[];
}

/** Message notifiers implement `notify`; publishers implement `publish` (their notify tasks run the publication sync). */
export interface Notifier {
  notify?(req: NotifyRequest): Promise<NotifyResult>;
  publish?(req: PublishRequest): Promise<PublishResult>;
}

// biome-ignore lint: the registry stores definitions of every config type
export type AnyDefinition = PluginDefinition<PluginKind, any, Scanner | Output | Notifier>;
