CREATE TABLE `pruned_checks` (
	`id` text PRIMARY KEY NOT NULL,
	`verdict` text,
	`finished_at` integer,
	`pruned_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `checks_finished_idx` ON `checks` (`finished_at`);--> statement-breakpoint
CREATE INDEX `deliveries_received_idx` ON `deliveries` (`received_at`);