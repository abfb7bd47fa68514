package dev.arbor.backend.api;

import dev.arbor.backend.meta.Branches;
import dev.arbor.backend.meta.Branches.Branch;
import dev.arbor.backend.ops.PageStoreBranchStorage;
import dev.arbor.storage.TimelineId;
import dev.arbor.storage.Usage;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.List;
import java.util.function.Consumer;

/**
 * {@code GET /projects/{id}/consumption}: storage usage per branch, straight from the page store.
 * {@code logical_size}: bytes the branch's files present; {@code written_data_bytes}: bytes ever written to
 * its timeline; {@code physical_size_unique_bytes}: bytes of layers and logs only this branch owns (what
 * deleting it would free; data shared with its parent is counted on the parent); {@code active_time_seconds}:
 * seconds its endpoints were active, deleted endpoints and the running interval included;
 * {@code compute_time_seconds}: the same in compute-unit seconds.
 */
public final class ConsumptionApi implements Consumer<Routes> {
    private final Control ctl;

    public ConsumptionApi(Control ctl) { this.ctl = ctl; }

    @Override
    public void accept(Routes r) {
        r.get("/projects/:project_id/consumption", this::consumption);
    }

    private Reply consumption(Req req) {
        String projectId = req.project();
        List<Branch> branches = ctl.db().tx(c -> {
            Control.project(c, projectId);
            return Branches.all(c, projectId);
        });
        JsonArray out = new JsonArray();
        long logical = 0, written = 0, physical = 0;
        double active = 0, compute = 0;
        for (Branch b : branches) {
            JsonObject o = new JsonObject().put("branch_id", b.id()).put("name", b.name())
                    .put("active_time_seconds", (long) b.computeTime().activeSeconds())
                    .put("compute_time_seconds", (long) b.computeTime().computeSeconds());
            active += b.computeTime().activeSeconds();
            compute += b.computeTime().computeSeconds();
            Usage u = b.timelineId().map(t -> usage(new TimelineId(t))).orElse(null);
            if (u != null) {
                o.put("logical_size", u.logicalSize()).put("written_data_bytes", u.writtenBytes())
                        .put("physical_size_unique_bytes", u.physicalBytes());
                logical += u.logicalSize();
                written += u.writtenBytes();
                physical += u.physicalBytes();
            }
            out.add(o);
        }
        return Reply.ok(new JsonObject().put("project_id", projectId).put("branches", out)
                .put("totals", new JsonObject().put("logical_size", logical).put("written_data_bytes", written)
                        .put("physical_size_bytes", physical).put("active_time_seconds", (long) active)
                        .put("compute_time_seconds", (long) compute)));
    }

    private Usage usage(TimelineId t) {
        if (!(ctl.storage() instanceof PageStoreBranchStorage ps)) return null;
        try {
            return ps.store().usage(t);
        } catch (RuntimeException e) {  // a timeline being created or dropped right now: no figures for it
            return null;
        }
    }
}
