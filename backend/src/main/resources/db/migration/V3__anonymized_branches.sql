-- Anonymized branches (issue 7): a schema-only branch filled by the masking engine from its source branch.
create table anonymized_branches (
    branch_id        text primary key references branches(id),
    project_id       text not null,
    source_branch_id text not null,
    state            text not null check (state in ('created', 'initialized', 'anonymizing', 'anonymized', 'error')),
    status_message   text not null default '',
    created_at       timestamptz not null,
    updated_at       timestamptz not null,
    failed_at        timestamptz,
    last_run         jsonb
);

-- One masking key per project (encrypted with the server secret): the same input masks to the same
-- output on every branch and rerun of a project, so joins across masked columns keep matching.
create table project_masking_keys (
    project_id  text primary key,
    key_enc     text not null,
    created_at  timestamptz not null
);
