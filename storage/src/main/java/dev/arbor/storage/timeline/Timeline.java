package dev.arbor.storage.timeline;

import dev.arbor.storage.*;
import dev.arbor.storage.layer.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.*;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * One timeline: an ancestor and branch LSN, an open layer (memory + log), frozen layers waiting for
 * their flush, and immutable delta and image layers. Reads take the newest version at or below an LSN
 * and fall through to the ancestor at min(lsn, ancestorLsn).
 *
 * <p>Concurrency: appends are serialized by {@code writeLock} (so the log is in LSN order); layer-map
 * changes (flush, compaction, GC, detach) by {@code layerLock}; readers never lock, they read one
 * immutable {@link State} snapshot.
 */
public final class Timeline {
    /** The layer map, swapped as a whole. {@code layers} is sorted newest first (images before deltas on ties). */
    record State(Timeline ancestor, long ancestorLsn, OpenLayer open, List<OpenLayer> frozen, List<LayerFile> layers,
                 long floorLsn, long floorMillis, long flushedLsn) {
        State withLayers(List<LayerFile> l) { return new State(ancestor, ancestorLsn, open, frozen, sorted(l), floorLsn, floorMillis, flushedLsn); }
    }

    static final Comparator<LayerFile> NEWEST_FIRST = Comparator.comparingLong(LayerFile::endLsn).reversed()
            .thenComparing(l -> l.isImage() ? 0 : 1);

    static List<LayerFile> sorted(List<LayerFile> l) {
        ArrayList<LayerFile> c = new ArrayList<>(l);
        c.sort(NEWEST_FIRST);
        return List.copyOf(c);
    }

    private final StoreContext ctx;
    private final TimelineId id;
    private final Path dir;
    private final long createdAtMillis;
    private final long startLsn;
    private final TimelineId ancestorId;
    private final String broken;
    private volatile long historyWindowMillis;
    private volatile State state;
    private volatile long head;
    private final AtomicLong written = new AtomicLong();
    private final LsnTimeIndex times = new LsnTimeIndex();
    private final ReentrantLock writeLock = new ReentrantLock();
    private final ReentrantLock layerLock = new ReentrantLock(true);
    private final Set<Timeline> children = ConcurrentHashMap.newKeySet();
    private volatile boolean deleted;
    private volatile boolean released;
    private volatile long lastMillis = Long.MIN_VALUE;  // written under writeLock

    private Timeline(StoreContext ctx, TimelineId id, Path dir, long createdAtMillis, long startLsn, TimelineId ancestorId,
                     long historyWindowMillis, String broken) {
        this.ctx = ctx;
        this.id = id;
        this.dir = dir;
        this.createdAtMillis = createdAtMillis;
        this.startLsn = startLsn;
        this.ancestorId = ancestorId;
        this.historyWindowMillis = historyWindowMillis;
        this.broken = broken;
    }

    // ---------------------------------------------------------------- creation and recovery

