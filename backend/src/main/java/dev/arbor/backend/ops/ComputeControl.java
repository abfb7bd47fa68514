package dev.arbor.backend.ops;

/**
 * Runs endpoints: one vanilla PostgreSQL per endpoint over its branch's timeline. Implemented by
 * {@code dev.arbor.backend.compute}; every method is called from an operation step on a virtual
 * thread, may block, and must be idempotent (a step is re-run after a server restart).
 */
public interface ComputeControl extends AutoCloseable {
    /** False for {@link NoCompute}: start/suspend operations are then reported as skipped, never faked. */
    boolean available();

    /** Starts the endpoint (or confirms it runs) and returns once it accepts connections. */
    void start(EndpointSpec endpoint) throws Exception;

    /** Stops the endpoint's postgres; a stopped endpoint is fine. */
    void suspend(EndpointSpec endpoint) throws Exception;

    /** Stop then start, e.g. after its branch was restored onto a new timeline. */
    default void restart(EndpointSpec endpoint) throws Exception {
        suspend(endpoint);
        start(endpoint);
    }

    /** Makes a running endpoint match {@code endpoint}'s roles, databases and settings (it may start it). */
    void applyConfig(EndpointSpec endpoint) throws Exception;

    /**
     * Fills a new, empty root timeline (a project's first branch, a schema-only branch) with a fresh
     * cluster. Idempotent. Without compute a root timeline stays empty.
     */
    default void initTimeline(dev.arbor.storage.TimelineId timeline) throws Exception {}

    /**
     * Fills {@code target} (a read_write spec on a fresh root timeline) with the schema, and the roles it
     * needs, of {@code source} (a read_only spec on the parent's timeline); no rows. Both are private,
     * short-lived endpoints that are deleted afterwards. Idempotent for a target that has no schema yet.
     */
    default void copySchema(EndpointSpec source, EndpointSpec target) throws Exception {
        throw new UnsupportedOperationException("this compute cannot copy schemas");
    }

    /** Opens a superuser JDBC connection to one database of a private endpoint. */
    @FunctionalInterface
    interface SuperuserJdbc { java.sql.Connection connect(String database) throws java.sql.SQLException; }

    @FunctionalInterface
    interface JdbcWork { void run(SuperuserJdbc source, SuperuserJdbc target) throws Exception; }

    /**
     * Runs {@code work} with superuser JDBC access to two private read_write endpoints (an anonymization
     * copies {@code source} into {@code target}); both are deleted afterwards, and the one-off password is
     * removed from the target first.
     */
    default void withSuperuser(EndpointSpec source, EndpointSpec target, JdbcWork work) throws Exception {
        throw new UnsupportedOperationException("this compute cannot run anonymization jobs");
    }

    /**
     * Before a branch is taken at the head of {@code timeline}: running read_write endpoints on it write their
     * dirty pages out (CHECKPOINT). Otherwise the child starts as a crash image and its recovery replays, and
     * writes into the child's own layers, every page changed since the parent's last checkpoint (for a parent
     * that just bulk-loaded, the whole data set per branch). Then their WAL, which postgres writes on local disk and
     * the store receives within milliseconds, goes into the store ({@link #flushWal}), so the branch holds every
     * commit acknowledged before it was asked for.
     */
    default void checkpoint(dev.arbor.storage.TimelineId timeline) throws Exception {}

    /** Running read_write endpoints of {@code timeline} copy the WAL they wrote so far into the store, durably. */
    default void flushWal(dev.arbor.storage.TimelineId timeline) throws Exception {}

    /** Stops every compute of the project, including those the metadata does not list (time travel, private ones). */
    default void stopProject(String projectId) throws Exception {}

    /** Removes everything the endpoint left behind; called after {@link #suspend}. */
    void delete(EndpointSpec endpoint) throws Exception;

    @Override
    default void close() {}
}
