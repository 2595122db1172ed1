CREATE TABLE `check_merge_requests` (
	`check_id` text NOT NULL,
	`project_id` integer NOT NULL,
	`mr_iid` integer NOT NULL,
	`state` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`check_id`, `project_id`, `mr_iid`)
);
--> statement-breakpoint
CREATE TABLE `leases` (
	`name` text PRIMARY KEY NOT NULL,
	`owner` text NOT NULL,
	`until` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `mr_notes` (
	`notifier` text NOT NULL,
	`host` text NOT NULL,
	`project_id` integer NOT NULL,
	`mr_iid` integer NOT NULL,
	`note_id` integer NOT NULL,
	`body_hash` text NOT NULL,
	`check_id` text NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`notifier`, `host`, `project_id`, `mr_iid`)
);
--> statement-breakpoint
CREATE TABLE `publications` (
	`check_id` text NOT NULL,
	`notifier` text NOT NULL,
	`dirty` integer NOT NULL,
	`due_at` integer,
	`lease_owner` text,
	`lease_until` integer,
	`attempts` integer NOT NULL,
	`last_error` text,
	`state_key` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`check_id`, `notifier`)
);
--> statement-breakpoint
CREATE INDEX `publications_due_idx` ON `publications` (`due_at`);--> statement-breakpoint
CREATE TABLE `published_statuses` (
	`check_id` text NOT NULL,
	`notifier` text NOT NULL,
	`target` text NOT NULL,
	`name` text NOT NULL,
	`state` text NOT NULL,
	`description` text NOT NULL,
	`pipeline_id` integer,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`check_id`, `notifier`, `target`)
);
