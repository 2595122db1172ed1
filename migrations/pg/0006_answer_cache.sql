CREATE TABLE "revisions" (
	"name" text PRIMARY KEY NOT NULL,
	"rev" integer NOT NULL
);
--> statement-breakpoint
ALTER TABLE "checks" ADD COLUMN "rev" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "rev" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX "leak_outputs_external_idx" ON "leak_outputs" USING btree ("output","external_id");