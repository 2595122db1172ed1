DROP INDEX "tasks_ready_idx";--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "fair_key" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "fair_tag" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX "tasks_fair_key_idx" ON "tasks" USING btree ("fair_key","fair_tag") WHERE state IN ('queued', 'blocked');--> statement-breakpoint
CREATE INDEX "tasks_ready_idx" ON "tasks" USING btree ("fair_tag","id") WHERE state = 'queued';