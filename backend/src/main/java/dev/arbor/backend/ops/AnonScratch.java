package dev.arbor.backend.ops;

import dev.arbor.backend.meta.AnonymizedBranches;
import dev.arbor.backend.meta.AnonymizedBranches.Scratch;
import dev.arbor.backend.meta.Branches.Branch;
import dev.arbor.backend.meta.Databases;
import dev.arbor.backend.meta.Db;
import dev.arbor.backend.meta.Projects;
import dev.arbor.backend.meta.Roles;
import dev.arbor.storage.BranchPoint;
import dev.arbor.storage.TimelineId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;

/**
 * The private endpoints and scratch timelines of anonymization work (the job, a masking-rules check).
 * Each is recorded in {@code anon_scratch} before it is started (an endpoint) or right after it is created
 * (a scratch timeline), and the record goes only once it is gone. So what a crash leaves behind (an endpoint
 * directory, a copy-on-write child of the source) is found again: the resumed job releases its own, and the
 * server releases all of them at start, before any operation resumes.
 */
public final class AnonScratch {
    private static final Logger log = LoggerFactory.getLogger(AnonScratch.class);
    private final Db db;
    private final BranchStorage storage;
    private final ComputeControl compute;

    public AnonScratch(Db db, BranchStorage storage, ComputeControl compute) {
        this.db = db;
        this.storage = storage;
        this.compute = compute;
    }

    /** Records {@code endpointId}; call before its endpoint starts. */
    void register(String endpointId) {
        db.tx(c -> { AnonymizedBranches.addScratch(c, endpointId); return null; });
    }

    /** A copy-on-write child of {@code parent}'s head, recorded as {@code endpointId}'s scratch timeline. */
    TimelineId createTimeline(String endpointId, String projectId, TimelineId parent) {
        register(endpointId);
        try {
            compute.flushWal(parent);  // the source's newest commits (its postgres' WAL reaches the store a few ms late)
        } catch (Exception e) {
            throw new IllegalStateException("copying the WAL of timeline " + parent + " into the store: " + e.getMessage(), e);
        }
        TimelineId tl = storage.createBranch(projectId, endpointId, parent, BranchPoint.head()).timeline();
        // a crash between the two lines leaks the timeline: the store has no labels to find it by
        db.tx(c -> { AnonymizedBranches.setScratchTimeline(c, endpointId, tl.value()); return null; });
        return tl;
    }

    /** Deletes the endpoint's directory and its scratch timeline (if any), then forgets them. Idempotent. */
    void release(String endpointId) throws Exception {
        var row = db.tx(c -> AnonymizedBranches.scratch(c).stream().filter(s -> s.endpointId().equals(endpointId)).findFirst());
        compute.delete(spec(endpointId));
        if (row.isPresent()) {
            row.get().timelineId().ifPresent(t -> storage.delete(new TimelineId(t)));
            db.tx(c -> { AnonymizedBranches.removeScratch(c, endpointId); return null; });
        }
    }

    /** Server start: releases everything the previous run left; nothing of it is in use yet. */
    public int releaseAll() {
        List<Scratch> left = db.tx(AnonymizedBranches::scratch);
        int n = 0;
        for (Scratch s : left) {
            try {
                release(s.endpointId());
                n++;
            } catch (Exception e) {
                log.warn("could not release anonymization scratch {}: {}", s.endpointId(), e.toString());
            }
        }
        if (n > 0) log.info("released {} private endpoint(s)/scratch timeline(s) left by an interrupted anonymization", n);
        return n;
    }

    /**
     * A private read_write endpoint on {@code timeline} with {@code b}'s databases and roles, without passwords
     * (the job and the rules check connect as the superuser). Never suspends.
     */
    static EndpointSpec privateSpec(Connection c, Branch b, TimelineId timeline, String endpointId) throws SQLException {
        int pg = Projects.get(c, b.projectId()).map(Projects.Project::pgVersion).orElse(15);
        var roles = Roles.byBranch(c, b.id()).stream().map(r -> new EndpointSpec.RoleSpec(r.name(), null, r.noLogin())).toList();
        var dbs = Databases.byBranch(c, b.id()).stream().map(d -> new EndpointSpec.DatabaseSpec(d.name(), d.ownerName())).toList();
        return new EndpointSpec(b.projectId(), endpointId, b.id(), timeline, "read_write", pg, 0.25, 0.25, -1, Map.of(), roles, dbs);
    }

    /** {@link ComputeControl#delete} needs only the endpoint's id. */
    private static EndpointSpec spec(String endpointId) {
        return new EndpointSpec("", endpointId, "", new TimelineId("00000000000000000000000000000000"), "read_write", 15,
                0.25, 0.25, -1, Map.of(), List.of(), List.of());
    }
}
