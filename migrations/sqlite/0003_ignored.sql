CREATE TABLE `ignored_events` (
	`check_id` text PRIMARY KEY NOT NULL,
	`reason` text NOT NULL,
	`received_at` integer NOT NULL
);
