package dev.arbor.storage;

import dev.arbor.storage.fs.ReadOnlyView;
import dev.arbor.storage.fs.TimelineTree;
import dev.arbor.storage.layer.IoUtil;
import dev.arbor.storage.layer.LayerFile;
import dev.arbor.storage.layer.Manifest;
import dev.arbor.storage.remote.RemoteLayerConfig;
import dev.arbor.storage.remote.RemoteLayers;
import dev.arbor.storage.timeline.StoreContext;
import dev.arbor.storage.timeline.Timeline;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.*;
import java.util.concurrent.*;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Stream;

/**
 * The copy-on-write page store: a tree of timelines over one directory, modelled on Neon's pageserver.
 * <pre>
 * dir/timelines/&lt;id&gt;/manifest          ancestor, branch LSN, window, layer list (atomic, checksummed)
 *                    log-&lt;lsn&gt;          the open layer's durable log (one per frozen layer awaiting flush)
 *                    delta-&lt;lsn&gt;-&lt;lsn&gt;  immutable delta layers
 *                    image-&lt;lsn&gt;-&lt;id&gt;   immutable image layers
 * </pre>
 * One store-wide LSN counter orders every change. Structure changes (create, branch, delete, detach, GC)
 * are serialized by one lock, so GC never removes what a concurrently created branch point needs.
 */
public final class PageStore implements AutoCloseable {
    private final Path dir;
    private final Path timelinesDir;
    private final StoreConfig config;
    private final AtomicLong lsn = new AtomicLong();
    private final ConcurrentHashMap<TimelineId, Timeline> timelines = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<TimelineId, TimelineTree> heads = new ConcurrentHashMap<>();
    private final Set<TimelineId> deletedIds = ConcurrentHashMap.newKeySet();
    private final ReentrantLock treeLock = new ReentrantLock(true);  // fair: a GC loop must not starve branch creation
    private final ReentrantLock attachLock = new ReentrantLock();  // one attach or release at a time; downloads run outside treeLock
    private final ScheduledExecutorService background;
    private volatile long lastGcMillis;
    private final LongAdder gcRuns = new LongAdder(), gcLayers = new LongAdder(), gcBytes = new LongAdder();
    private final LongAdder compactions = new LongAdder(), images = new LongAdder();
    private volatile boolean closed;
    private final Context ctx = new Context();
    private final RemoteLayers remote;  // null: local disk only, exactly the embedded behaviour

    private final class Context implements StoreContext {
        @Override public long nextLsn() { return lsn.incrementAndGet(); }
        @Override public long currentLsn() { return lsn.get(); }
        @Override public StoreConfig config() { return config; }
        @Override public long nowMillis() { return config.clock().millis(); }
        @Override public void manifestWritten(Timeline t, Manifest m) {
            if (remote != null) remote.manifestWritten(t.id(), t.dir(), m);
        }
        @Override public void flushSoon(Timeline t) {
            if (background != null && !t.isDeleted() && t.frozenCount() <= 2) {  // else: backpressure, flush on the writer
                try {
                    background.execute(() -> safely(t::flushFrozen));
                    return;
                } catch (RejectedExecutionException ignored) { }
            }
            boolean interrupted = Thread.interrupted();  // an interrupt would close the new layer's channel
            try {
                t.flushFrozen();
            } finally {
                if (interrupted) Thread.currentThread().interrupt();
            }
        }
    }

