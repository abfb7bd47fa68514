package dev.arbor.backend.ops;

import dev.arbor.storage.BranchPoint;
import dev.arbor.storage.Lsn;
import dev.arbor.storage.PageStore;
import dev.arbor.storage.StorageException;
import dev.arbor.storage.TimelineId;
import dev.arbor.storage.TimelineInfo;

import java.time.Duration;
import java.time.Instant;

/** Branches as timelines of the real {@link PageStore}: a branch is a metadata-only copy-on-write child. */
public final class PageStoreBranchStorage implements BranchStorage {
    private final PageStore store;

    public PageStoreBranchStorage(PageStore store) { this.store = store; }

    public PageStore store() { return store; }

    @Override
    public TimelineId createRoot(String projectId, String branchId, Duration historyRetention) {
        return store.createTimeline(historyRetention);
    }

    @Override
    public CreatedTimeline createBranch(String projectId, String branchId, TimelineId parent, BranchPoint point) {
        TimelineId id = store.branch(parent, point);
        TimelineInfo info = store.info(id);
        Instant when = point instanceof BranchPoint.AtTime t ? t.time() : Instant.now();
        return new CreatedTimeline(id, info.ancestorLsn(), when);
    }

    @Override
    public void checkBranchPoint(TimelineId parent, BranchPoint point) {
        TimelineInfo info = store.info(parent);
        switch (point) {
            case BranchPoint.Head h -> { }
            case BranchPoint.AtLsn a -> {
                Lsn lsn = a.lsn();
                if (lsn.isAfter(info.headLsn())) {
                    throw new StorageException.InvalidLsn("LSN " + lsn + " is after the parent's head " + info.headLsn());
                }
                if (lsn.isBefore(info.windowStartLsn())) {
                    throw new StorageException.InvalidLsn("LSN " + lsn + " is before the parent's history window (starts at "
                            + info.windowStartLsn() + ")");
                }
            }
            case BranchPoint.AtTime t -> {
                if (t.time().isBefore(info.windowStartTime())) {
                    throw new StorageException.InvalidLsn("time " + t.time() + " is before the parent's history window (starts at "
                            + info.windowStartTime() + ")");
                }
            }
        }
        resolve(parent, point);  // the store's own verdict (the messages above only word it for the API)
    }

    @Override
    public Lsn resolve(TimelineId timeline, BranchPoint point) {
        return store.resolve(timeline, point);
    }

    @Override
    public void delete(TimelineId timeline) {
        try {
            store.delete(timeline);
        } catch (StorageException.NotFound e) {
            // already gone: a re-run delete after a restart
        }
    }

    @Override
    public long logicalSize(TimelineId timeline) {
        try {
            return store.usage(timeline).logicalSize();
        } catch (RuntimeException e) {  // sizes are informational; never fail a step over one
            return -1;
        }
    }

    @Override
    public boolean healthy() {
        try {
            store.timelines();
            return true;
        } catch (RuntimeException e) {
            return false;
        }
    }
}
