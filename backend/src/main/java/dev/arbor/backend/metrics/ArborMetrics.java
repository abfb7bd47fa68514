package dev.arbor.backend.metrics;

import dev.arbor.backend.compute.ComputeManager;
import dev.arbor.backend.compute.WakeStats;
import dev.arbor.backend.compute.proxy.PgProxy;
import dev.arbor.backend.meta.Db;
import dev.arbor.backend.meta.Operation;
import dev.arbor.backend.meta.OperationStatus;
import dev.arbor.backend.ops.OperationListener;
import dev.arbor.storage.PageStore;
import dev.arbor.storage.StoreCounters;
import dev.arbor.storage.TimelineInfo;
import org.cryptomator.jfuse.api.FuseOperations;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.LongAdder;

/**
 * Every metric of one server, written in the Prometheus text format by {@link #scrape()}. Events (API
 * requests, settled operations) are recorded as they happen; state (endpoints, unfinished operations, store
 * bytes, GC and compaction totals, wake-ups, FUSE latency) is read at scrape time from where it lives, so
 * nothing has to be kept in sync. A scrape costs two small indexed metadata queries and a walk over the
 * store's timelines; if the metadata database is down those families are left empty and
 * {@code arbor_metadata_up} is 0, and the scrape still succeeds.
 */
public final class ArborMetrics implements OperationListener {
    private record ApiKey(String method, String route, int status) {}
    private record OpKey(String action, String status) {}

    private static final Duration METADATA_DEADLINE = Duration.ofSeconds(3);
    private static final Executor VIRTUAL = task -> Thread.ofVirtual().name("metrics-query").start(task);

    private final Db db;
    private final PageStore store;
    private volatile ComputeManager compute;
    private volatile PgProxy proxy;
    private final Instant started = Instant.now();
    private final ConcurrentHashMap<ApiKey, Histogram> api = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<OpKey, LongAdder> settled = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Histogram> opSeconds = new ConcurrentHashMap<>();

    public ArborMetrics(Db db, PageStore store) {
        this.db = db;
        this.store = store;
    }

    /** With real compute: wake-ups and FUSE latency come from its manager. */
    public void bindCompute(ComputeManager manager, PgProxy proxy) {
        this.compute = manager;
        this.proxy = proxy;
    }

    /** One finished API request; {@code route} is the route template (bounded cardinality), not the path. */
    public void request(String method, String route, int status, long nanos) {
        api.computeIfAbsent(new ApiKey(method, route, status), k -> new Histogram(Histogram.API_SECONDS)).recordNanos(nanos);
    }

    @Override
    public void settled(Operation op, OperationStatus status) {
        settled.computeIfAbsent(new OpKey(op.action().name(), status.name()), k -> new LongAdder()).increment();
        long nanos = Duration.between(op.createdAt(), Instant.now()).toNanos();
        opSeconds.computeIfAbsent(op.action().name(), k -> new Histogram(Histogram.SLOW_SECONDS)).recordNanos(nanos);
    }

    public String scrape() {
        Exposition e = new Exposition();
        apiFamilies(e);
        metadataFamilies(e);
        storeFamilies(e);
        computeFamilies(e);
        processFamilies(e);
        return e.toString();
    }

    private void apiFamilies(Exposition e) {
        e.family("arbor_http_request_duration_seconds", "histogram",
                "API requests by method, route template and status: latency from the first byte read to the response end");
        for (var en : sorted(api).entrySet()) {
            ApiKey k = en.getKey();
            e.histogram("arbor_http_request_duration_seconds", en.getValue().snapshot(),
                    "method", k.method(), "route", k.route(), "status", Integer.toString(k.status()));
        }
        e.family("arbor_operations_settled_total", "counter", "Operations the executor finished, by action and final status");
        for (var en : sorted(settled).entrySet()) {
            e.sample("arbor_operations_settled_total", en.getValue().sum(), "action", en.getKey().action(), "status", en.getKey().status());
        }
        e.family("arbor_operation_duration_seconds", "histogram", "Operations from creation to settling, by action");
        for (var en : new TreeMap<>(opSeconds).entrySet()) e.histogram("arbor_operation_duration_seconds", en.getValue().snapshot(), "action", en.getKey());
    }

