package dev.arbor.storage.remote;

import dev.arbor.storage.StorageException;
import dev.arbor.storage.TimelineId;
import dev.arbor.storage.layer.IoUtil;
import dev.arbor.storage.layer.LayerFile;
import dev.arbor.storage.layer.Manifest;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.*;
import java.time.Duration;
import java.util.*;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.function.Supplier;

/**
 * A page store's side of remote layer storage: uploads, downloads on a cache miss, eviction.
 * <ul>
 *   <li>Uploads run on one thread in manifest order: each manifest's new layers first, then the manifest,
 *       then removal of the layers it no longer names. So the bucket never holds a manifest naming a
 *       missing layer, and a failed upload is retried (with backoff) before anything behind it.</li>
 *   <li>Every download is verified (manifest CRC; layer header, index and every record's CRC) in a tmp
 *       file before it is renamed into place: a damaged object is reported, never served.</li>
 *   <li>Eviction closes and deletes the least recently read uploaded layers while the local layer bytes
 *       exceed the bound; a layer not yet uploaded is never evicted.</li>
 * </ul>
 * Bucket layout mirrors the local one: {@code timelines/<id>/manifest}, {@code timelines/<id>/<layer>}.
 */
public final class RemoteLayers implements AutoCloseable {
    static final String ROOT = "timelines/";

    private final RemoteStorage remote;
    private final long cacheBytes;
    private final Path timelinesDir;
    private final Supplier<Iterable<LayerFile>> localLayers;
    /** Keys known to be in the bucket (layers only). */
    private final Set<String> uploaded = ConcurrentHashMap.newKeySet();
    /** Per timeline: layer names the bucket holds, to delete those a newer manifest dropped. */
    private final Map<TimelineId, Set<String>> remoteNames = new ConcurrentHashMap<>();
    private final LinkedBlockingDeque<Task> queue = new LinkedBlockingDeque<>();
    private final Object idle = new Object();
    private int pending;  // guarded by idle
    /** Per timeline: queued tasks and scheduled flushes not done yet (guarded by idle), so a release waits for its own only. */
    private final Map<TimelineId, Integer> pendingByTimeline = new HashMap<>();
    /**
     * Per timeline: bumped at every attach and release. A task runs only if its epoch is still current, so
     * nothing queued under an earlier ownership (another node may own the timeline now) reaches the bucket.
     */
    private final Map<TimelineId, Long> epochs = new ConcurrentHashMap<>();
    private volatile Task running;
    private volatile String lastError;
    /** Whether this node may still write the bucket (cluster mode: its leases are confirmed); checked before every PUT and DELETE. */
    private volatile java.util.function.BooleanSupplier writeGate = () -> true;
    private volatile boolean closed;
    private final Thread uploader;
    private final LayerFile.Fetcher fetcher = new LayerFile.Fetcher() {
        @Override public void fetch(LayerFile l) { RemoteLayers.this.fetch(l); }
        @Override public byte[] readRange(LayerFile l, long offset, int length) {
            return remote.getRange(key(timelineOf(l), l.name()), offset, length);
        }
        @Override public void missed(LayerFile l) { restoreSoon(l); }
    };
    /** Brings missed layers back whole, off the reader's path; one at a time, each once. */
    private final java.util.concurrent.ExecutorService downloader = java.util.concurrent.Executors.newSingleThreadExecutor(
            r -> Thread.ofPlatform().name("pagestore-download").daemon().unstarted(r));
    private final Set<LayerFile> restoring = ConcurrentHashMap.newKeySet();

    private sealed interface Task {}
    private record UploadManifest(TimelineId id, Path dir, Manifest manifest, byte[] bytes, long epoch) implements Task {}
    private record DeleteTimeline(TimelineId id, long epoch) implements Task {}
    private record Evict() implements Task {}

    /** What the bucket holds under one timeline's prefix: layer object names, and whether the manifest is there. */
    public record Listing(Set<String> layers, boolean hasManifest) {}

    public RemoteLayers(RemoteLayerConfig config, Path timelinesDir, Supplier<Iterable<LayerFile>> localLayers) {
        this.remote = config.storage();
        this.cacheBytes = config.localCacheBytes();
        this.timelinesDir = timelinesDir;
        this.localLayers = localLayers;
        this.uploader = Thread.ofPlatform().name("pagestore-upload").daemon().unstarted(this::run);
    }

    public RemoteStorage storage() { return remote; }

    static String key(TimelineId id, String name) { return ROOT + id.value() + "/" + name; }

