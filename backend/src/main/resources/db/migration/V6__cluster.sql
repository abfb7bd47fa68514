-- Several backend nodes on one metadata database (docs/scale-out.md). Each project (its timelines, endpoints
-- and operations) is served by one node at a time, like a Neon tenant attached to one pageserver: the node
-- holding its lease row. A lease is renewed every ttl/3; once expires_at has passed any node may take it,
-- bumping generation. Times are this database's clock (now()), so nodes' clocks never have to agree.
create table nodes (
    node_id      text primary key,
    api_url      text not null,
    proxy_host   text not null,
    proxy_port   integer not null,
    started_at   timestamptz not null default now(),
    heartbeat_at timestamptz not null default now()
);

create table project_leases (
    project_id text primary key,
    node_id    text not null,
    generation bigint not null,
    expires_at timestamptz not null
);
create index project_leases_node on project_leases (node_id);
