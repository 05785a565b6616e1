-- Orleans provider tables: grain state, reminders, cluster membership (Dsdr's own schema).

CREATE TABLE orleans_grain_state (
    service_id  text        NOT NULL,
    state_name  text        NOT NULL,
    grain_id    text        NOT NULL,
    etag        bigint      NOT NULL,
    state       jsonb       NULL,          -- NULL after ClearState: the row stays so its etag keeps counting
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (service_id, state_name, grain_id)
);

CREATE TABLE orleans_reminders (
    service_id     text        NOT NULL,
    grain_id       text        NOT NULL,
    reminder_name  text        NOT NULL,
    grain_hash     bigint      NOT NULL,   -- GrainId.GetUniformHashCode(), a uint
    start_at       timestamptz NOT NULL,
    period_ticks   bigint      NOT NULL,
    etag           bigint      NOT NULL,
    PRIMARY KEY (service_id, grain_id, reminder_name)
);
CREATE INDEX orleans_reminders_by_hash ON orleans_reminders (service_id, grain_hash);

CREATE TABLE orleans_membership_version (
    cluster_id  text        PRIMARY KEY,
    version     integer     NOT NULL,
    etag        bigint      NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE orleans_membership (
    cluster_id     text        NOT NULL REFERENCES orleans_membership_version (cluster_id) ON DELETE CASCADE,
    silo_address   text        NOT NULL,   -- SiloAddress.ToParsableString(): ip:port@generation
    silo_name      text        NOT NULL,
    host_name      text        NOT NULL,
    status         integer     NOT NULL,   -- Orleans.Runtime.SiloStatus
    proxy_port     integer     NOT NULL,
    role_name      text        NULL,
    update_zone    integer     NOT NULL,
    fault_zone     integer     NOT NULL,
    suspect_times  jsonb       NULL,       -- [{"silo": "ip:port@gen", "at": "2026-…Z"}]
    start_time     timestamptz NOT NULL,
    iamalive_time  timestamptz NOT NULL,
    etag           bigint      NOT NULL,
    PRIMARY KEY (cluster_id, silo_address)
);
CREATE INDEX orleans_membership_gateways ON orleans_membership (cluster_id, status) WHERE proxy_port > 0;