    private static <K extends Record, V> Map<K, V> sorted(Map<K, V> m) {
        Map<K, V> out = new TreeMap<>((a, b) -> a.toString().compareTo(b.toString()));
        out.putAll(m);
        return out;
    }

    private record Row(String a, String b, long n) {}

    /** What a scrape reads from metadata: unfinished operations by action and status, endpoints by state. */
    private record MetaCounts(List<Row> ops, Map<String, Long> endpoints) {}

    private MetaCounts queryMetadata() {
        return db.tx(c -> {
            List<Row> ops = new ArrayList<>();
            Map<String, Long> endpoints = new TreeMap<>(Map.of("active", 0L, "suspended", 0L));
            try (var st = c.createStatement()) {
                st.setQueryTimeout(5);
                try (var rs = st.executeQuery("select action, status, count(*) from operations "
                        + "where status in ('scheduling', 'running') group by 1, 2 order by 1, 2")) {
                    while (rs.next()) ops.add(new Row(rs.getString(1), rs.getString(2), rs.getLong(3)));
                }
                try (var rs = st.executeQuery("select current_state, count(*) from endpoints where deleted_at is null group by 1")) {
                    // Neon calls a suspended endpoint 'idle'
                    while (rs.next()) endpoints.merge("idle".equals(rs.getString(1)) ? "suspended" : rs.getString(1), rs.getLong(2), Long::sum);
                }
            }
            return new MetaCounts(ops, endpoints);
        });
    }