    // ---------------------------------------------------------------- open: bring the bucket's timelines here

    /**
     * Before recovery: every timeline in the bucket that has no local manifest is downloaded (layers first,
     * verified, then its manifest), and layers missing under a local manifest (evicted before a restart) are
     * downloaded again. Returns timelines whose objects failed verification, with the reason; their
     * manifest is put in place so recovery reports them as damaged instead of forgetting them.
     */
    public Map<TimelineId, String> hydrate() {
        Map<TimelineId, String> damaged = new HashMap<>();
        Map<TimelineId, Set<String>> byTimeline = new HashMap<>();
        for (String k : remote.list(ROOT)) {
            String[] parts = k.substring(ROOT.length()).split("/", 2);
            if (parts.length != 2) continue;
            TimelineId id;
            try {
                id = new TimelineId(parts[0]);
            } catch (IllegalArgumentException e) {
                continue;  // not ours
            }
            byTimeline.computeIfAbsent(id, x -> new HashSet<>()).add(parts[1]);
        }
        for (var e : byTimeline.entrySet()) {
            TimelineId id = e.getKey();
            Listing l = listing(e.getValue());
            learn(id, l.layers());
            Path dir = timelinesDir.resolve(id.value());
            String failure = bringHere(id, dir, l.hasManifest(), Manifest.exists(dir), true);
            if (failure != null) damaged.put(id, failure);
        }
        IoUtil.fsyncDir(timelinesDir);
        return damaged;
    }

    private static Listing listing(Set<String> names) {
        Set<String> layers = new HashSet<>(names);
        boolean hasManifest = layers.remove(Manifest.FILE);
        layers.removeIf(n -> n.endsWith(".tmp") || n.contains("/"));
        return new Listing(layers, hasManifest);
    }

    /** What the bucket holds for one timeline. */
    public Listing list(TimelineId id) {
        String prefix = ROOT + id.value() + "/";
        Set<String> names = new HashSet<>();
        for (String k : remote.list(prefix)) names.add(k.substring(prefix.length()));
        return listing(names);
    }

    /** Records which layer objects the bucket holds for {@code id}. */
    private void learn(TimelineId id, Set<String> layers) {
        for (String n : layers) uploaded.add(key(id, n));
        Set<String> names = ConcurrentHashMap.newKeySet();
        names.addAll(layers);
        remoteNames.put(id, names);
    }

    private void forget(TimelineId id) {
        String prefix = ROOT + id.value() + "/";
        uploaded.removeIf(k -> k.startsWith(prefix));
        remoteNames.remove(id);
    }

    /**
     * Brings one timeline's files into {@code dir}: with {@code useLocal} the layers missing under the local
     * manifest (evicted before), else the bucket's manifest and every layer it names (layers first, each
     * verified, then the manifest; nothing when the bucket has no manifest). Returns null, or why the
     * timeline is damaged; {@code placeholder}: then leave a manifest naming no layers so it stays listed.
     */
    private String bringHere(TimelineId id, Path dir, boolean hasManifest, boolean useLocal, boolean placeholder) {
        try {
            Files.createDirectories(dir);
            Manifest m;
            byte[] manifestBytes = null;
            if (useLocal) {
                m = Manifest.read(dir);  // local is newer or equal: it is written before it is uploaded
            } else {
                if (!hasManifest) return null;  // layers of an unfinished upload or delete
                manifestBytes = remoteManifest(id, dir);
                m = Manifest.decode(manifestBytes, key(id, Manifest.FILE));
                if (!m.id().equals(id)) throw new StorageException.Corruption("object " + key(id, Manifest.FILE) + " names timeline " + m.id());
            }
            for (Manifest.LayerRef ref : m.layers()) {
                Path p = dir.resolve(ref.name());
                if (!Files.exists(p)) download(id, p, ref.size());
            }
            if (manifestBytes != null) IoUtil.writeAtomically(dir.resolve(Manifest.FILE), java.nio.ByteBuffer.wrap(manifestBytes));
            return null;
        } catch (StorageException.Corruption | StorageException.NotFound x) {
            if (placeholder) keepDamaged(id, dir);
            return x.getMessage();
        } catch (IOException x) {
            throw IoUtil.io("download of timeline " + id + " from " + remote.describe(), x);
        }
    }

    private byte[] remoteManifest(TimelineId id, Path dir) throws IOException {
        Path tmp = dir.resolve("manifest.download.tmp");
        remote.get(key(id, Manifest.FILE), tmp);
        byte[] bytes = Files.readAllBytes(tmp);
        Files.delete(tmp);
        return bytes;
    }

