CREATE TABLE `checks` (
	`id` text PRIMARY KEY NOT NULL,
	`generation` integer DEFAULT 1 NOT NULL,
	`state` text NOT NULL,
	`error` text,
	`event_type` text NOT NULL,
	`host` text NOT NULL,
	`project_path` text NOT NULL,
	`commit_sha` text NOT NULL,
	`ref_name` text NOT NULL,
	`job_name` text,
	`context` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`finished_at` integer,
	`verdict` text
);
--> statement-breakpoint
CREATE INDEX `checks_created_idx` ON `checks` (`created_at`);--> statement-breakpoint
CREATE INDEX `checks_project_idx` ON `checks` (`project_path`,`created_at`);--> statement-breakpoint
CREATE TABLE `deliveries` (
	`key` text PRIMARY KEY NOT NULL,
	`check_id` text,
	`event_type` text NOT NULL,
	`outcome` text NOT NULL,
	`received_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `notifications` (
	`check_id` text NOT NULL,
	`generation` integer NOT NULL,
	`output` text NOT NULL,
	`notifier` text NOT NULL,
	`channel` text NOT NULL,
	`state` text NOT NULL,
	`detail` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`check_id`, `generation`, `output`, `notifier`, `channel`)
);
--> statement-breakpoint
CREATE TABLE `output_results` (
	`check_id` text NOT NULL,
	`generation` integer NOT NULL,
	`scan` text NOT NULL,
	`output` text NOT NULL,
	`status` text NOT NULL,
	`external_id` text,
	`external_url` text,
	`findings` text NOT NULL,
	`verdict` text,
	`verdict_at` integer,
	`refresh_error` text,
	`attempted_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`check_id`, `generation`, `scan`, `output`)
);
--> statement-breakpoint
CREATE TABLE `scan_results` (
	`check_id` text NOT NULL,
	`generation` integer NOT NULL,
	`scan` text NOT NULL,
	`status` text NOT NULL,
	`finding_count` integer NOT NULL,
	`report` text NOT NULL,
	`leaks` text NOT NULL,
	`summary` text NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`check_id`, `generation`, `scan`)
);
--> statement-breakpoint
CREATE TABLE `task_deps` (
	`parent_id` integer NOT NULL,
	`child_id` integer NOT NULL,
	PRIMARY KEY(`parent_id`, `child_id`)
);
--> statement-breakpoint
CREATE INDEX `task_deps_child_idx` ON `task_deps` (`child_id`);--> statement-breakpoint
CREATE TABLE `task_events` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`task_id` integer NOT NULL,
	`attempt` integer NOT NULL,
	`event` text NOT NULL,
	`message` text,
	`at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `task_events_task_idx` ON `task_events` (`task_id`);--> statement-breakpoint
CREATE TABLE `tasks` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`check_id` text NOT NULL,
	`generation` integer NOT NULL,
	`name` text NOT NULL,
	`kind` text NOT NULL,
	`handler` text NOT NULL,
	`payload` text NOT NULL,
	`state` text NOT NULL,
	`pending_parents` integer NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`max_attempts` integer NOT NULL,
	`run_at` integer NOT NULL,
	`lease_owner` text,
	`lease_until` integer,
	`timeout_ms` integer NOT NULL,
	`last_error` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`started_at` integer,
	`finished_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `tasks_check_name_uq` ON `tasks` (`check_id`,`generation`,`name`);--> statement-breakpoint
CREATE INDEX `tasks_ready_idx` ON `tasks` (`id`) WHERE state = 'queued';--> statement-breakpoint
CREATE INDEX `tasks_lease_idx` ON `tasks` (`lease_until`) WHERE state = 'running';