    private void metadataFamilies(Exposition e) {
        // With the database gone the pool waits 20 s for a connection; a scrape must answer well within
        // Prometheus' 10 s timeout, so the queries get a deadline and the rest of the scrape goes on.
        var query = CompletableFuture.supplyAsync(this::queryMetadata, VIRTUAL);
        MetaCounts m;
        try {
            m = query.get(METADATA_DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException ex) {
            query.cancel(true);
            m = null;
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            m = null;
        }
        e.family("arbor_metadata_up", "gauge", "1 if the metadata database answered this scrape's queries");
        e.sample("arbor_metadata_up", m != null ? 1 : 0);
        e.family("arbor_operations_unfinished", "gauge", "Operations scheduling or running, by action and status (metadata)");
        e.family("arbor_endpoints", "gauge", "Endpoints by state (metadata): active, suspended (Neon's idle), init");
        if (m == null) return;
        for (Row r : m.ops()) e.sample("arbor_operations_unfinished", r.n(), "action", r.a(), "status", r.b());
        for (var en : m.endpoints().entrySet()) e.sample("arbor_endpoints", en.getValue(), "state", en.getKey());
    }

    private record TimelineBytes(String id, long physical, long written) {}

    private void storeFamilies(Exposition e) {
        List<TimelineInfo> timelines;
        int damaged;
        try {
            timelines = store.timelines();
            damaged = store.damaged().size();
        } catch (RuntimeException ex) {
            timelines = List.of();
            damaged = -1;
        }
        e.family("arbor_store_timelines", "gauge", "Servable timelines in the page store");
        e.sample("arbor_store_timelines", timelines.size());
        e.family("arbor_store_damaged_timelines", "gauge", "Timelines whose manifest or layers are damaged (not served)");
        if (damaged >= 0) e.sample("arbor_store_damaged_timelines", damaged);
        if (store.remote() != null) {
            e.family("arbor_remote_lag_bytes", "gauge", "Bytes written to this node's disk that the bucket does not hold yet");
            try {
                e.sample("arbor_remote_lag_bytes", store.remoteLagBytes());
            } catch (RuntimeException ignored) {
                // a store closing under the scrape: the sample is left out
            }
        }
        List<TimelineBytes> bytes = new ArrayList<>();
        for (TimelineInfo t : timelines) {
            try {
                var tl = store.timeline(t.id());
                bytes.add(new TimelineBytes(t.id().value(), tl.physicalBytes(), tl.writtenBytes()));
            } catch (RuntimeException gone) {
                // deleted between the listing and now
            }
        }
        e.family("arbor_store_timeline_physical_bytes", "gauge", "Bytes of layer and log files each timeline owns");
        for (TimelineBytes b : bytes) e.sample("arbor_store_timeline_physical_bytes", b.physical(), "timeline", b.id());
        e.family("arbor_store_timeline_written_bytes_total", "counter", "Bytes of values ever appended to each timeline");
        for (TimelineBytes b : bytes) e.sample("arbor_store_timeline_written_bytes_total", b.written(), "timeline", b.id());
        StoreCounters c = store.counters();
        e.family("arbor_store_gc_runs_total", "counter", "Garbage-collection passes over the store").sample("arbor_store_gc_runs_total", c.gcRuns());
        e.family("arbor_store_gc_removed_layers_total", "counter", "Layer files removed by GC").sample("arbor_store_gc_removed_layers_total", c.gcLayersRemoved());
        e.family("arbor_store_gc_removed_bytes_total", "counter", "Bytes of layer files removed by GC").sample("arbor_store_gc_removed_bytes_total", c.gcBytesRemoved());
        e.family("arbor_store_compaction_runs_total", "counter", "Compaction passes over a timeline").sample("arbor_store_compaction_runs_total", c.compactionRuns());
        e.family("arbor_store_image_layers_written_total", "counter", "Image layers written by compaction")
                .sample("arbor_store_image_layers_written_total", c.imageLayersWritten());
    }

    private void computeFamilies(Exposition e) {
        ComputeManager m = compute;
        WakeStats w = m == null ? null : m.wakeStats();
        e.family("arbor_endpoint_wakeups_total", "counter", "Client connections that found their endpoint suspended and woke it");
        e.family("arbor_endpoint_wakeup_failures_total", "counter", "Wake-ups that ended in an error");
        e.family("arbor_endpoint_wakeup_duration_seconds", "histogram", "How long a waking client waited for its endpoint to start");
        e.family("arbor_fuse_op_duration_seconds", "histogram", "FUSE callback latency by operation, over every endpoint's volume");
        e.family("arbor_proxy_connections_total", "counter", "Client connections the proxy handed to postgres, by what carries their"
                + " bytes: the kernel (local clients, eBPF socket redirect) or the proxy's own relay");
        PgProxy p = proxy;
        if (p != null) {
            e.sample("arbor_proxy_connections_total", p.bypassedConnections(), "data_path", "kernel");
            e.sample("arbor_proxy_connections_total", p.relayedConnections(), "data_path", "relay");
        }
        if (w == null) return;
        e.sample("arbor_endpoint_wakeups_total", w.wakeups().sum());
        e.sample("arbor_endpoint_wakeup_failures_total", w.failures().sum());
        e.histogram("arbor_endpoint_wakeup_duration_seconds", w.latency().snapshot());
        for (FuseOperations.Operation op : FuseOperations.Operation.values()) {
            Histogram h = m.fuseStats().of(op);
            if (h.count() > 0) e.histogram("arbor_fuse_op_duration_seconds", h.snapshot(), "op", op.name().toLowerCase(java.util.Locale.ROOT));
        }
    }

    private void processFamilies(Exposition e) {
        var mem = ManagementFactory.getMemoryMXBean();
        e.family("process_start_time_seconds", "gauge", "Start time of the server since the Unix epoch")
                .sample("process_start_time_seconds", started.getEpochSecond());
        e.family("jvm_memory_used_bytes", "gauge", "JVM memory in use")
                .sample("jvm_memory_used_bytes", mem.getHeapMemoryUsage().getUsed(), "area", "heap")
                .sample("jvm_memory_used_bytes", mem.getNonHeapMemoryUsage().getUsed(), "area", "nonheap");
        e.family("jvm_threads_live", "gauge", "Live platform threads").sample("jvm_threads_live", ManagementFactory.getThreadMXBean().getThreadCount());
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.UnixOperatingSystemMXBean os) {
            e.family("process_cpu_seconds_total", "counter", "CPU time used by the server process")
                    .sample("process_cpu_seconds_total", os.getProcessCpuTime() / 1e9);
            e.family("process_open_fds", "gauge", "Open file descriptors").sample("process_open_fds", os.getOpenFileDescriptorCount());
        }
    }
}
