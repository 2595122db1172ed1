/**
 * The metrics SecBot exposes on /metrics. Each belongs to the role that produces it (HTTP metrics to the `app` of
 * each series), so that in `secbot all` the intake and results ports never expose the same series twice.
 */
import { Counter, Gauge, Histogram, Registry } from './registry.ts';

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const TASK_BUCKETS = [0.01, 0.05, 0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 900];
const VERDICT_BUCKETS = [0.5, 1, 2, 3, 5, 10, 20, 30, 60, 120, 300, 600, 1800];

const BY_APP = { label: 'app' };
const INTAKE = { role: 'intake' };
const RESULTS = { role: 'results' };
const WORKER = { role: 'worker' };

export type Metrics = ReturnType<typeof createMetrics>;

export function createMetrics(registry = new Registry()) {
  return {
    registry,
    httpRequests: registry.register(
      new Counter('secbot_http_requests_total', 'HTTP requests by app, route and status', ['app', 'method', 'route', 'status']).ownedBy(BY_APP),
    ),
    httpDuration: registry.register(
      new Histogram('secbot_http_request_duration_seconds', 'HTTP request duration', ['app', 'route'], LATENCY_BUCKETS).ownedBy(BY_APP),
    ),
    webhookEvents: registry.register(
      new Counter('secbot_webhook_events_total', 'Webhook deliveries by event and outcome (accepted, ignored, rejected, duplicate, unavailable, overloaded)', ['event', 'outcome']).ownedBy(INTAKE),
    ),
    intakeBufferedBytes: registry.register(
      new Gauge('secbot_intake_buffered_bytes', 'Webhook body bytes the intake holds now (at most SECBOT_INTAKE_BUFFER_BYTES)').ownedBy(INTAKE),
    ),
    queueTasks: registry.register(new Gauge('secbot_queue_tasks', 'Tasks in the queue by state and kind', ['state', 'kind']).ownedBy(WORKER)),
    taskDuration: registry.register(
      new Histogram('secbot_task_duration_seconds', 'Task run time by handler and outcome', ['kind', 'handler', 'outcome'], TASK_BUCKETS).ownedBy(WORKER),
    ),
    taskRetries: registry.register(new Counter('secbot_task_retries_total', 'Task attempts that failed and will be retried', ['kind', 'handler']).ownedBy(WORKER)),
    taskFailures: registry.register(new Counter('secbot_task_failures_total', 'Tasks that failed for good', ['kind', 'handler']).ownedBy(WORKER)),
    gateVerdicts: registry.register(new Counter('secbot_gate_verdicts_total', 'Status answers of the gate API by status', ['status']).ownedBy(RESULTS)),
    checksFinished: registry.register(new Counter('secbot_checks_finished_total', 'Checks that reached a final verdict', ['verdict']).ownedBy(WORKER)),
    verdictLatency: registry.register(
      new Histogram('secbot_check_verdict_latency_seconds', 'Time from webhook acceptance to the final verdict', ['verdict'], VERDICT_BUCKETS).ownedBy(WORKER),
    ),
    pruned: registry.register(new Counter('secbot_pruned_total', 'Rows removed by retention (checks, deliveries, tombstones)', ['what']).ownedBy(WORKER)),
  };
}
