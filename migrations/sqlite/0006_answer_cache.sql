ALTER TABLE `checks` ADD `rev` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX `check_leaks_leak_idx` ON `check_leaks` (`project`,`scan`,`leak_key`);--> statement-breakpoint
CREATE INDEX `leak_outputs_external_idx` ON `leak_outputs` (`output`,`external_id`);