    /** A new, empty timeline (root when {@code ancestor} is null). Not durable until {@link #persist()}. */
    public static Timeline create(StoreContext ctx, Path dir, TimelineId id, Timeline ancestor, long ancestorLsn,
                                  long historyWindowMillis, long nowMillis) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw IoUtil.io("mkdir " + dir, e);
        }
        long start = ancestor == null ? 0 : ancestorLsn;
        Timeline t = new Timeline(ctx, id, dir, nowMillis, start, ancestor == null ? null : ancestor.id, historyWindowMillis, null);
        Log log = Log.create(dir, start + 1, false);  // persist() fsyncs the directory
        t.state = new State(ancestor, ancestor == null ? 0 : ancestorLsn, new OpenLayer(log), List.of(), List.of(), 0, 0, start);
        t.head = start;
        t.times.add(nowMillis, start);
        return t;
    }

    /** A timeline that cannot be served: its manifest or a layer is damaged. Every use throws Corruption. */
    public static Timeline broken(StoreContext ctx, Path dir, TimelineId id, TimelineId ancestorId, String reason) {
        Timeline t = new Timeline(ctx, id, dir, 0, 0, ancestorId, 0, reason);
        t.state = new State(null, 0, null, List.of(), List.of(), 0, 0, 0);
        return t;
    }

    /** Loads layers and replays logs of a timeline (ancestor linked afterwards). @throws StorageException.Corruption */
    public static Timeline recover(StoreContext ctx, Path dir, Manifest m) {
        Timeline t = new Timeline(ctx, m.id(), dir, m.createdAtMillis(),
                m.ancestor() == null ? 0 : m.ancestorLsn(), m.ancestor(), m.historyWindowMillis(), null);
        List<LayerFile> layers = new ArrayList<>();
        Set<String> listed = new HashSet<>();
        try {
            for (Manifest.LayerRef ref : m.layers()) {
                layers.add(LayerFile.open(dir.resolve(ref.name()), m.id(), ref.size()));
                listed.add(ref.name());
            }
        } catch (StorageException e) {
            layers.forEach(LayerFile::close);
            throw e;
        }
        List<Path> logs = new ArrayList<>();
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.toList()) {
                String n = p.getFileName().toString();
                if (n.endsWith(".tmp") || ((n.startsWith("delta-") || n.startsWith("image-")) && !listed.contains(n)))
                    Files.deleteIfExists(p);  // debris of an interrupted flush or write
                else if (n.startsWith("log-")) logs.add(p);
            }
        } catch (IOException e) {
            throw IoUtil.io("listing of " + dir, e);
        }
        logs.sort(Comparator.comparing(p -> p.getFileName().toString()));
        t.times.add(m.createdAtMillis(), t.startLsn);
        if (m.floorLsn() > 0) t.times.add(m.floorMillis(), m.floorLsn());
        // Every layer carries LSN/time samples (images carry those of the window they replace): merge in LSN order.
        List<long[]> samples = new ArrayList<>();
        for (LayerFile l : layers)
            for (int i = 0; i < l.sampleLsns().length; i++) samples.add(new long[]{l.sampleLsns()[i], l.sampleMillis()[i]});
        samples.sort(Comparator.comparingLong((long[] x) -> x[0]).thenComparingLong(x -> x[1]));
        for (long[] x : samples) t.times.add(x[1], x[0]);
        long flushed = m.flushedLsn();
        long headLsn = Math.max(Math.max(flushed, t.startLsn), m.floorLsn());
        List<OpenLayer> frozen = new ArrayList<>();
        OpenLayer open = null;
        List<Log> recovered = new ArrayList<>();
        try {
            for (int i = 0; i < logs.size(); i++) {
                Path p = logs.get(i);
                long start = logStart(p);
                List<Log.Record> recs = new ArrayList<>();
                Log log = Log.recover(p, start, recs::add);
                recovered.add(log);
                boolean last = i == logs.size() - 1;
                // A log is frozen (fsynced whole) before the next one starts at its last LSN + 1: a frozen log
                // that ends early lost synced records, which no crash can do.
                if (!last) {
                    long expected = logStart(logs.get(i + 1)) - 1;
                    if (log.lastLsn() < expected && expected > flushed)
                        throw new StorageException.Corruption("log " + p + " ends at LSN " + log.lastLsn()
                                + " but its records up to " + expected + " were synced before " + logs.get(i + 1).getFileName() + " started");
                }
                OpenLayer layer = new OpenLayer(log);
                for (Log.Record r : recs) {
                    t.times.add(r.millis(), r.lsn());
                    if (r.lsn() <= flushed) continue;
                    layer.add(r, Log.encode(r).length);
                    t.written.addAndGet(r.valueBytes());
                    headLsn = Math.max(headLsn, r.lsn());
                }
                if (last) open = layer;
                else if (!layer.isEmpty()) frozen.add(layer);
                else {
                    log.closeQuietly();
                    try { Files.deleteIfExists(p); } catch (IOException ignored) { }
                }
            }
        } catch (RuntimeException e) {
            recovered.forEach(Log::closeQuietly);
            layers.forEach(LayerFile::close);
            throw e;
        }
        if (open == null) open = new OpenLayer(Log.create(dir, headLsn + 1));
        t.written.addAndGet(m.writtenBytes());
        t.head = headLsn;
        t.lastMillis = t.times.lastMillis();
        t.state = new State(null, m.ancestor() == null ? 0 : m.ancestorLsn(), open, List.copyOf(frozen), sorted(layers),
                m.floorLsn(), m.floorMillis(), flushed);
        return t;
    }

    private static long logStart(Path log) {
        return Long.parseUnsignedLong(log.getFileName().toString().substring(4), 16);
    }

    /** Wires the ancestor after all timelines are loaded. */
    public void linkAncestor(Timeline a) {
        State s = state;
        state = new State(a, s.ancestorLsn, s.open, s.frozen, s.layers, s.floorLsn, s.floorMillis, s.flushedLsn);
        if (a != null) a.children.add(this);
    }

    // ---------------------------------------------------------------- identity

    public TimelineId id() { return id; }
    public Path dir() { return dir; }
    public TimelineId ancestorId() { State s = state; return s.ancestor != null ? s.ancestor.id : broken != null ? ancestorId : null; }
    public Timeline ancestor() { return state.ancestor; }
    public long ancestorLsn() { return state.ancestor == null ? 0 : state.ancestorLsn; }
    public long createdAtMillis() { return createdAtMillis; }
    public long historyWindowMillis() { return historyWindowMillis; }
    public Lsn head() { return Lsn.of(head); }
    public long headLsn() { return head; }
    public Set<Timeline> children() { return children; }
    public boolean isBroken() { return broken != null; }
    public String brokenReason() { return broken; }
    public boolean isDeleted() { return deleted; }
    public long writtenBytes() { return written.get(); }

    public void checkUsable() {
        if (broken != null) throw new StorageException.Corruption("timeline " + id + " is damaged and not served: " + broken);
        if (deleted) throw new StorageException.NotFound("timeline " + id + " was deleted");
        if (released) throw new StorageException.NotFound("timeline " + id + " is not served by this store (released)");
    }

    // ---------------------------------------------------------------- writes

    /** Appends one record (all keys share one LSN) and returns its LSN. Visible to reads at once, durable after {@link #sync()}. */
    public long append(long[] keys, byte[][] values) {
        // A pending interrupt (a cancelled caller) would close the channels this touches for everyone.
        boolean interrupted = Thread.interrupted();
        try {
            return appendUninterrupted(keys, values);
        } finally {
            if (interrupted) Thread.currentThread().interrupt();
        }
    }

    private long appendUninterrupted(long[] keys, byte[][] values) {
        boolean flush;
        long lsn;
        writeLock.lock();
        try {
            checkUsable();
            lsn = ctx.nextLsn();
            long now = Math.max(ctx.nowMillis(), lastMillis);
            lastMillis = now;
            OpenLayer open = state.open;
            Log.Record r = new Log.Record(lsn, now, keys, open.patched(keys, values), open.log.durablePos());
            byte[] enc = Log.encode(r);
            open.log.append(enc, lsn);
            open.add(r, enc.length);
            times.add(now, lsn);
            head = lsn;
            written.addAndGet(r.valueBytes());
            flush = open.bytes.get() >= ctx.config().openLayerBytes();
            if (flush) freezeLocked();
        } finally {
            writeLock.unlock();
        }
        if (flush) {
            try {
                ctx.flushSoon(this);
            } catch (RuntimeException e) {
                // The record is in the log and visible: the change succeeded. The frozen layer stays in
                // memory (and its log on disk) and the next flush retries it.
                System.err.println("pagestore: flush of " + id + " failed, will retry: " + e);
            }
        }
        return lsn;
    }

    /** Durability barrier: every record appended before the call survives a crash once it returns. */
    public void sync() {
        checkUsable();
        state.open.log.sync();
    }

    private void freezeLocked() {
        State s = state;
        if (s.open.isEmpty()) return;
        s.open.log.sync();  // a frozen log is complete and durable, so only the open log can have a torn tail
        s.open.log.seal();
        OpenLayer fresh = new OpenLayer(Log.create(dir, head + 1));
        List<OpenLayer> frozen = new ArrayList<>(s.frozen);
        frozen.add(s.open);
        synchronized (this) {
            State x = state;
            state = new State(x.ancestor, x.ancestorLsn, fresh, List.copyOf(frozen), x.layers, x.floorLsn, x.floorMillis, x.flushedLsn);
        }
    }

    /**
     * Stops serving the timeline here (another node takes it over): appends and reads fail from now on, and
     * the open layer is frozen so {@link #flushFrozen()} writes out everything appended.
     */
    public void release() {
        writeLock.lock();
        try {
            if (broken != null || deleted) return;
            released = true;
            freezeLocked();
        } finally {
            writeLock.unlock();
        }
    }

    /** Freezes the open layer so the next flush writes it out. */
    public void freeze() {
        writeLock.lock();
        try {
            checkUsable();
            freezeLocked();
        } finally {
            writeLock.unlock();
        }
    }

    /** Writes every frozen layer to a delta layer file and records it in the manifest. Returns the count. */
    public int flushFrozen() {
        layerLock.lock();
        try {
            if (deleted || broken != null) return 0;
            int n = 0;
            while (true) {
                State s = state;
                if (s.frozen.isEmpty()) return n;
                OpenLayer f = s.frozen.get(0);
                LayerFile d = writeDelta(f);
                List<LayerFile> layers = new ArrayList<>(s.layers);
                layers.add(d);
                persist(sorted(layers), s.ancestor, s.ancestorLsn, s.floorLsn, s.floorMillis, f.maxLsn);
                synchronized (this) {
                    State x = state;
                    List<OpenLayer> fr = new ArrayList<>(x.frozen);
                    fr.remove(f);
                    state = new State(x.ancestor, x.ancestorLsn, x.open, List.copyOf(fr), sorted(layers), x.floorLsn,
                            x.floorMillis, f.maxLsn);
                }
                f.log.closeQuietly();
                try { Files.deleteIfExists(f.log.path); } catch (IOException ignored) { }
                n++;
            }
        } finally {
            layerLock.unlock();
        }
    }

    private LayerFile writeDelta(OpenLayer f) {
        Path target = dir.resolve(String.format("delta-%016x-%016x", f.minLsn, f.maxLsn));
        try (LayerWriter w = new LayerWriter(target, LayerFile.Kind.DELTA, id, f.minLsn, f.maxLsn)) {
            for (long key : f.sortedKeys()) {
                OpenLayer.Versions v = f.map.get(key);
                for (int i = 0, n = v.size(); i < n; i++) w.add(key, v.lsn(i), v.value(i));
            }
            long[][] samples = f.samples.snapshot();
            w.samples(samples[0], samples[1]);
            return w.finish(id);
        }
    }

    /** Writes this timeline's manifest (durably) with the given layer map. Caller holds {@code layerLock} or is creating it. */
    public void persist() {
        State s = state;
        persist(s.layers, s.ancestor, s.ancestorLsn, s.floorLsn, s.floorMillis, s.flushedLsn);
    }

    private void persist(List<LayerFile> layers, Timeline ancestor, long ancestorLsn, long floor, long floorMillis, long flushed) {
        List<Manifest.LayerRef> refs = layers.stream().map(l -> new Manifest.LayerRef(l.name(), l.fileSize())).toList();
        Manifest m = new Manifest(id, ancestor == null ? null : ancestor.id, ancestor == null ? 0 : ancestorLsn, createdAtMillis,
                historyWindowMillis, floor, floorMillis, flushed, head, ctx.currentLsn(), written.get(), refs);
        m.write(dir);
        ctx.manifestWritten(this, m);
    }

    public void setHistoryWindow(long millis) {
        layerLock.lock();
        try {
            checkUsable();
            historyWindowMillis = millis;
            persist();
        } finally {
            layerLock.unlock();
        }
    }

    // ---------------------------------------------------------------- reads

    /** Newest version at or below {@code lsn} in this timeline's own layers: null = none, TOMBSTONE = deleted. */
    private static byte[] getOwn(State s, long key, long lsn) {
        byte[] v = s.open.get(key, lsn);
        if (v != null) return v;
        for (int i = s.frozen.size() - 1; i >= 0; i--) {
            v = s.frozen.get(i).get(key, lsn);
            if (v != null) return v;
        }
        for (LayerFile l : s.layers) {
            if (l.isImage()) {
                if (l.endLsn() > lsn) continue;
                return l.get(key, lsn);  // an image holds the whole own view at its LSN: older layers are not needed
            }
            if (l.startLsn() > lsn) continue;
            v = l.get(key, lsn);
            if (v != null) return v;
        }
        return null;
    }

    /** Value of {@code key} at {@code lsn} through the ancestry, or null if absent; no window check. */
    public byte[] readRaw(long key, long lsn) {
        while (true) {
            try {
                byte[] v = readChain(key, lsn);
                // GC may have removed layers this LSN needed while we read: then the answer may be wrong, refuse it
                if (lsn < state.floorLsn) throw belowFloor(lsn);
                return v;
            } catch (LayerFile.Retired e) {
                if (lsn < state.floorLsn) throw belowFloor(lsn);
                Thread.onSpinWait();  // GC replaced a layer under us: retry on the new layer map
            }
        }
    }

    private byte[] readChain(long key, long lsn) {
        Timeline t = this;
        long l = lsn;
        while (true) {
            t.checkUsable();
            State s = t.state;
            byte[] v = getOwn(s, key, l);
            if (v != null) return Values.isTombstone(v) ? null : v;
            if (s.ancestor == null) return null;
            l = Math.min(l, s.ancestorLsn);
            t = s.ancestor;
        }
    }

    private StorageException.InvalidLsn belowFloor(long lsn) {
        return new StorageException.InvalidLsn("LSN " + Lsn.of(lsn) + " of timeline " + id
                + " fell out of the history window and was garbage-collected (window starts at " + Lsn.of(state.floorLsn) + ")");
    }

    /** Value of {@code key} at {@code lsn}, or null if it does not exist there. @throws StorageException.InvalidLsn outside the window */
    public byte[] read(Key key, Lsn lsn) {
        checkReadable(lsn.value());
        return readRaw(key.packed(), lsn.value());
    }

    /** @throws StorageException.InvalidLsn unless {@code lsn} is within [window start, head] */
    public void checkReadable(long lsn) {
        checkUsable();
        long h = head;
        if (lsn > h) throw new StorageException.InvalidLsn("LSN " + Lsn.of(lsn) + " is after the head " + Lsn.of(h) + " of timeline " + id);
        long start = windowStartLsn(ctx.nowMillis());
        if (lsn < start)
            throw new StorageException.InvalidLsn("LSN " + Lsn.of(lsn) + " is before the history window of timeline " + id
                    + " (which starts at " + Lsn.of(start) + ")");
    }

    /**
     * Calls {@code sink} with every version reachable from this timeline: all versions in its own layers,
     * then each ancestor's versions at or below the branch point. (The PII-isolation check scans this.)
     */
    public void forEachVersion(Consumer<KeyVersion> sink) {
        Timeline t = this;
        long limit = Long.MAX_VALUE;
        while (t != null) {
            t.checkUsable();
            State s = t.state;
            List<OpenLayer> mem = new ArrayList<>(s.frozen);
            mem.add(s.open);
            for (OpenLayer o : mem) {
                for (long key : o.sortedKeys()) {
                    OpenLayer.Versions v = o.map.get(key);
                    for (int i = 0; i < v.size(); i++)
                        if (v.lsn(i) <= limit) sink.accept(version(t.id, key, v.lsn(i), v.resolve(i)));
                }
            }
            for (LayerFile l : s.layers) {
                for (int i = 0; i < l.entryCount(); i++)
                    if (l.lsnAt(i) <= limit) sink.accept(version(t.id, l.keyAt(i), l.lsnAt(i), l.resolved(i)));
            }
            if (s.ancestor == null) break;
            limit = Math.min(limit, s.ancestorLsn);
            t = s.ancestor;
        }
    }

    private static KeyVersion version(TimelineId owner, long key, long lsn, byte[] v) {
        return new KeyVersion(owner, Key.unpack(key), Lsn.of(lsn), Values.isTombstone(v) ? null : v);
    }

    /** Scrub of every layer file of this timeline. Returns the records checked. @throws StorageException.Corruption */
    public long verify() {
        checkUsable();
        long n = 0;
        for (LayerFile l : state.layers) {
            try {
                l.verifyAll();
                n += l.entryCount();
            } catch (LayerFile.Retired e) {
                // GC or detach replaced the layer while we read it: it is no longer part of this timeline
            }
        }
        return n;
    }

    // ---------------------------------------------------------------- history window

    public long windowStartLsn(long nowMillis) {
        State s = state;
        long lo = Math.max(s.floorLsn, s.ancestor != null ? s.ancestorLsn : startLsn);
        long w = nowMillis - historyWindowMillis;
        long l = times.lsnAt(w);
        return Math.min(Math.max(lo, l), head);
    }

    public long windowStartMillis(long nowMillis) {
        return Math.max(Math.max(createdAtMillis, nowMillis - historyWindowMillis), state.floorMillis);
    }

    /** Newest LSN at or before {@code t}. @throws StorageException.InvalidLsn outside the window */
    public long lsnAt(long t, long nowMillis) {
        checkUsable();
        if (t > nowMillis) throw new StorageException.InvalidLsn("time " + java.time.Instant.ofEpochMilli(t) + " is in the future");
        long ws = windowStartMillis(nowMillis);
        if (t < ws)
            throw new StorageException.InvalidLsn("time " + java.time.Instant.ofEpochMilli(t) + " is before the history window of timeline "
                    + id + " (which starts at " + java.time.Instant.ofEpochMilli(ws) + ")");
        return Math.min(Math.max(times.lsnAt(t), windowStartLsn(nowMillis)), head);
    }

    // ---------------------------------------------------------------- compaction, detach, GC

    /**
     * Flushes memory to delta layers, then (if {@code force} or enough deltas sit above the newest image)
     * writes an image layer at the newest flushed LSN. A child's image is sparse: only keys it wrote itself.
     */
    public CompactionResult compact(boolean force) {
        layerLock.lock();
        try {
            checkUsable();
            freeze();
            int flushed = flushFrozen();
            State s = state;
            LayerFile img0 = s.layers.stream().filter(LayerFile::isImage).findFirst().orElse(null);
            long above = img0 == null ? -1 : img0.endLsn();
            List<LayerFile> deltas = s.layers.stream().filter(l -> !l.isImage() && l.endLsn() > above).toList();
            long deltaBytes = deltas.stream().mapToLong(LayerFile::fileSize).sum();
            // Background compaction rewrites the image only once the deltas above it are both many and at least as
            // big as it: lookups in deltas cost no I/O (in-memory indexes), rewriting a large image does (reading it and
            // the deltas, writing it again), so each delta byte pays for at most one image byte. (Half its size before
            // 2026-11-26: two image bytes per delta byte, a whole scale-50 image rewritten every 20-30 s of pgbench.)
            boolean worth = deltas.size() >= ctx.config().imageThreshold() && (img0 == null || deltaBytes >= img0.fileSize());
            if (deltas.isEmpty() || (!force && !worth))
                return new CompactionResult(id, flushed, null, 0, 0);
            long L = deltas.stream().mapToLong(LayerFile::endLsn).max().orElseThrow();
            List<LayerFile> sources = new ArrayList<>(deltas);
            if (img0 != null) sources.add(img0);
            boolean root = s.ancestor == null;
            Map<Long, Boolean> alive = new HashMap<>();
            Path target = dir.resolve(String.format("image-%016x-%08x", L, new Random().nextInt()));
            LayerFile image;
            try (LayerWriter w = new LayerWriter(target, LayerFile.Kind.IMAGE, id, L, L)) {
                int k = sources.size();
                int[] pos = new int[k];
                while (true) {
                    long minKey = Long.MAX_VALUE;
                    boolean any = false;
                    for (int j = 0; j < k; j++)
                        if (pos[j] < sources.get(j).entryCount()) {
                            any = true;
                            minKey = Math.min(minKey, sources.get(j).keyAt(pos[j]));
                        }
                    if (!any) break;
                    int bestSrc = -1, bestIdx = -1;
                    long bestLsn = -1;
                    for (int j = 0; j < k; j++) {
                        LayerFile src = sources.get(j);
                        int i = pos[j];
                        while (i < src.entryCount() && src.keyAt(i) == minKey) i++;
                        if (i > pos[j] && src.lsnAt(i - 1) > bestLsn) {
                            bestLsn = src.lsnAt(i - 1);
                            bestSrc = j;
                            bestIdx = i - 1;
                        }
                        pos[j] = i;
                    }
                    byte[] v = sources.get(bestSrc).resolved(bestIdx);
                    if (Values.isTombstone(v) && root) continue;  // nothing below a root to shadow
                    if (Key.kindOf(minKey) == Key.Kind.BLOCK && !alive(alive, Key.inodeOf(minKey), L)) continue;  // unlinked file
                    w.add(minKey, bestLsn, v);
                }
                long[][] samples = times.range(ctx.nowMillis() - historyWindowMillis, L);  // survive GC of the deltas
                w.samples(samples[0], samples[1]);
                image = w.finish(id);
            }
            List<LayerFile> layers = new ArrayList<>(s.layers);
            layers.add(image);
            swapLayers(sorted(layers), s.ancestor, s.ancestorLsn, s.floorLsn, s.floorMillis);
            return new CompactionResult(id, flushed, Lsn.of(L), image.fileSize(), image.entryCount());
        } finally {
            layerLock.unlock();
        }
    }

    private boolean alive(Map<Long, Boolean> cache, long inode, long lsn) {
        return cache.computeIfAbsent(inode, i -> readRaw(Key.attr(i), lsn) != null);
    }

    private void swapLayers(List<LayerFile> layers, Timeline ancestor, long ancestorLsn, long floor, long floorMillis) {
        State s = state;
        persist(layers, ancestor, ancestorLsn, floor, floorMillis, s.flushedLsn);
        synchronized (this) {
            State x = state;
            state = new State(ancestor, ancestorLsn, x.open, x.frozen, layers, floor, floorMillis, x.flushedLsn);
        }
    }

    /**
     * Materializes this timeline's view at its head into one image layer and drops the ancestry and all
     * older history, so nothing of the ancestor is reachable anymore. Caller checks there are no children.
     */
    public void detach() {
        layerLock.lock();
        try {
            checkUsable();
            freeze();
            flushFrozen();
            State s = state;
            if (s.ancestor == null && s.layers.size() <= 1 && s.layers.stream().allMatch(LayerFile::isImage)) return;
            long L = head;  // the open layer was just flushed; writers racing in land above L and stay in it
            long[] keys = visibleKeyCandidates(s, L);
            Map<Long, Boolean> alive = new HashMap<>();
            Path target = dir.resolve(String.format("image-%016x-%08x", L, new Random().nextInt()));
            LayerFile image;
            try (LayerWriter w = new LayerWriter(target, LayerFile.Kind.IMAGE, id, L, L)) {
                for (long key : keys) {
                    byte[] v = readRaw(key, L);
                    if (v == null) continue;
                    if (Key.kindOf(key) == Key.Kind.BLOCK && !alive(alive, Key.inodeOf(key), L)) continue;
                    w.add(key, L, v);
                }
                image = w.finish(id);
            }
            long now = ctx.nowMillis();
            Timeline oldAncestor = s.ancestor;
            swapLayers(List.of(image), null, 0, L, now);
            times.add(now, L);
            if (oldAncestor != null) oldAncestor.children.remove(this);
            for (LayerFile l : s.layers) {
                l.retire();
                try { Files.deleteIfExists(l.path()); } catch (IOException ignored) { }
            }
        } finally {
            layerLock.unlock();
        }
    }

    /** Every key that may have a version visible from this timeline at {@code lsn} (sorted, distinct). */
    private static long[] visibleKeyCandidates(State own, long lsn) {
        long[] acc = new long[1024];
        int n = 0;
        State s = own;
        long limit = lsn;
        while (true) {
            List<OpenLayer> mem = new ArrayList<>(s.frozen);
            mem.add(s.open);
            for (OpenLayer o : mem)
                for (long k : o.sortedKeys()) {
                    if (n == acc.length) acc = Arrays.copyOf(acc, n * 2);
                    acc[n++] = k;
                }
            for (LayerFile l : s.layers)
                for (int i = 0; i < l.entryCount(); i++)
                    if (l.lsnAt(i) <= limit) {
                        if (n == acc.length) acc = Arrays.copyOf(acc, n * 2);
                        acc[n++] = l.keyAt(i);
                    }
            if (s.ancestor == null) break;
            limit = Math.min(limit, s.ancestorLsn);
            s = s.ancestor.state;
        }
        return Arrays.stream(acc, 0, n).sorted().distinct().toArray();
    }

    /**
     * Removes layers no reader can reach: a layer goes when an image at or above its end and at or below
     * the first LSN that must still be served above its start exists. Served LSNs are the window
     * [cutoff, head] and the branch points {@code retainLsns} of children. Returns {layers, bytes} removed.
     */
    public long[] gc(long[] retainLsns, long nowMillis) {
        layerLock.lock();
        try {
            if (broken != null || deleted) return new long[]{0, 0};
            State s = state;
            // The floor is persisted: never above what is durable, or a crash would leave the head below it.
            long cutoff = Math.min(windowStartLsn(nowMillis), s.flushedLsn);
            List<LayerFile> keep = new ArrayList<>(), remove = new ArrayList<>();
            for (LayerFile x : s.layers) {
                long p = Math.max(cutoff, x.startLsn());
                for (long r : retainLsns) if (r >= x.startLsn() && r < p) p = r;
                final long served = p;
                boolean covered = s.layers.stream().anyMatch(i -> i != x && i.isImage() && i.endLsn() <= served
                        && (x.isImage() ? i.endLsn() > x.endLsn() : i.endLsn() >= x.endLsn()));
                (covered ? remove : keep).add(x);
            }
            if (remove.isEmpty()) return new long[]{0, 0};
            long floor = Math.max(s.floorLsn, cutoff);
            long floorMillis = Math.max(s.floorMillis, nowMillis - historyWindowMillis);
            swapLayers(sorted(keep), s.ancestor, s.ancestorLsn, floor, floorMillis);
            long bytes = 0;
            for (LayerFile l : remove) {
                bytes += l.fileSize();
                l.retire();
                try { Files.deleteIfExists(l.path()); } catch (IOException ignored) { }
            }
            times.trimBefore(nowMillis - historyWindowMillis);
            return new long[]{remove.size(), bytes};
        } finally {
            layerLock.unlock();
        }
    }

    // ---------------------------------------------------------------- accounting and lifecycle

    /** Bytes of the files only this timeline owns: layer files and logs. */
    public long physicalBytes() {
        State s = state;
        long b = 0;
        for (LayerFile l : s.layers) b += l.fileSize();
        for (OpenLayer f : s.frozen) b += f.log.size();
        if (s.open != null) b += s.open.log.size();
        return b;
    }

    public int layerCount() { return state.layers.size(); }

    /** The current layer files, newest first (remote storage evicts from these). */
    public List<LayerFile> layers() { return state.layers; }

    public List<String> layerNames() { return state.layers.stream().map(LayerFile::name).toList(); }

    public int deltaLayersAboveImage() {
        State s = state;
        long above = s.layers.stream().filter(LayerFile::isImage).mapToLong(LayerFile::endLsn).max().orElse(-1);
        return (int) s.layers.stream().filter(l -> !l.isImage() && l.endLsn() > above).count();
    }

    public boolean hasFrozen() { return !state.frozen.isEmpty(); }

    /** Log bytes of the open and frozen layers: appended but not in a layer file yet. */
    public long unflushedBytes() {
        State s = state;
        long b = s.open == null ? 0 : s.open.bytes.get();
        for (OpenLayer f : s.frozen) b += f.bytes.get();
        return b;
    }

    public int frozenCount() { return state.frozen.size(); }

    /** Store clock of the last append (or of the newest record recovered). */
    public long lastAppendMillis() { return lastMillis; }

    /** Encoded bytes of the open layer alone. */
    public long openBytes() {
        OpenLayer o = state.open;
        return o == null ? 0 : o.bytes.get();
    }

    /** Marks deleted and releases files (caller removes the directory). */
    public void markDeleted() {
        writeLock.lock();
        layerLock.lock();
        try {
            deleted = true;
            State s = state;
            if (s.ancestor != null) s.ancestor.children.remove(this);
            closeFiles(s);
        } finally {
            layerLock.unlock();
            writeLock.unlock();
        }
    }

    private static void closeFiles(State s) {
        if (s.open != null) s.open.log.closeQuietly();
        for (OpenLayer f : s.frozen) f.log.closeQuietly();
        for (LayerFile l : s.layers) l.close();
    }

    /** Orderly close: writes out the log buffer (no fsync beyond what sync() promised). */
    public void close() {
        writeLock.lock();
        try {
            State s = state;
            if (s.open != null) s.open.log.close();
            for (OpenLayer f : s.frozen) f.log.closeQuietly();
            // Released: a racing reader must not reopen (nor eviction delete) a file of a timeline served elsewhere now.
            for (LayerFile l : s.layers) if (released) l.retire(); else l.close();
        } finally {
            writeLock.unlock();
        }
    }

    /** Test hook: power loss. Unsynced log bytes are dropped (a random prefix of them may survive, torn). */
    public void crash(Random random) {
        State s = state;
        if (s.open != null) s.open.log.crash(random);
        for (OpenLayer f : s.frozen) f.log.closeQuietly();
        for (LayerFile l : s.layers) l.close();
    }

    @Override public String toString() { return "timeline " + id; }
}
