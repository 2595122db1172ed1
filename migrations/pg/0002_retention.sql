CREATE TABLE "pruned_checks" (
	"id" text PRIMARY KEY NOT NULL,
	"verdict" text,
	"finished_at" bigint,
	"pruned_at" bigint NOT NULL
);
--> statement-breakpoint
CREATE INDEX "checks_finished_idx" ON "checks" USING btree ("finished_at");--> statement-breakpoint
CREATE INDEX "deliveries_received_idx" ON "deliveries" USING btree ("received_at");