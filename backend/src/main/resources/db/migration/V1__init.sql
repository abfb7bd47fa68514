-- Arbor metadata, version 1. Times are timestamptz; soft-deleted rows keep deleted_at.

create table api_keys (
    id            bigserial primary key,
    name          text not null,
    key_hash      bytea not null unique,          -- sha256 of the key; the key itself is never stored
    project_id    text,                           -- null: an org/admin key; else scoped to that project
    created_by    text not null,
    created_at    timestamptz not null default now(),
    last_used_at  timestamptz,
    last_used_from_addr text,
    revoked_at    timestamptz,
    rate_limit_per_second double precision      -- null: the server default
);

create table projects (
    seq           bigserial not null unique,
    id            text primary key,
    name          text not null,
    region_id     text not null,
    pg_version    int not null,
    org_id        text,
    history_retention_seconds int not null,
    store_passwords boolean not null default true,
    settings      jsonb not null default '{}',
    default_endpoint_settings jsonb not null default '{}',
    created_at    timestamptz not null,
    updated_at    timestamptz not null,
    deleted_at    timestamptz
);

create table branches (
    seq           bigserial not null unique,
    id            text primary key,
    project_id    text not null references projects(id),
    name          text not null,
    parent_id     text references branches(id),
    parent_lsn    text,
    parent_timestamp timestamptz,
    timeline_id   text,                           -- the page-store timeline; null until create_timeline ran
    current_state text not null,
    pending_state text,
    state_changed_at timestamptz not null,
    is_default    boolean not null default false,
    protected     boolean not null default false,
    init_source   text not null default 'parent-data',
    expires_at    timestamptz,
    last_reset_at timestamptz,
    logical_size  bigint,
    annotation    jsonb not null default '{}',
    created_at    timestamptz not null,
    updated_at    timestamptz not null,
    deleted_at    timestamptz
);
create unique index branches_live_name on branches(project_id, name) where deleted_at is null;
create unique index branches_live_default on branches(project_id) where is_default and deleted_at is null;
create index branches_parent on branches(parent_id) where deleted_at is null;
create index branches_project on branches(project_id, created_at, id) where deleted_at is null;

create table endpoints (
    seq           bigserial not null unique,
    id            text primary key,
    project_id    text not null references projects(id),
    branch_id     text not null references branches(id),
    type          text not null,
    current_state text not null,
    pending_state text,
    min_cu        double precision not null,
    max_cu        double precision not null,
    suspend_timeout_seconds int not null,
    settings      jsonb not null default '{}',
    disabled      boolean not null default false,
    passwordless_access boolean not null default false,
    name          text,
    provisioner   text not null,
    created_at    timestamptz not null,
    updated_at    timestamptz not null,
    started_at    timestamptz,
    suspended_at  timestamptz,
    last_active   timestamptz,
    deleted_at    timestamptz
);
create unique index endpoints_one_rw on endpoints(branch_id) where type = 'read_write' and deleted_at is null;
create index endpoints_project on endpoints(project_id) where deleted_at is null;

create table roles (
    branch_id     text not null references branches(id),
    name          text not null,
    password_enc  text,                           -- AES-GCM with the server's secret key
    protected     boolean not null default false,
    no_login      boolean not null default false,
    created_at    timestamptz not null,
    updated_at    timestamptz not null,
    primary key (branch_id, name)
);

create table databases (
    id            bigserial primary key,
    branch_id     text not null references branches(id),
    name          text not null,
    owner_name    text not null,
    created_at    timestamptz not null,
    updated_at    timestamptz not null,
    unique (branch_id, name)
);

create table operations (
    seq           bigserial not null unique,
    id            uuid primary key,
    project_id    text not null references projects(id),
    branch_id     text,
    endpoint_id   text,
    action        text not null,
    status        text not null,
    failures_count int not null default 0,
    error         text,
    depends_on    uuid references operations(id),
    params        jsonb not null default '{}',
    created_at    timestamptz not null,
    updated_at    timestamptz not null,
    total_duration_ms bigint not null default 0,
    retry_at      timestamptz
);
create index operations_project on operations(project_id, seq);
create index operations_unfinished on operations(seq) where status in ('scheduling', 'running');
create index operations_branch_unfinished on operations(branch_id) where status in ('scheduling', 'running');

create table masking_rules (
    branch_id     text not null references branches(id),
    position      int not null,
    database_name text not null,
    schema_name   text not null,
    table_name    text not null,
    column_name   text not null,
    masking_function text,
    masking_value text,
    primary key (branch_id, position)
);