    private PageStore(Path dir, StoreConfig config, RemoteLayerConfig remoteConfig) {
        this.dir = dir;
        this.timelinesDir = dir.resolve("timelines");
        this.config = config;
        this.remote = remoteConfig == null ? null : new RemoteLayers(remoteConfig, timelinesDir, this::localLayers);
        this.background = config.background() == null ? null : Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "pagestore-background");
            t.setDaemon(true);
            return t;
        });
    }

    /** Opens (creating if needed) the store in {@code dir} and recovers every timeline. */
    public static PageStore open(Path dir, StoreConfig config) {
        return open(dir, config, null);
    }

    /**
     * Opens the store with remote layer storage ({@code remote} null = local only): timelines in the bucket
     * that are not on local disk are downloaded (verified) first, so an empty directory serves any timeline
     * in the bucket. Layer files and manifests are uploaded after they are durable locally; local layer files
     * become a cache bounded by {@link RemoteLayerConfig#localCacheBytes()}.
     * <p>With {@link RemoteLayerConfig#attachOnOpen()} false (cluster mode) the store starts serving no
     * timeline: nothing is downloaded, recovered or uploaded, and local directories stay as a cache for
     * {@link #attach}; the node serves exactly the timelines it attaches (those whose lease it holds).
     */
    public static PageStore open(Path dir, StoreConfig config, RemoteLayerConfig remote) {
        PageStore s = new PageStore(dir, config == null ? StoreConfig.defaults() : config, remote);
        if (remote == null || remote.attachOnOpen()) s.recover();
        else s.createTimelinesDir();
        if (s.remote != null) {
            Map<TimelineId, Path> dirs = new HashMap<>();
            for (Timeline t : s.timelines.values()) if (!t.isBroken()) dirs.put(t.id(), t.dir());
            s.remote.start(dirs);
        }
        if (s.background != null) {
            long ms = Math.max(1, s.config.background().toMillis());
            s.background.scheduleWithFixedDelay(s::backgroundRound, ms, ms, TimeUnit.MILLISECONDS);
        }
        return s;
    }

    public static PageStore open(Path dir) { return open(dir, StoreConfig.defaults()); }

    private void createTimelinesDir() {
        try {
            Files.createDirectories(timelinesDir);
        } catch (IOException e) {
            throw IoUtil.io("mkdir " + timelinesDir, e);
        }
    }

    private void recover() {
        createTimelinesDir();
        Map<TimelineId, String> downloadFailures = remote == null ? Map.of() : remote.hydrate();
        Map<TimelineId, Path> dirs = new HashMap<>();
        try (Stream<Path> s = Files.list(timelinesDir)) {
            for (Path d : s.toList()) {
                String name = d.getFileName().toString();
                TimelineId id;
                try {
                    id = new TimelineId(name);
                } catch (IllegalArgumentException e) {
                    continue;  // not ours
                }
                if (!Manifest.exists(d)) {  // never finished being created, or half deleted
                    IoUtil.deleteTree(d);
                    continue;
                }
                dirs.put(id, d);
            }
        } catch (IOException e) {
            throw IoUtil.io("listing of " + timelinesDir, e);
        }
        timelines.putAll(load(dirs, downloadFailures));
    }

    /**
     * Recovers timelines from their directories (manifest, layers, log replay), raises the LSN counter above
     * them, links each to its ancestor (loaded here or already served) and flushes recovered frozen layers.
     * Damage (a failed download in {@code failures}, a bad manifest or layer, a missing ancestor, a cycle)
     * yields a broken timeline, reported on use. The result is not published yet.
     */
    private Map<TimelineId, Timeline> load(Map<TimelineId, Path> dirs, Map<TimelineId, String> failures) {
        Map<TimelineId, Timeline> loaded = new HashMap<>();
        Map<TimelineId, Manifest> manifests = new HashMap<>();
        long high = 0;
        for (var e : dirs.entrySet()) {
            TimelineId id = e.getKey();
            Path d = e.getValue();
            if (failures.containsKey(id)) {  // never served: its objects in the bucket are damaged
                loaded.put(id, Timeline.broken(ctx, d, id, null, failures.get(id)));
                continue;
            }
            try {
                Manifest m = Manifest.read(d);
                if (!m.id().equals(id)) throw new StorageException.Corruption("manifest in " + d + " names timeline " + m.id());
                manifests.put(id, m);
                high = Math.max(high, m.lsnHighWater());
            } catch (StorageException.Corruption ex) {
                loaded.put(id, Timeline.broken(ctx, d, id, null, ex.getMessage()));
            }
        }
        for (Manifest m : manifests.values()) {
            Path d = dirs.get(m.id());
            try {
                Timeline t = Timeline.recover(ctx, d, m);
                loaded.put(m.id(), t);
                high = Math.max(high, t.headLsn());
            } catch (StorageException.Corruption e) {
                loaded.put(m.id(), Timeline.broken(ctx, d, m.id(), m.ancestor(), e.getMessage()));
            }
        }
        lsn.accumulateAndGet(high, Math::max);  // LSNs are never reused, whichever node handed them out
        // Link ancestors; a missing ancestor or a cycle is damage, reported on use.
        for (Manifest m : manifests.values()) {
            Timeline t = loaded.get(m.id());
            if (t.isBroken() || m.ancestor() == null) continue;
            Timeline a = loaded.containsKey(m.ancestor()) ? loaded.get(m.ancestor()) : timelines.get(m.ancestor());
            if (a == null) {
                loaded.put(m.id(), Timeline.broken(ctx, t.dir(), m.id(), m.ancestor(),
                        "its ancestor " + m.ancestor() + " does not exist"));
                t.close();
                continue;
            }
            t.linkAncestor(a);
        }
        for (Timeline t : List.copyOf(loaded.values())) {
            Set<Timeline> seen = new HashSet<>();
            for (Timeline x = t; x != null && !x.isBroken(); x = x.ancestor()) {
                if (!seen.add(x)) {
                    loaded.put(t.id(), Timeline.broken(ctx, t.dir(), t.id(), null, "its ancestry has a cycle"));
                    break;
                }
            }
        }
        for (Timeline t : loaded.values()) if (!t.isBroken() && t.hasFrozen()) t.flushFrozen();
        return loaded;
    }

    // ---------------------------------------------------------------- cluster mode: attach and release

    /**
     * Makes this store serve {@code ids} (a project whose lease this node took), so that it alone writes
     * their objects in the bucket. For each id not served yet (a damaged one is tried again): with
     * {@code discardLocal}, or without a valid local manifest, the local directory is replaced by the
     * bucket's manifest and every layer it names (each verified, fsynced, renamed); else the local copy
     * (manifest, layers, logs: possibly a newer tail the bucket lacks) is recovered as at open, and only
     * layers evicted from it are downloaded. Ancestors must be in {@code ids} or already served, else the
     * timeline is reported broken ({@link #damaged()}). The LSN counter is raised above every attached
     * timeline, and each one's current manifest is queued for upload. Other timelines are served meanwhile.
     * <p>{@code discardLocal=false} is for the node that wrote last (e.g. after its own crash). A local copy
     * is still replaced when the bucket's manifest is not one this store uploaded for it (another node wrote
     * since); a copy without that record (written before it existed) is trusted.
     * @throws StorageException.NotFound (before anything changes) for ids neither in the bucket nor on disk
     * @throws IllegalStateException without remote storage
     */
    public void attach(Collection<TimelineId> ids, boolean discardLocal) {
        checkOpen();
        RemoteLayers r = requireRemote();
        attachLock.lock();
        try {
            List<TimelineId> todo = new ArrayList<>();
            for (TimelineId id : new LinkedHashSet<>(ids)) {
                Timeline t = timelines.get(id);
                if (t == null || t.isBroken()) todo.add(id);
            }
            if (todo.isEmpty()) return;
            Map<TimelineId, RemoteLayers.Listing> listings = new HashMap<>();
            Set<TimelineId> fromBucket = new HashSet<>();
            List<TimelineId> missing = new ArrayList<>();
            for (TimelineId id : todo) {
                RemoteLayers.Listing l = r.list(id);
                listings.put(id, l);
                if (discardLocal || !hasValidManifest(timelinesDir.resolve(id.value()), id)) {
                    fromBucket.add(id);
                    if (!l.hasManifest()) missing.add(id);
                }
            }
            if (!missing.isEmpty())
                throw new StorageException.NotFound("timelines " + missing + " are neither in " + r.storage().describe()
                        + " nor on the local disk of " + dir);
            // Nothing serves them yet: the downloads run without treeLock, other timelines are served meanwhile.
            Map<TimelineId, Path> dirs = new HashMap<>();
            Map<TimelineId, String> failures = new HashMap<>();
            for (TimelineId id : todo) {
                Path d = timelinesDir.resolve(id.value());
                dirs.put(id, d);
                String failure = r.attach(id, d, listings.get(id), fromBucket.contains(id));
                if (failure != null) failures.put(id, failure);
            }
            treeLock.lock();
            try {
                checkOpen();
                Map<TimelineId, Timeline> loaded = load(dirs, failures);
                // Queued before anyone can write them, so a newer manifest is never overtaken by this one.
                for (Timeline t : loaded.values())
                    if (!t.isBroken()) r.manifestWritten(t.id(), t.dir(), Manifest.read(t.dir()));
                deletedIds.removeAll(loaded.keySet());
                timelines.putAll(loaded);
            } finally {
                treeLock.unlock();
            }
        } finally {
            attachLock.unlock();
        }
    }

    private static boolean hasValidManifest(Path d, TimelineId id) {
        if (!Manifest.exists(d)) return false;
        try {
            return Manifest.read(d).id().equals(id);
        } catch (StorageException e) {
            return false;
        }
    }

    /**
     * Stops serving {@code ids} here without touching the bucket beyond finishing their uploads (the lease
     * passes to another node): writes are refused from now on, open layers are frozen and flushed, their
     * uploads awaited (at most {@code timeout}), then they are closed and their local directories deleted.
     * Unknown ids are ignored; a released id can be attached again.
     * @throws StorageException.Conflict (before anything changes) if a served timeline outside {@code ids}
     *         branches from one inside: a project is released whole
     * @throws StorageException if the flush or uploads did not complete in time: the timelines are released
     *         anyway (their queued uploads dropped) but their local directories are kept
     */
    public void release(Collection<TimelineId> ids, Duration timeout) {
        checkOpen();
        RemoteLayers r = requireRemote();
        attachLock.lock();
        try {
            Set<TimelineId> set = new HashSet<>(ids);
            List<Timeline> gone = new ArrayList<>();
            treeLock.lock();
            try {
                for (Timeline t : timelines.values())
                    if (!t.isBroken() && !set.contains(t.id()) && t.ancestorId() != null && set.contains(t.ancestorId()))
                        throw new StorageException.Conflict("timeline " + t.id() + " branches from " + t.ancestorId()
                                + ", which is being released; release them together");
                for (TimelineId id : set) {
                    Timeline t = timelines.remove(id);
                    if (t == null) continue;
                    heads.remove(id);
                    t.release();
                    if (t.ancestor() != null) t.ancestor().children().remove(t);
                    gone.add(t);
                }
            } finally {
                treeLock.unlock();
            }
            if (gone.isEmpty()) return;
            List<TimelineId> goneIds = gone.stream().map(Timeline::id).toList();
            StorageException failure = null;
            try {
                for (Timeline t : gone) t.flushFrozen();
                r.awaitUploads(goneIds, timeout);
            } catch (StorageException e) {
                failure = e;
            }
            r.release(goneIds);
            for (Timeline t : gone) if (!t.isBroken()) t.close();
            if (failure != null)
                throw new StorageException("released timelines " + goneIds + " before all their data reached "
                        + r.storage().describe() + "; their local directories under " + timelinesDir + " are kept: "
                        + failure.getMessage(), failure);
            for (Timeline t : gone) IoUtil.deleteTree(t.dir());
            IoUtil.fsyncDir(timelinesDir);
        } finally {
            attachLock.unlock();
        }
    }

    /**
     * Bounds what exists only on this node's disk: every served timeline with appended records not in a
     * layer yet is frozen and flushed (on the background thread when there is one, else right here), so its
     * data is queued for upload. Returns without waiting; {@code remote().awaitUploads} waits for it all.
     * No-op without remote storage.
     */
    public void uploadSoon() {
        checkOpen();
        if (remote == null) return;
        for (Timeline t : timelines.values()) {
            if (t.isBroken() || t.isDeleted() || t.unflushedBytes() == 0) continue;
            try {
                t.freeze();
            } catch (StorageException e) {
                continue;  // released or deleted meanwhile
            }
            remote.workStarted(t.id());  // awaitUploads covers the flush and the upload it queues
            Runnable flush = () -> {
                try {
                    safely(t::flushFrozen);
                } finally {
                    remote.workDone(t.id());
                }
            };
            if (background != null) {
                try {
                    background.execute(flush);
                    continue;
                } catch (RejectedExecutionException ignored) { }
            }
            flush.run();
        }
    }

    /**
     * Bytes written here that the bucket does not hold yet: open and frozen layers of served timelines plus
     * manifests and layers queued for upload. Approximate while writes and uploads run; 0 without remote storage.
     */
    public long remoteLagBytes() {
        if (remote == null) return 0;
        long b = remote.pendingBytes();
        for (Timeline t : timelines.values()) if (!t.isBroken() && !t.isDeleted()) b += t.unflushedBytes();
        return b;
    }

    // ---------------------------------------------------------------- timelines

    /** A new, empty root timeline containing "/". Durable when it returns. */
    public TimelineId createTimeline(Duration historyWindow) {
        checkOpen();
        Duration w = historyWindow == null ? config.defaultHistoryWindow() : historyWindow;
        if (w.isNegative()) throw new IllegalArgumentException("history window must be >= 0");
        treeLock.lock();
        try {
            TimelineId id = TimelineId.generate();
            Path d = timelinesDir.resolve(id.value());
            long now = ctx.nowMillis();
            Timeline t = Timeline.create(ctx, d, id, null, 0, w.toMillis(), now);
            TimelineTree.initRoot(t, now);
            t.sync();
            t.persist();  // the manifest is what makes it exist
            IoUtil.fsyncDir(timelinesDir);
            timelines.put(id, t);
            return id;
        } finally {
            treeLock.unlock();
        }
    }

    public TimelineId createTimeline() { return createTimeline(null); }

    /**
     * A new timeline starting at {@code at} on {@code parent}: metadata only (one durable manifest
     * write, plus an fsync of the parent's log if the branch point is not yet durable). The LSN is
     * resolved and pinned under the same lock GC takes, so GC cannot remove what it needs.
     */
    public TimelineId branch(TimelineId parent, BranchPoint at) {
        checkOpen();
        Objects.requireNonNull(at, "branch point");
        treeLock.lock();
        try {
            Timeline p = timeline(parent);
            long now = ctx.nowMillis();
            long branchLsn = resolve(p, at, now);
            p.sync();  // the branch point must survive a crash along with the child
            TimelineId id = TimelineId.generate();
            Timeline c = Timeline.create(ctx, timelinesDir.resolve(id.value()), id, p, branchLsn, p.historyWindowMillis(), now);
            c.persist();
            IoUtil.fsyncDir(timelinesDir);  // the new directory's name
            p.children().add(c);
            timelines.put(id, c);
            return id;
        } finally {
            treeLock.unlock();
        }
    }

    /**
     * The one resolver of a branch point: the head, an LSN, or a time (the newest LSN at or before it) on the
     * timeline becomes the store LSN it denotes, inside [history window start, head]. Branch creation and
     * time-travel computes ({@link #branch}) and the control plane's checks of requested points all use it.
     * @throws StorageException.InvalidLsn before the window, after the head, or a time in the future
     */
    public Lsn resolve(TimelineId id, BranchPoint at) {
        checkOpen();
        Objects.requireNonNull(at, "branch point");
        return Lsn.of(resolve(timeline(id), at, ctx.nowMillis()));
    }

    private static long resolve(Timeline t, BranchPoint at, long now) {
        return switch (at) {
            case BranchPoint.Head h -> t.headLsn();
            case BranchPoint.AtLsn a -> {
                t.checkReadable(a.lsn().value());
                yield a.lsn().value();
            }
            case BranchPoint.AtTime x -> t.lsnAt(x.time().toEpochMilli(), now);
        };
    }

    /** Deletes a timeline and its files. @throws StorageException.Conflict if it has children */
    public void delete(TimelineId id) {
        checkOpen();
        treeLock.lock();
        try {
            Timeline t = timelines.get(id);
            if (t == null) throw notFound(id);
            List<TimelineId> kids = timelines.values().stream()
                    .filter(x -> x != t && (x.ancestor() == t || id.equals(x.ancestorId()))).map(Timeline::id).toList();
            if (!kids.isEmpty()) throw new StorageException.Conflict("timeline " + id + " has children " + kids + "; delete them first");
            t.markDeleted();
            heads.remove(id);
            try {
                Files.deleteIfExists(t.dir().resolve(Manifest.FILE));  // gone from here on, even if the rest is interrupted
            } catch (IOException e) {
                throw IoUtil.io("delete of manifest of " + id, e);
            }
            IoUtil.fsyncDir(t.dir());
            IoUtil.deleteTree(t.dir());
            IoUtil.fsyncDir(timelinesDir);
            timelines.remove(id);
            deletedIds.add(id);
            if (remote != null) remote.timelineDeleted(id);
        } finally {
            treeLock.unlock();
        }
    }

    /**
     * Materializes the timeline's view into an image layer and drops its ancestry and older history: it
     * becomes a root and nothing of its former ancestors is reachable from it.
     * @throws StorageException.Conflict if it has children (they need the history being dropped)
     */
    public void detach(TimelineId id) {
        checkOpen();
        treeLock.lock();
        try {
            Timeline t = timeline(id);
            if (!t.children().isEmpty())
                throw new StorageException.Conflict("timeline " + id + " has children; their branch points need the history detach drops");
            t.detach();
        } finally {
            treeLock.unlock();
        }
    }

    /** The writable tree at the head (one shared instance per timeline). */
    public FileTree fileTree(TimelineId id) {
        return headTree(id);
    }

    /** A read-only tree at a past LSN. @throws StorageException.InvalidLsn outside [window start, head] */
    public FileTree fileTree(TimelineId id, Lsn at) {
        checkOpen();
        return TimelineTree.atLsn(timeline(id), at.value());
    }

    /** A read-only view of the moving head. */
    public FileTree readOnlyTree(TimelineId id) {
        return new ReadOnlyView(headTree(id));
    }

    private TimelineTree headTree(TimelineId id) {
        checkOpen();
        Timeline t = timeline(id);
        return heads.computeIfAbsent(id, k -> TimelineTree.atHead(t));
    }

    /** Newest LSN at or before {@code t} on the timeline. @throws StorageException.InvalidLsn outside the window */
    public Lsn lsnAt(TimelineId id, Instant t) {
        checkOpen();
        return Lsn.of(timeline(id).lsnAt(t.toEpochMilli(), ctx.nowMillis()));
    }

    public TimelineInfo info(TimelineId id) {
        checkOpen();
        return info(timeline(id));
    }

    private TimelineInfo info(Timeline t) {
        long now = ctx.nowMillis();
        Timeline a = t.ancestor();
        return new TimelineInfo(t.id(), a == null ? null : a.id(), a == null ? null : Lsn.of(t.ancestorLsn()), t.head(),
                Instant.ofEpochMilli(t.createdAtMillis()), Duration.ofMillis(t.historyWindowMillis()),
                Lsn.of(t.windowStartLsn(now)), Instant.ofEpochMilli(t.windowStartMillis(now)));
    }

    /** Every servable timeline (damaged ones are left out; {@link #damaged()} lists them). */
    public List<TimelineInfo> timelines() {
        checkOpen();
        return timelines.values().stream().filter(t -> !t.isBroken()).map(this::info)
                .sorted(Comparator.comparing(TimelineInfo::createdAt).thenComparing(i -> i.id().value())).toList();
    }

    /** Timelines whose manifest or layers are damaged, with the reason. */
    public Map<TimelineId, String> damaged() {
        Map<TimelineId, String> m = new TreeMap<>(Comparator.comparing(TimelineId::value));
        for (Timeline t : timelines.values()) if (t.isBroken()) m.put(t.id(), t.brokenReason());
        return m;
    }

    public void setHistoryWindow(TimelineId id, Duration window) {
        checkOpen();
        if (window == null || window.isNegative()) throw new IllegalArgumentException("history window must be >= 0");
        timeline(id).setHistoryWindow(window.toMillis());
    }

    public Usage usage(TimelineId id) {
        checkOpen();
        Timeline t = timeline(id);
        return new Usage(headTree(id).logicalSize(), t.writtenBytes(), t.physicalBytes());
    }

    /** Flushes the timeline's memory to a delta layer and writes an image layer over its deltas. */
    public CompactionResult compact(TimelineId id) {
        checkOpen();
        return counted(timeline(id), true);
    }

    private CompactionResult counted(Timeline t, boolean force) {
        CompactionResult r = t.compact(force);
        compactions.increment();
        if (r.imageCreated()) images.increment();
        return r;
    }

    /** Totals of GC and compaction since open. */
    public StoreCounters counters() {
        return new StoreCounters(gcRuns.sum(), gcLayers.sum(), gcBytes.sum(), compactions.sum(), images.sum());
    }

    /** Removes layers no timeline can read through its history window or a child's branch point. */
    public GcResult gc() {
        checkOpen();
        treeLock.lock();
        try {
            long now = ctx.nowMillis();
            int layers = 0;
            long bytes = 0;
            for (Timeline t : timelines.values()) {
                if (t.isBroken()) continue;
                long[] retain = t.children().stream().filter(c -> c.ancestor() == t).mapToLong(Timeline::ancestorLsn).sorted().toArray();
                long[] r = t.gc(retain, now);
                layers += (int) r[0];
                bytes += r[1];
            }
            lastGcMillis = now;
            gcRuns.increment();
            gcLayers.add(layers);
            gcBytes.add(bytes);
            return new GcResult(layers, bytes);
        } finally {
            treeLock.unlock();
        }
    }

    /** Scrub: re-reads and checks every record of the timeline's layer files. @throws StorageException.Corruption */
    public long verify(TimelineId id) {
        checkOpen();
        return timeline(id).verify();
    }

    /** The low-level versioned-key view of a timeline (tests, PII scans). */
    public Timeline timeline(TimelineId id) {
        Objects.requireNonNull(id, "timeline id");
        Timeline t = timelines.get(id);
        if (t == null) throw notFound(id);
        t.checkUsable();
        return t;
    }

    private StorageException notFound(TimelineId id) {
        if (deletedIds.contains(id)) return new StorageException.Conflict("timeline " + id + " was deleted");
        return new StorageException.NotFound("timeline " + id + " does not exist");
    }

    public Path directory() { return dir; }

    /** Remote layer storage, or null when the store is local only. */
    public RemoteLayers remote() { return remote; }

    /**
     * Makes the timeline's writes so far durable in remote storage: freezes and flushes the open layer to a
     * delta layer, then waits until it and its manifest are uploaded.
     * @throws IllegalStateException without remote storage
     */
    public void flushToRemote(TimelineId id, Duration timeout) {
        checkOpen();
        RemoteLayers r = requireRemote();
        Timeline t = timeline(id);
        t.freeze();
        t.flushFrozen();
        r.awaitUploads(timeout);
    }

    private RemoteLayers requireRemote() {
        if (remote == null) throw new IllegalStateException("page store " + dir + " has no remote storage");
        return remote;
    }

    private Iterable<LayerFile> localLayers() {
        List<LayerFile> all = new ArrayList<>();
        for (Timeline t : timelines.values()) if (!t.isBroken() && !t.isDeleted()) all.addAll(t.layers());
        return all;
    }

    public StoreConfig config() { return config; }

    /** The highest LSN handed out. */
    public Lsn lastLsn() { return Lsn.of(lsn.get()); }

    // ---------------------------------------------------------------- background

    private void backgroundRound() {
        if (closed) return;
        relieveMemory();
        // a timeline idle for 30 rounds (30 s on a server: its endpoint suspended, say) gives its open layer back
        long idleSince = ctx.nowMillis() - 30 * config.background().toMillis();
        for (Timeline t : timelines.values()) {
            if (t.isBroken() || t.isDeleted()) continue;
            if (t.openBytes() > 0 && t.lastAppendMillis() < idleSince) safely(t::freeze);
            safely(t::flushFrozen);
            if (t.deltaLayersAboveImage() >= config.imageThreshold()) safely(() -> counted(t, false));
        }
        if (ctx.nowMillis() - lastGcMillis >= config.gcInterval().toMillis()) safely(this::gc);
    }

    /**
     * Over the memory budget, freezes the largest open layers (the loop after this flushes them) until what stays in
     * memory fits: open layers grow to {@link StoreConfig#openLayerBytes} only while the store as a whole has room,
     * and idle timelines do not hold theirs for ever.
     */
    private void relieveMemory() {
        long total = 0;
        List<Timeline> open = new ArrayList<>();
        for (Timeline t : timelines.values()) {
            if (t.isBroken() || t.isDeleted()) continue;
            total += t.unflushedBytes();
            if (t.openBytes() > 0) open.add(t);
        }
        if (total <= config.memoryBudgetBytes()) return;
        open.sort(Comparator.comparingLong(Timeline::openBytes).reversed());
        for (Timeline t : open) {
            if (total <= config.memoryBudgetBytes()) break;
            long b = t.openBytes();
            safely(t::freeze);
            total -= b;  // counted as flushed: the loop after this writes it out
        }
    }

    private static void safely(Runnable r) {
        try {
            r.run();
        } catch (RuntimeException e) {
            System.err.println("pagestore background task failed: " + e);
        }
    }

    private static void safely(java.util.function.Supplier<?> r) {
        safely((Runnable) r::get);
    }

    // ---------------------------------------------------------------- lifecycle

    private void checkOpen() {
        if (closed) throw new StorageException("page store " + dir + " is closed");
    }

    /** Orderly shutdown: stops the background thread, writes out log buffers. */
    @Override public void close() {
        if (closed) return;
        closed = true;
        stopBackground(false);
        if (remote != null) remote.close();  // drains uploads first (bounded wait)
        treeLock.lock();
        try {
            for (Timeline t : timelines.values()) if (!t.isBroken()) t.close();
        } finally {
            treeLock.unlock();
        }
    }

    /** @param abrupt interrupt the running task (crash simulation); else let it finish (an interrupt would close its channels) */
    private void stopBackground(boolean abrupt) {
        if (background == null) return;
        if (abrupt) background.shutdownNow();
        else background.shutdown();
        try {
            background.awaitTermination(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Test hook simulating power loss: every byte not covered by a completed sync (or layer/manifest
     * write) is dropped, except that a random prefix of the unsynced log tail may survive, possibly torn.
     * The store is unusable afterwards; reopen the directory.
     */
    public void crashForTesting(Random random) {
        closed = true;
        stopBackground(true);
        if (remote != null) remote.close(Duration.ZERO);
        for (Timeline t : timelines.values()) if (!t.isBroken()) t.crash(random);
    }
}
