-- Terraform `http` state backend (dev.arbor.backend.iac): named states per project, every stored
-- version kept (up to a retention count), and the current lock holder's LockInfo.

create table terraform_states (
    project_id    text not null references projects(id),
    name          text not null,
    lock_id       text,                           -- Terraform's LockInfo.ID while locked, else null
    lock_info     text,                           -- the holder's LockInfo JSON exactly as sent (returned on conflicts)
    locked_at     timestamptz,
    created_at    timestamptz not null default now(),
    updated_at    timestamptz not null default now(),
    primary key (project_id, name)
);

create table terraform_state_versions (
    project_id    text not null,
    name          text not null,
    version       int not null,                   -- 1, 2, … per state; Terraform's own serial is kept apart
    serial        bigint,
    lineage       text,
    md5           text not null,                  -- hex MD5 of body
    size_bytes    int not null,
    body          bytea not null,
    created_by_key bigint,
    created_at    timestamptz not null default now(),
    primary key (project_id, name, version),
    foreign key (project_id, name) references terraform_states(project_id, name) on delete cascade
);
