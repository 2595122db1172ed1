CREATE TABLE "check_merge_requests" (
	"check_id" text NOT NULL,
	"project_id" bigint NOT NULL,
	"mr_iid" bigint NOT NULL,
	"state" text NOT NULL,
	"created_at" bigint NOT NULL,
	"updated_at" bigint NOT NULL,
	CONSTRAINT "check_merge_requests_check_id_project_id_mr_iid_pk" PRIMARY KEY("check_id","project_id","mr_iid")
);
--> statement-breakpoint
CREATE TABLE "leases" (
	"name" text PRIMARY KEY NOT NULL,
	"owner" text NOT NULL,
	"until" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "mr_notes" (
	"notifier" text NOT NULL,
	"host" text NOT NULL,
	"project_id" bigint NOT NULL,
	"mr_iid" bigint NOT NULL,
	"note_id" bigint NOT NULL,
	"body_hash" text NOT NULL,
	"check_id" text NOT NULL,
	"updated_at" bigint NOT NULL,
	CONSTRAINT "mr_notes_notifier_host_project_id_mr_iid_pk" PRIMARY KEY("notifier","host","project_id","mr_iid")
);
--> statement-breakpoint
CREATE TABLE "publications" (
	"check_id" text NOT NULL,
	"notifier" text NOT NULL,
	"dirty" integer NOT NULL,
	"due_at" bigint,
	"lease_owner" text,
	"lease_until" bigint,
	"attempts" integer NOT NULL,
	"last_error" text,
	"state_key" text,
	"created_at" bigint NOT NULL,
	"updated_at" bigint NOT NULL,
	CONSTRAINT "publications_check_id_notifier_pk" PRIMARY KEY("check_id","notifier")
);
--> statement-breakpoint
CREATE TABLE "published_statuses" (
	"check_id" text NOT NULL,
	"notifier" text NOT NULL,
	"target" text NOT NULL,
	"name" text NOT NULL,
	"state" text NOT NULL,
	"description" text NOT NULL,
	"pipeline_id" bigint,
	"updated_at" bigint NOT NULL,
	CONSTRAINT "published_statuses_check_id_notifier_target_pk" PRIMARY KEY("check_id","notifier","target")
);
--> statement-breakpoint
CREATE INDEX "publications_due_idx" ON "publications" USING btree ("due_at");