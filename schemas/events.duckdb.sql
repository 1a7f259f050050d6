CREATE TABLE events (
    "event_id" VARCHAR NOT NULL,
    "user_id" VARCHAR NOT NULL,
    "event_type" VARCHAR NOT NULL,
    "timestamp" TIMESTAMPTZ NOT NULL,
    "device" STRUCT("type" VARCHAR, "os" VARCHAR, "os_version" VARCHAR, "app_version" VARCHAR, "model" VARCHAR) NOT NULL,
    "location" STRUCT("country" VARCHAR, "city" VARCHAR, "region" VARCHAR, "timezone" VARCHAR) NOT NULL,
    "content" STRUCT("id" VARCHAR, "title" VARCHAR, "type" VARCHAR, "episode" INTEGER, "season" INTEGER, "provider" VARCHAR, "genre" VARCHAR, "release_year" INTEGER, "duration" INTEGER, "language" VARCHAR) NOT NULL,
    "user_subscription" STRUCT("plan" VARCHAR, "start_date" DATE, "billing_cycle" VARCHAR, "connected_services" VARCHAR[]) NOT NULL,
    "event_details" STRUCT("play_duration" INTEGER, "play_percentage" DOUBLE, "playback_quality" VARCHAR, "buffering_incidents" INTEGER, "playback_speed" DOUBLE, "paused" BOOLEAN, "completed" BOOLEAN, "network_type" VARCHAR, "bandwidth" VARCHAR),
    "user_action" STRUCT("action_type" VARCHAR, "timestamp" TIMESTAMPTZ, "duration" INTEGER, "completed" BOOLEAN, "old_quality" VARCHAR, "new_quality" VARCHAR, "old_speed" DOUBLE, "new_speed" DOUBLE)[] NOT NULL,
    "recommendations" STRUCT("content_id" VARCHAR, "position" INTEGER, "algorithm" VARCHAR, "clicked" BOOLEAN)[] NOT NULL,
    "search_history" STRUCT("search_id" VARCHAR, "timestamp" TIMESTAMPTZ, "query" VARCHAR, "results_count" INTEGER)[] NOT NULL
);