    // ---------------------------------------------------------------- cluster mode: attach and release one timeline

    /**
     * Per timeline directory: the checksum and length of every manifest this store PUT for it, appended and
     * fsynced before the PUT. If the bucket's manifest is not among them, another node wrote the timeline
     * after this copy was last uploaded, and the copy is stale. (An entry whose PUT a crash prevented only
     * ever vouches for a manifest this store wrote itself.)
     */
    static final String UPLOADS = "uploaded-manifests";

    private static long fingerprint(byte[] manifest) {
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(manifest);
        return (crc.getValue() << 32) | (manifest.length & 0xffffffffL);
    }

    /** Entries kept when the record is rewritten: the last writer's bucket manifest is one of its latest PUTs. */
    private static final int UPLOADS_KEPT = 64;

    /** Records the manifest about to be PUT. False if the timeline's directory is gone (deleted or released). */
    private static boolean noteUpload(Path dir, byte[] manifest) {
        Path record = dir.resolve(UPLOADS);
        if (!Manifest.exists(dir)) return false;  // deleted (its manifest goes first): nothing to upload, nothing to record
        try {
            long size = Files.exists(record) ? Files.size(record) : 0;
            if (size >= 8L * UPLOADS_KEPT * 8) {  // bounded: rewrite with the latest entries (atomically)
                byte[] all = Files.readAllBytes(record);
                int keep = 8 * (UPLOADS_KEPT - 1), from = (all.length / 8) * 8 - keep;
                java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(keep + 8).put(all, from, keep).putLong(fingerprint(manifest)).flip();
                IoUtil.writeAtomically(record, b);
                return true;
            }
            try (FileChannel ch = FileChannel.open(record, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
                java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(8).putLong(fingerprint(manifest)).flip();
                while (b.hasRemaining()) ch.write(b);
                ch.force(false);
            }
            return true;
        } catch (NoSuchFileException e) {
            return false;
        } catch (IOException | StorageException e) {
            if (!Files.isDirectory(dir)) return false;
            throw e instanceof IOException io ? IoUtil.io("write of " + record, io) : (StorageException) e;
        }
    }

    /**
     * Whether the local copy in {@code dir} is stale: the bucket's manifest is not one this store put. False
     * without a record (nothing known) and when the bucket's manifest is damaged (the local copy is the best there is).
     */
    private boolean staleCopy(TimelineId id, Path dir) throws IOException {
        Path record = dir.resolve(UPLOADS);
        if (!Files.exists(record)) return false;
        java.nio.ByteBuffer all = java.nio.ByteBuffer.wrap(Files.readAllBytes(record));
        byte[] theirs = remoteManifest(id, dir);
        try {
            Manifest.decode(theirs, key(id, Manifest.FILE));
        } catch (StorageException.Corruption e) {
            return false;
        }
        long remoteFingerprint = fingerprint(theirs);
        while (all.remaining() >= 8) if (all.getLong() == remoteFingerprint) return false;
        return true;
    }

    /**
     * This store becomes the timeline's only writer: anything still queued for it from an earlier ownership
     * is dropped, what the bucket holds is re-learned from {@code l}, and its files are brought to {@code dir}:
     * with {@code fromBucket} the local directory is replaced by the bucket's manifest and layers, else the
     * local manifest (and its logs) stay and only layers missing under it are downloaded; unless the bucket's
     * manifest is not one this store put (see {@link #UPLOADS}): then the stale local copy is replaced too.
     * Returns null, or why the timeline is damaged (then a replaced directory is removed, never half-filled).
     */
    public String attach(TimelineId id, Path dir, Listing l, boolean fromBucket) {
        epochs.merge(id, 1L, Long::sum);
        forget(id);  // known from an earlier ownership: another node may have changed it since
        learn(id, l.layers());
        try {
            if (!fromBucket && l.hasManifest() && staleCopy(id, dir)) {
                System.err.println("pagestore: local copy of timeline " + id + " is older than the manifest another node put in "
                        + remote.describe() + "; replacing it with the bucket's");
                fromBucket = true;
            }
        } catch (IOException e) {
            throw IoUtil.io("check of the local copy of timeline " + id + " against " + remote.describe(), e);
        }
        if (fromBucket) IoUtil.deleteTree(dir);
        String failure = bringHere(id, dir, l.hasManifest(), !fromBucket, false);
        if (failure != null && fromBucket) IoUtil.deleteTree(dir);
        IoUtil.fsyncDir(timelinesDir);
        return failure;
    }

    /**
     * This store no longer owns these timelines: tasks queued for them are dropped when the upload thread
     * reaches them (one PUT already under way still completes), and what the bucket holds is forgotten.
     */
    public void release(Collection<TimelineId> ids) {
        for (TimelineId id : ids) {
            epochs.merge(id, 1L, Long::sum);
            forget(id);
        }
    }

    private long epoch(TimelineId id) { return epochs.getOrDefault(id, 0L); }

    private boolean current(UploadManifest u) { return epoch(u.id()) == u.epoch(); }

    /** A timeline whose download failed stays listed (as damaged): a placeholder manifest naming no layers. */
    private void keepDamaged(TimelineId id, Path dir) {
        if (Manifest.exists(dir)) return;
        new Manifest(id, null, 0, 0, 0, 0, 0, 0, 0, 0, 0, List.of()).write(dir);
    }

    /** Downloads a layer into {@code target}: tmp file, full verification, fsync, rename. @throws StorageException.Corruption */
    private void download(TimelineId id, Path target, long size) {
        String key = key(id, target.getFileName().toString());
        Path tmp = target.resolveSibling(target.getFileName() + ".download.tmp");
        try {
            remote.get(key, tmp);
            LayerFile check = null;
            try {
                check = LayerFile.open(tmp, id, size);
                check.verifyAll();
            } catch (StorageException.Corruption e) {
                throw new StorageException.Corruption("object " + key + " in " + remote.describe() + " is damaged: " + e.getMessage(), e);
            } finally {
                if (check != null) check.close();
            }
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ch.force(true);
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            IoUtil.fsyncDir(target.getParent());
        } catch (IOException e) {
            throw IoUtil.io("download of " + key, e);
        } finally {
            try { Files.deleteIfExists(tmp); } catch (IOException ignored) { }
        }
    }

    /** Downloads an evicted layer whole and verifies it again. */
    private void fetch(LayerFile l) {
        download(timelineOf(l), l.path(), l.fileSize());
        enqueue(new Evict());  // the download may have pushed the cache over its bound
    }

    private static TimelineId timelineOf(LayerFile l) {
        return new TimelineId(l.path().getParent().getFileName().toString());
    }

    /** Waits until the background downloads of missed layers queued so far are done (benchmarks, tests). */
    public void awaitRestores() {
        try {
            downloader.submit(() -> {}).get();  // one FIFO thread: everything queued before it has run
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // closed
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException(e);
        }
    }

    private void restoreSoon(LayerFile l) {
        if (closed || !restoring.add(l)) return;
        try {
            downloader.execute(() -> {
                try {
                    l.ensureLocal();
                } catch (RuntimeException e) {  // reads stay remote (and checked); verify() reports a damaged object
                    if (!closed) System.err.println("pagestore: background download of " + l.path() + " failed: " + e.getMessage());
                } finally {
                    restoring.remove(l);
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            restoring.remove(l);
        }
    }

    /** After recovery: re-uploads what a crash may have left behind and starts the upload thread. */
    public void start(Map<TimelineId, Path> dirs) {
        for (var e : dirs.entrySet()) {
            if (!Manifest.exists(e.getValue())) continue;
            try {
                Manifest m = Manifest.read(e.getValue());
                manifestWritten(e.getKey(), e.getValue(), m);
            } catch (StorageException ignored) {
                // damaged locally: nothing trustworthy to upload
            }
        }
        enqueue(new Evict());
        uploader.start();
    }

    // ---------------------------------------------------------------- uploads

    /** Called after the manifest was durably written locally (under the timeline's layer lock, so in order). */
    public void manifestWritten(TimelineId id, Path dir, Manifest m) {
        enqueue(new UploadManifest(id, dir, m, m.encode(), epoch(id)));
    }

    /** The timeline's directory is gone locally: remove its manifest first, then its layers. */
    public void timelineDeleted(TimelineId id) {
        enqueue(new DeleteTimeline(id, epoch(id)));
    }

    private void enqueue(Task t) {
        synchronized (idle) {
            pending++;
            TimelineId id = timelineOf(t);
            if (id != null) pendingByTimeline.merge(id, 1, Integer::sum);
        }
        queue.add(t);
    }

    private static TimelineId timelineOf(Task t) {
        return switch (t) {
            case UploadManifest u -> u.id();
            case DeleteTimeline d -> d.id();
            case Evict e -> null;
        };
    }

    private void done(TimelineId id) {
        synchronized (idle) {
            pending--;
            if (id != null) pendingByTimeline.computeIfPresent(id, (k, n) -> n > 1 ? n - 1 : null);
            idle.notifyAll();
        }
    }

    /**
     * Counts work that will queue an upload of {@code id} (a flush scheduled on another thread) as pending
     * until {@link #workDone}, so {@link #awaitUploads} does not return before that upload is queued.
     */
    public void workStarted(TimelineId id) {
        synchronized (idle) {
            pending++;
            pendingByTimeline.merge(id, 1, Integer::sum);
        }
    }

    public void workDone(TimelineId id) { done(id); }

    /**
     * Waits until everything queued so far for these timelines is in the bucket (or dropped by a release).
     * @throws StorageException if that takes longer than {@code timeout} (with the last upload error)
     */
    public void awaitUploads(Collection<TimelineId> ids, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (idle) {
            while (true) {
                int n = 0;
                for (TimelineId id : ids) n += pendingByTimeline.getOrDefault(id, 0);
                if (n == 0) return;
                long left = deadline - System.nanoTime();
                if (left <= 0)
                    throw new StorageException(n + " uploads of timelines " + ids + " to " + remote.describe() + " still pending after "
                            + timeout + (lastError == null ? "" : "; last error: " + lastError));
                waitIdle(left);
            }
        }
    }

    private void waitIdle(long leftNanos) {
        try {
            idle.wait(Math.max(1, leftNanos / 1_000_000));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StorageException("interrupted while waiting for uploads");
        }
    }

    /**
     * Bytes queued for upload and not in the bucket yet: the manifests and the layers they name that are
     * not uploaded (each counted once). Approximate while the upload thread moves on.
     */
    public long pendingBytes() {
        List<Task> tasks = new ArrayList<>();
        Task r = running;
        if (r != null) tasks.add(r);
        tasks.addAll(queue);
        Set<String> counted = new HashSet<>();
        long bytes = 0;
        for (Task t : tasks) {
            if (!(t instanceof UploadManifest u) || !current(u)) continue;
            bytes += u.bytes().length;
            for (Manifest.LayerRef ref : u.manifest().layers()) {
                String k = key(u.id(), ref.name());
                if (!uploaded.contains(k) && counted.add(k)) bytes += ref.size();
            }
        }
        return bytes;
    }

    /**
     * Waits until everything written so far is in the bucket.
     * @throws StorageException if that takes longer than {@code timeout} (with the last upload error)
     */
    public void awaitUploads(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (idle) {
            while (pending > 0) {
                long left = deadline - System.nanoTime();
                if (left <= 0)
                    throw new StorageException(pending + " uploads to " + remote.describe() + " still pending after " + timeout
                            + (lastError == null ? "" : "; last error: " + lastError));
                waitIdle(left);
            }
        }
    }

    /** Uploads not yet done (manifests, deletions, eviction rounds). */
    public int pendingUploads() {
        synchronized (idle) {
            return pending;
        }
    }

    /** The last upload failure (retried), or null. */
    public String lastError() { return lastError; }

    /**
     * Cluster mode: the uploader writes and deletes objects only while {@code gate} answers true, and otherwise
     * holds its queue (retrying with backoff). A node whose leases may have expired (it could not confirm them
     * in time, e.g. after a long pause) must not overwrite what the next owner of its timelines writes; once it
     * learns it lost them, {@code release} drops what it had queued.
     */
    public void setWriteGate(java.util.function.BooleanSupplier gate) { this.writeGate = gate; }

    private void checkWriteGate() {
        if (!writeGate.getAsBoolean()) throw new GateClosed("writes to " + remote.describe() + " held: this node's ownership is not confirmed");
    }

    /** Not a failure of the bucket: the task waits, polled often, without growing the retry backoff. */
    private static final class GateClosed extends IllegalStateException {
        GateClosed(String message) { super(message); }
    }

    public boolean isUploaded(TimelineId id, String layerName) { return uploaded.contains(key(id, layerName)); }

    private void run() {
        long backoff = 100;
        while (!closed) {
            Task t;
            try {
                t = queue.take();
            } catch (InterruptedException e) {
                return;
            }
            running = t;
            while (true) {
                try {
                    execute(t);
                    lastError = null;
                    backoff = 100;
                    break;
                } catch (GateClosed g) {
                    lastError = g.getMessage();
                    try {
                        Thread.sleep(200);
                    } catch (InterruptedException ie) {
                        return;
                    }
                    if (closed) return;
                } catch (RuntimeException e) {
                    lastError = e.getMessage();
                    System.err.println("pagestore: remote storage task failed, retrying in " + backoff + " ms: " + e.getMessage());
                    try {
                        Thread.sleep(backoff);
                    } catch (InterruptedException ie) {
                        return;
                    }
                    backoff = Math.min(backoff * 2, 30_000);
                    if (closed) return;
                }
            }
            running = null;
            done(timelineOf(t));
        }
    }

    private void execute(Task t) {
        switch (t) {
            case UploadManifest u -> upload(u);
            case DeleteTimeline d -> {
                if (epoch(d.id()) == d.epoch()) {
                    checkWriteGate();
                    deleteRemote(d.id());
                }
            }
            case Evict e -> evictToBound();
        }
    }

    private void upload(UploadManifest u) {
        for (Manifest.LayerRef ref : u.manifest().layers()) {
            String key = key(u.id(), ref.name());
            if (!current(u)) return;  // released: another node may own it now
            if (uploaded.contains(key)) continue;
            checkWriteGate();
            Path p = u.dir().resolve(ref.name());
            try {
                remote.put(key, p);
            } catch (RuntimeException e) {
                // GC or delete removed it (before or during the PUT): a newer manifest (or a delete) is queued behind us
                if (!Files.exists(p)) return;
                throw e;
            }
            uploaded.add(key);
        }
        if (!current(u)) return;
        checkWriteGate();
        if (!noteUpload(u.dir(), u.bytes())) return;
        remote.put(key(u.id(), Manifest.FILE), u.bytes());
        Set<String> names = remoteNames.computeIfAbsent(u.id(), x -> ConcurrentHashMap.newKeySet());
        Set<String> now = new HashSet<>();
        for (Manifest.LayerRef ref : u.manifest().layers()) now.add(ref.name());
        for (String n : List.copyOf(names))
            if (!now.contains(n)) {  // dropped by GC, compaction or detach: nothing names it any more
                if (!current(u)) return;
                checkWriteGate();
                remote.delete(key(u.id(), n));
                uploaded.remove(key(u.id(), n));
                names.remove(n);
            }
        names.addAll(now);
        evictToBound();
    }

    private void deleteRemote(TimelineId id) {
        remote.delete(key(id, Manifest.FILE));  // gone from the bucket's view first
        for (String k : remote.list(ROOT + id.value() + "/")) {
            remote.delete(k);
            uploaded.remove(k);
        }
        remoteNames.remove(id);
    }

    // ---------------------------------------------------------------- eviction

    /** Evicts least recently read uploaded layers until the local layer bytes fit the bound. Returns bytes evicted. */
    public synchronized long evictToBound() {
        return evict(cacheBytes);
    }

    /** Evicts every uploaded layer (benchmarks, tests: a cold cache). Returns bytes evicted. */
    public synchronized long evictAll() {
        return evict(0);
    }

    private long evict(long bound) {
        record Resident(LayerFile layer, long lastUse) {}  // lastUse snapshotted: readers move it during the sort
        List<Resident> resident = new ArrayList<>();
        long local = 0;
        for (LayerFile l : localLayers.get()) {
            if (l.isEvicted() || l.isRetired()) continue;
            local += l.fileSize();
            resident.add(new Resident(l, l.lastUse()));
        }
        if (local <= bound) return 0;
        resident.sort(Comparator.comparingLong(Resident::lastUse));
        long freed = 0;
        for (Resident r : resident) {
            LayerFile l = r.layer();
            if (local - freed <= bound) break;
            if (!isUploaded(timelineOf(l), l.name())) continue;  // the only copy
            if (l.evict(fetcher)) freed += l.fileSize();
        }
        return freed;
    }

    /** Local bytes of resident (not evicted) layer files. */
    public long residentBytes() {
        long b = 0;
        for (LayerFile l : localLayers.get()) if (!l.isEvicted() && !l.isRetired()) b += l.fileSize();
        return b;
    }

    /** Stops the upload thread after at most {@code drain} of waiting for pending uploads, then closes the remote storage. */
    public void close(Duration drain) {
        try {
            awaitUploads(drain);
        } catch (StorageException e) {
            System.err.println("pagestore: closing with uploads pending: " + e.getMessage());
        }
        closed = true;
        downloader.shutdownNow();
        uploader.interrupt();
        try {
            uploader.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        remote.close();  // the store owns it (RemoteLayerConfig hands it over)
    }

    @Override public void close() { close(Duration.ofSeconds(30)); }
}
