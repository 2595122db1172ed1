CREATE TABLE `revisions` (
	`name` text PRIMARY KEY NOT NULL,
	`rev` integer NOT NULL
);
--> statement-breakpoint
ALTER TABLE `checks` ADD `rev` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `tasks` ADD `rev` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX `tasks_rev_idx` ON `tasks` (`check_id`,`generation`,`rev`);--> statement-breakpoint
CREATE INDEX `leak_outputs_external_idx` ON `leak_outputs` (`output`,`external_id`);