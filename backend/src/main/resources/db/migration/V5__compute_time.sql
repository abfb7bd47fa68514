-- Compute time per branch (Neon's active_time_seconds and compute_time_seconds). An endpoint's interval in
-- state 'active' is added to its branch when it ends: the endpoint goes idle (suspend, auto-suspend, stop),
-- is deleted, or is started again (a new started_at). The interval still running is added when read.
-- Both ends are the server's clock (started_at, updated_at), so the total never depends on this database's.
alter table branches add column active_time_seconds double precision not null default 0;
alter table branches add column compute_time_seconds double precision not null default 0;

create function arbor_endpoint_active_interval() returns trigger language plpgsql as $$
declare
    ended timestamptz;
begin
    if old.current_state <> 'active' or old.started_at is null or old.deleted_at is not null then
        return null;
    end if;
    if new.current_state <> 'active' or new.deleted_at is not null then
        ended := coalesce(new.deleted_at, new.updated_at);
    elsif new.started_at is distinct from old.started_at then
        ended := new.started_at;
    end if;
    if ended is not null and ended > old.started_at then
        -- compute time is CU-seconds: a fixed-size endpoint runs at its minimum size
        update branches set active_time_seconds = active_time_seconds + extract(epoch from ended - old.started_at),
               compute_time_seconds = compute_time_seconds + extract(epoch from ended - old.started_at) * old.min_cu
         where id = old.branch_id;
    end if;
    return null;
end $$;

create trigger endpoints_active_interval after update on endpoints
    for each row execute function arbor_endpoint_active_interval();
