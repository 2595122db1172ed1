CREATE TABLE `check_leaks` (
	`check_id` text NOT NULL,
	`generation` integer NOT NULL,
	`scan` text NOT NULL,
	`project` text NOT NULL,
	`leak_key` text NOT NULL,
	`inherited` integer NOT NULL,
	PRIMARY KEY(`check_id`, `generation`, `scan`, `leak_key`)
);
--> statement-breakpoint
CREATE TABLE `coverage` (
	`project` text NOT NULL,
	`scan` text NOT NULL,
	`commit_sha` text NOT NULL,
	`check_id` text NOT NULL,
	`generation` integer NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`project`, `scan`, `commit_sha`)
);
--> statement-breakpoint
CREATE TABLE `leak_outputs` (
	`project` text NOT NULL,
	`scan` text NOT NULL,
	`leak_key` text NOT NULL,
	`output` text NOT NULL,
	`external_id` text NOT NULL,
	`url` text,
	`title` text,
	`severity` text,
	`open` integer NOT NULL,
	`state_at` integer NOT NULL,
	`refresh_error` text,
	`check_id` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`project`, `scan`, `leak_key`, `output`, `external_id`)
);
--> statement-breakpoint
CREATE TABLE `leaks` (
	`project` text NOT NULL,
	`scan` text NOT NULL,
	`leak_key` text NOT NULL,
	`kind` text NOT NULL,
	`commit_sha` text NOT NULL,
	`rule_id` text NOT NULL,
	`description` text NOT NULL,
	`file` text NOT NULL,
	`line` integer NOT NULL,
	`fingerprint` text NOT NULL,
	`novelty_key` text NOT NULL,
	`severity` text,
	`entry` text NOT NULL,
	`check_id` text NOT NULL,
	`generation` integer NOT NULL,
	`is_new` integer NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`project`, `scan`, `leak_key`)
);
--> statement-breakpoint
CREATE INDEX `leaks_commit_idx` ON `leaks` (`project`,`scan`,`commit_sha`);--> statement-breakpoint
CREATE TABLE `novelty` (
	`project` text NOT NULL,
	`novelty_key` text NOT NULL,
	`leak_key` text NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`project`, `novelty_key`)
);
