package dev.arbor.backend.compute.volume;

import dev.arbor.storage.BranchPoint;
import dev.arbor.storage.DirEntry;
import dev.arbor.storage.FileAttr;
import dev.arbor.storage.FileTree;
import dev.arbor.storage.StorageException;
import dev.arbor.storage.TimelineId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A read-write endpoint's {@code pg_wal}, on the local disk while postgres runs, mirrored into the branch's timeline.
 * <p>A commit is postgres' own write and fdatasync of its WAL file, as on a plain data directory: no FUSE round trip
 * (which cost a commit 1.4-1.5x native's, and held rw TPS near 0.7 of native). The store still holds the whole
 * data directory: this class copies new WAL into the timeline's {@code /pg_wal} (a page is taken once its header says
 * it belongs there: PostgreSQL's page address, so zero-filled and recycled pages are skipped), and it does so
 * <em>before</em> any other change reaches the store (the volume calls {@link #catchUp()} first), so every state of
 * the timeline holds the WAL of every data page in it: a branch at any point is a crash image postgres recovers from.
 * It also copies every {@value #COPY_INTERVAL} ms (a branch at a past time is read a little later: {@link #covering}),
 * before a branch is taken at the head ({@link #flush()}), and when the endpoint stops. After a crash of the server the directory is
 * still there and is copied in before anything else uses the timeline ({@link #recover}).
 */
public final class LocalWal implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(LocalWal.class);
    public static final String STORE_DIR = "/pg_wal";
    static final int PAGE = 8192;
    static final long SEGMENT = 16L << 20;
    /** Milliseconds between copies of the current segment (the directory is compared in full every second). */
    public static final long COPY_INTERVAL = 10;
    /** How much later than asked a time is read, for a copy a little late (see {@link #covering}). */
    public static final long COVER_MILLIS = 25;
    private static final Pattern SEGMENT_NAME = Pattern.compile("[0-9A-F]{24}");
    private static final String PREFIX = "wal-";
    private static final long SEGMENTS_PER_LOG = 0x1_0000_0000L / SEGMENT;

    private final FileTree tree;
    private final Path dir;
    private final Map<String, Segment> segments = new HashMap<>();
    private final Map<String, Long> others = new HashMap<>();  // non-segment file -> mtime+size copied
    private Segment current;
    private volatile boolean closed;
    private final Thread ticker;
    // Reused by every copy (they hold the monitor): allocating them per call was most of an idle endpoint's 100 copies a second.
    private final ByteBuffer pagesBuf = ByteBuffer.allocate(64 * PAGE).order(ByteOrder.LITTLE_ENDIAN);
    private final ByteBuffer storedBuf = ByteBuffer.allocate(PAGE);

    /** What of one segment file is in the store: pages [0, valid) as of the last copy; from {@code recheck} on, read again. */
    private static final class Segment {
        final String name;
        final long startLsn;
        long inode = -1;
        int valid, recheck;

        Segment(String name) {
            this.name = name;
            this.startLsn = segno(name) * SEGMENT;
        }
    }

    private LocalWal(FileTree tree, Path dir) {
        this.tree = tree;
        this.dir = dir;
        this.ticker = Thread.ofVirtual().name("local-wal-" + tree.timeline()).unstarted(this::tick);
    }

    /**
     * Makes {@code dir} postgres' pg_wal for {@code tree}: a leftover of a crashed run is copied in first, then the
     * segments recovery needs (from the last checkpoint's redo point on, found in pg_control) and the other files are
     * copied out of the store, owned by {@code owner}.
     */
    public static LocalWal open(FileTree tree, Path dir, OsAccount owner) throws IOException {
        recover(tree, dir);
        // Filled under another name, then renamed (durably): a crash while copying out leaves only a .tmp directory,
        // which is dropped, never copied back in over the store's WAL.
        Path tmp = dir.resolveSibling(dir.getFileName() + ".tmp");
        deleteTree(tmp);
        Files.createDirectories(tmp);
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwx------"));
        LocalWal w = new LocalWal(tree, tmp);
        w.seed(owner);
        chownTree(tmp, owner);
        Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
        fsyncDir(dir.getParent());
        LocalWal opened = new LocalWal(tree, dir, w);
        opened.ticker.start();
        return opened;
    }

    private LocalWal(FileTree tree, Path dir, LocalWal seeded) {
        this(tree, dir);
        segments.putAll(seeded.segments);
        others.putAll(seeded.others);
        current = seeded.current;
    }

    /** Where the local WAL of {@code timeline}'s endpoint lives inside that endpoint's directory {@code root}. */
    public static Path dirFor(Path root, TimelineId timeline) {
        return root.resolve(PREFIX + timeline);
    }

    /**
     * What crashed runs left in an endpoint's directory {@code root}: each {@code wal-<timeline>} is copied into its
     * timeline ({@link #recover}); one whose timeline is gone ({@code trees} throws NotFound), and a {@code .tmp} one
     * (a copy-out a crash interrupted), is deleted.
     */
    public static void recoverAll(Path root, java.util.function.Function<TimelineId, FileTree> trees) throws IOException {
        if (!Files.isDirectory(root)) return;
        List<Path> dirs;
        try (Stream<Path> s = Files.list(root)) {
            dirs = s.filter(p -> p.getFileName().toString().startsWith(PREFIX)).toList();
        }
        for (Path d : dirs) {
            String name = d.getFileName().toString();
            FileTree tree = null;
            if (!name.endsWith(".tmp")) {
                var tl = new TimelineId(name.substring(PREFIX.length()));
                try {
                    tree = trees.apply(tl);
                } catch (StorageException.NotFound e) {
                    log.warn("dropping {}: timeline {} is gone", d, tl);
                }
            }
            if (tree != null) recover(tree, d);
            else deleteTree(d);
        }
    }

    private static void fsyncDir(Path d) throws IOException {
        try (FileChannel ch = FileChannel.open(d, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }

    /** A directory a crashed run left: copied into {@code tree} in full, made durable, then removed. */
    public static void recover(FileTree tree, Path dir) throws IOException {
        if (!Files.isDirectory(dir)) return;
        LocalWal w = new LocalWal(tree, dir);
        w.copyAll();
        tree.sync();
        deleteTree(dir);
        log.info("copied the WAL a previous run left in {} into timeline {}", dir, tree.timeline());
    }

    public Path dir() { return dir; }

    /**
     * Copies what postgres wrote to its current segment since the last copy, and to the segments after it once they
     * hold WAL (postgres creates segments ahead, zero-filled or recycled: those hold no valid page yet).
     */
    public synchronized void catchUp() {
        if (closed) return;
        try {
            if (current == null) {
                copyAll();
                return;
            }
            copySegment(current);
            while (true) {
                String name = nextName(current.name);
                if (!Files.exists(dir.resolve(name))) break;
                Segment next = segments.computeIfAbsent(name, Segment::new);
                if (!copySegment(next) || next.valid == 0) break;
                current = next;
            }
        } catch (IOException e) {
            throw new StorageException("copy of WAL from " + dir + " failed: " + e, e);
        }
    }

    /** Everything postgres wrote so far is in the store and durable. */
    public synchronized void flush() {
        if (closed) return;
        try {
            copyAll();
        } catch (IOException e) {
            throw new StorageException("copy of WAL from " + dir + " failed: " + e, e);
        }
        tree.sync();
    }

    /** After postgres stopped: copies the rest, syncs and removes the directory. */
    @Override
    public void close() {
        synchronized (this) {  // a copy of the ticker's finishes first; the ticker then sees closed and ends
            if (closed) return;
            try {
                copyAll();
                tree.sync();
                closed = true;
                deleteTree(dir);
            } catch (IOException | RuntimeException e) {
                closed = true;
                log.error("WAL of timeline {} stays in {} (copied in at the next start): {}", tree.timeline(), dir, e.toString());
            }
        }
    }

    /** Test hook for this process dying: copying stops, the directory stays as it is. */
    public void abandonForTesting() {
        closed = true;
    }

    private void tick() {
        long lastFull = System.nanoTime();
        while (!closed) {
            try {
                Thread.sleep(COPY_INTERVAL);
                boolean full = System.nanoTime() - lastFull > 1_000_000_000L;
                synchronized (this) {
                    if (closed) return;
                    if (full) copyAll();
                    else catchUp();
                }
                if (full) lastFull = System.nanoTime();
            } catch (InterruptedException e) {
                return;
            } catch (IOException | RuntimeException e) {
                if (closed) return;
                if (!Files.isDirectory(dir)) {  // taken over (a restarted server copied it in): nothing left to copy
                    log.warn("WAL directory {} is gone; stopped copying it", dir);
                    closed = true;
                    return;
                }
                log.warn("copy of WAL from {} failed (retried): {}", dir, e.toString());
            }
        }
    }

    /**
     * A point in time as the store must be read to hold every commit acknowledged by then: WAL reaches the store
     * within {@link #COPY_INTERVAL} ms of postgres writing it, so a time is read {@link #COVER_MILLIS} later; it may
     * then hold the commits of those milliseconds too, and it misses a commit only if its copy came later than that
     * (a pause of this process). A time that recent is read after {@link #flush()} (see {@link #isRecent}).
     */
    public static BranchPoint covering(BranchPoint point) {
        if (!(point instanceof BranchPoint.AtTime(var t))) return point;
        java.time.Instant later = t.plusMillis(COVER_MILLIS), now = java.time.Instant.now();
        return BranchPoint.at(later.isAfter(now) ? (t.isAfter(now) ? t : now) : later);  // the store refuses the future
    }

    /** Whether reading {@code point} needs the running endpoint's newest WAL: the head, or a time that recent. */
    public static boolean isRecent(BranchPoint point) {
        return point instanceof BranchPoint.Head
                || point instanceof BranchPoint.AtTime(var t) && t.plusMillis(COVER_MILLIS).isAfter(java.time.Instant.now());
    }

    // ------------------------------------------------------------------ store -> local

    private void seed(OsAccount owner) throws IOException {
        ensureStoreDir();
        long redoSegment = redoSegment();
        for (DirEntry e : tree.list(STORE_DIR)) {
            Path local = dir.resolve(e.name());
            if (e.directory()) {
                Files.createDirectories(local);
                continue;
            }
            FileAttr a = tree.stat(STORE_DIR + "/" + e.name());
            if (SEGMENT_NAME.matcher(e.name()).matches() && a.size() == SEGMENT) {
                Segment s = new Segment(e.name());
                // recovery starts later (the first copy drops it from the store), or nothing written yet (a segment
                // made or recycled ahead: postgres makes its own)
                if (s.startLsn / SEGMENT < redoSegment || !holdsWal(a, s)) continue;
                s.valid = copyOut(a, local, s.startLsn);
                s.recheck = Math.max(s.valid - 1, 0);
                s.inode = a.inode();
                segments.put(s.name, s);
                if (s.valid > 0 && (current == null || s.name.compareTo(current.name) > 0)) current = s;
            } else {
                copyOut(a, local, -1);
                try (FileChannel ch = FileChannel.open(local, StandardOpenOption.WRITE)) {
                    ch.force(true);  // a segment's pages are checked when copied back in; a history file's are not
                }
                others.put(e.name(), stamp(local));
            }
        }
        Files.createDirectories(dir.resolve("archive_status"));
    }

    /** The segment number of the last checkpoint's redo point (PostgreSQL's ControlFileData: redo at byte 40), or 0. */
    private long redoSegment() {
        try {
            FileAttr a = tree.stat("/global/pg_control");
            ByteBuffer b = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
            tree.read(a.inode(), 0, b);
            long checkpoint = b.getLong(32), redo = b.getLong(40);
            return redo > 0 && redo <= checkpoint ? redo / SEGMENT : 0;
        } catch (StorageException.NotFound e) {
            return 0;
        }
    }

    private boolean holdsWal(FileAttr a, Segment s) {
        ByteBuffer first = ByteBuffer.allocate(PAGE).order(ByteOrder.LITTLE_ENDIAN);
        readFully(a.inode(), 0, first);
        return valid(first, 0, s.startLsn);
    }

    /**
     * Copies a store file out, dense (postgres then writes into allocated blocks, as into the zero-filled segments it
     * makes). Not synced: it is in the store already, and postgres syncs a WAL file before it acknowledges a commit
     * in it. For a segment starting at {@code startLsn} (else -1), returns how many pages from the first are valid.
     */
    private int copyOut(FileAttr a, Path local, long startLsn) throws IOException {
        int valid = 0;
        boolean counting = startLsn >= 0;
        try (FileChannel out = FileChannel.open(local, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer buf = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
            for (long off = 0; off < a.size(); off += buf.capacity()) {
                buf.clear().limit((int) Math.min(buf.capacity(), a.size() - off));
                int n = readFully(a.inode(), off, buf);
                for (int i = 0; counting && i < buf.position() / PAGE; i++) {
                    if (valid(buf, i, startLsn + off + (long) i * PAGE)) valid++;
                    else counting = false;
                }
                buf.flip();
                while (buf.hasRemaining()) out.write(buf, off + buf.position());
                if (n <= 0) break;
            }
            if (out.size() < a.size()) out.write(ByteBuffer.allocate(1), a.size() - 1);
        }
        return valid;
    }

    // ------------------------------------------------------------------ local -> store

    /** Mirrors the whole directory: new and grown segments, other files that changed, and what postgres removed. */
    private void copyAll() throws IOException {
        ensureStoreDir();
        Set<String> present = new HashSet<>();
        List<Path> files;
        try (Stream<Path> s = Files.list(dir)) {
            files = s.sorted(Comparator.comparing(Path::toString)).toList();
        }
        for (Path p : files) {
            String name = p.getFileName().toString();
            if (name.startsWith("xlogtemp.")) continue;  // a segment being made: it appears under its name when done
            if (Files.isDirectory(p)) {
                present.add(name);
                if (!tree.exists(STORE_DIR + "/" + name)) tree.mkdir(STORE_DIR + "/" + name, 0700);
                continue;
            }
            long size;
            try {
                size = Files.size(p);
            } catch (NoSuchFileException e) {
                continue;  // removed while listed
            }
            present.add(name);
            if (SEGMENT_NAME.matcher(name).matches() && size == SEGMENT) {
                Segment s = segments.computeIfAbsent(name, Segment::new);
                copySegment(s);
                if (s.valid > 0 && (current == null || name.compareTo(current.name) > 0)) current = s;
            } else {
                Long st = stamp(p);
                if (!st.equals(others.get(name))) {
                    copyWhole(p, STORE_DIR + "/" + name);
                    others.put(name, st);
                }
            }
        }
        for (DirEntry e : tree.list(STORE_DIR)) {
            if (present.contains(e.name())) continue;
            if (e.directory()) removeStoreDir(STORE_DIR + "/" + e.name());
            else tree.unlink(STORE_DIR + "/" + e.name());
            segments.remove(e.name());
            others.remove(e.name());
        }
    }

    /**
     * Copies the valid pages of a segment written since the last copy. Pages from {@code recheck} on are compared with
     * the store again: the newest page grows at each flush, and a page read while postgres wrote it may be torn;
     * postgres never rewrites a page once a later one is written, so a page found unchanged after the copy that
     * followed its change is final. Returns false if the local file is gone.
     */
    private boolean copySegment(Segment s) throws IOException {
        Path p = dir.resolve(s.name);
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
            if (s.inode < 0) s.inode = storeSegment(s.name);
            int pages = (int) (SEGMENT / PAGE), chunk = 2;  // mostly the page being filled and the (empty) next one
            int page = Math.min(s.recheck, Math.max(s.valid - 1, 0)), firstChanged = -1;
            ByteBuffer buf = pagesBuf, stored = storedBuf;
            boolean end = false;
            while (!end && page < pages) {
                buf.clear().limit(Math.min(chunk, pages - page) * PAGE);
                while (buf.hasRemaining() && ch.read(buf, (long) page * PAGE + buf.position()) > 0) { }
                int got = buf.position() / PAGE, run = -1;
                for (int i = 0; i <= got; i++) {
                    int k = page + i;
                    boolean ok = i < got && valid(buf, i, s.startLsn + (long) k * PAGE);
                    boolean changed = ok;
                    if (ok) {  // only what differs from the store's copy goes in (again)
                        stored.clear();
                        readFully(s.inode, (long) k * PAGE, stored);
                        changed = !Arrays.equals(buf.array(), i * PAGE, (i + 1) * PAGE, stored.array(), 0, PAGE);
                    }
                    if (changed && run < 0) run = i;
                    if (!changed && run >= 0) {
                        tree.write(s.inode, (long) (page + run) * PAGE, ByteBuffer.wrap(buf.array(), run * PAGE, (i - run) * PAGE));
                        if (firstChanged < 0) firstChanged = page + run;
                        run = -1;
                    }
                    if (ok) s.valid = Math.max(s.valid, k + 1);
                    else if (i < got) end = true;
                    if (end) break;
                }
                if (got < Math.min(chunk, pages - page)) break;
                page += got;
                chunk = Math.min(chunk * 4, 64);
            }
            s.recheck = firstChanged >= 0 ? firstChanged : Math.max(s.valid - 1, 0);
            return true;
        } catch (NoSuchFileException e) {
            return false;
        }
    }

    /** Fills {@code dst} from the store file (reads may stop at block boundaries); returns the bytes read. */
    private int readFully(long inode, long offset, ByteBuffer dst) {
        int total = 0;
        while (dst.hasRemaining()) {
            int n = tree.read(inode, offset + total, dst);
            if (n <= 0) break;
            total += n;
        }
        return total;
    }

    /** A WAL page that belongs at {@code lsn}: its header's magic is set and its page address is {@code lsn}. */
    static boolean valid(ByteBuffer buf, int i, long lsn) {
        int at = i * PAGE;
        return buf.getShort(at) != 0 && buf.getLong(at + 8) == lsn;
    }

    private long storeSegment(String name) {
        FileAttr a = storeFile(STORE_DIR + "/" + name);
        if (a.size() != SEGMENT) tree.truncate(a.inode(), SEGMENT);
        return a.inode();
    }

    /** The store's file at {@code path}, created empty if missing. */
    private FileAttr storeFile(String path) {
        try {
            return tree.stat(path);
        } catch (StorageException.NotFound e) {
            return tree.create(path, 0600);
        }
    }

    private void copyWhole(Path local, String path) throws IOException {
        byte[] data;
        try {
            data = Files.readAllBytes(local);
        } catch (NoSuchFileException e) {
            return;
        }
        FileAttr a = storeFile(path);
        tree.truncate(a.inode(), 0);
        if (data.length > 0) tree.write(a.inode(), 0, ByteBuffer.wrap(data));
    }

    private void removeStoreDir(String path) {
        for (DirEntry e : tree.list(path)) {
            if (e.directory()) removeStoreDir(path + "/" + e.name());
            else tree.unlink(path + "/" + e.name());
        }
        tree.rmdir(path);
    }

    private void ensureStoreDir() {
        if (!tree.exists(STORE_DIR)) tree.mkdir(STORE_DIR, 0700);
    }

    /** The segment number in a WAL file name: timeline (8 hex digits), then log and segment (8 each). */
    private static long segno(String name) {
        return Long.parseLong(name.substring(8, 16), 16) * SEGMENTS_PER_LOG + Long.parseLong(name.substring(16, 24), 16);
    }

    static String nextName(String segment) {
        long next = segno(segment) + 1;
        return String.format("%s%08X%08X", segment.substring(0, 8), next / SEGMENTS_PER_LOG, next % SEGMENTS_PER_LOG);
    }

    private static Long stamp(Path p) throws IOException {
        return Files.getLastModifiedTime(p).toMillis() * 31 + Files.size(p);
    }

    private static void chownTree(Path dir, OsAccount owner) throws IOException {
        if (!OsAccount.current().isRoot()) return;
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                Files.setAttribute(p, "unix:uid", owner.uid());
                Files.setAttribute(p, "unix:gid", owner.gid());
            }
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) return;
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) s.sorted(Comparator.reverseOrder())::iterator) Files.deleteIfExists(p);
        }
    }
}
