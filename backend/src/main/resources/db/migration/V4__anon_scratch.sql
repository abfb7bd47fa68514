-- Private resources an anonymization (or a masking-rules check) creates next to the branches: a private
-- endpoint (its directory under the compute dir) and, for the source side, a scratch copy-on-write timeline.
-- A row is written before / right after each is created and removed once it is gone, so the resources
-- a crash left behind are reclaimed when the job resumes or the server starts again.
create table anon_scratch (
    endpoint_id  text primary key,
    timeline_id  text,
    created_at   timestamptz not null
);
