package dev.arbor.storage;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.*;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * Drives thousands of random, interleaved operations against the store and a trivially correct model
 * (a full copy of every timeline's tree after every change) and compares every read, including time
 * travel, branches at head/LSN/time, compaction, GC, detach and restarts after simulated power loss.
 * Replay a failure with {@code -Dstorage.seed=<seed>} (and {@code -Dstorage.ops=<n>}).
 */
class PageStoreModelTest {
    @TempDir Path dir;

    record MFile(boolean dir, byte[] data, int mode) {}

    static final class MTimeline {
        final TimelineId id;
        final boolean shortWindow;
        final List<Long> lsns = new ArrayList<>();
        final List<Map<String, MFile>> states = new ArrayList<>();
        int syncedIdx;
        long floor;
        boolean detached;

        MTimeline(TimelineId id, boolean shortWindow) {
            this.id = id;
            this.shortWindow = shortWindow;
        }

        Map<String, MFile> head() { return states.getLast(); }

        Map<String, MFile> at(long lsn) {
            for (int i = lsns.size() - 1; i >= 0; i--) if (lsns.get(i) <= lsn) return states.get(i);
            throw new AssertionError("model has no state at " + lsn);
        }

        void record(long lsn, Map<String, MFile> s) {
            if (lsn == lsns.getLast()) {  // no record written (e.g. rename onto itself)
                assertThat(s).as("state changed without a new LSN").isEqualTo(head());
                return;
            }
            assertThat(lsn).isGreaterThan(lsns.getLast());
            lsns.add(lsn);
            states.add(s);
        }
    }

    record Mark(Instant time, Map<TimelineId, Long> lsnOf) {}

    private PageStore store;
    private Random rnd;
    private final Map<TimelineId, MTimeline> model = new LinkedHashMap<>();
    private final Map<TimelineId, TimelineId> parents = new HashMap<>();
    private final List<Mark> marks = new ArrayList<>();
    private final ArrayDeque<String> trace = new ArrayDeque<>();
    /** A clock the test advances by hand, so a seed replays exactly. */
    private final java.util.concurrent.atomic.AtomicLong clockMillis = new java.util.concurrent.atomic.AtomicLong(1_700_000_000_000L);
    private final StoreConfig config = StoreConfig.defaults().withOpenLayerBytes(48 * 1024).withImageThreshold(2)
            .withClock(() -> Instant.ofEpochMilli(clockMillis.get()));

    @Test void randomizedOperationsMatchTheModel() {
        long seed = Long.getLong("storage.seed", new Random().nextLong());
        int ops = Integer.getInteger("storage.ops", 3000);
        try {
            run(seed, ops);
        } catch (Throwable e) {
            AssertionError err = new AssertionError("model test failed with seed " + seed + " (replay with -Dstorage.seed=" + seed
                    + "); last operations:\n  " + String.join("\n  ", trace) + "\n" + e, e);
            System.err.println(err.getMessage());
            throw err;
        } finally {
            if (store != null) store.close();
        }
        System.out.println("PageStoreModelTest seed " + seed + ": " + ops + " operations matched the model");
    }

    private void log(String s) {
        trace.addLast(s);
        if (trace.size() > Integer.getInteger("storage.trace", 40)) trace.removeFirst();
    }

    private void run(long seed, int ops) throws Exception {
        rnd = new Random(seed);
        store = PageStore.open(dir, config);
        newRoot(false);
        for (int i = 0; i < ops; i++) {
            clockMillis.addAndGet(rnd.nextInt(3));
            int op = rnd.nextInt(100);
            MTimeline t = pick();
            if (op < 30) write(t);
            else if (op < 40) make(t, rnd.nextInt(3) == 0);
            else if (op < 45) truncate(t);
            else if (op < 50) rename(t);
            else if (op < 55) remove(t);
            else if (op < 57) chmod(t);
            else if (op < 63) sync(t);
            else if (op < 69) branch(t);
            else if (op < 76) readAtLsn(t);
            else if (op < 79) compact(t);
            else if (op < 81) gc();
            else if (op < 83) detach(t);
            else if (op < 86) crashAndReopen();
            else if (op < 87) deleteLeaf();
            else if (op < 88) newRoot(rnd.nextBoolean());
            else if (op < 90) mark();
            else compareHead(t);
        }
        for (MTimeline t : model.values()) compareHead(t);
        crashAndReopen();
        store.gc();
        for (MTimeline t : model.values()) compareHead(t);
    }

    private MTimeline pick() {
        List<MTimeline> all = new ArrayList<>(model.values());
        return all.get(rnd.nextInt(all.size()));
    }

    private void newRoot(boolean shortWindow) {
        TimelineId id = store.createTimeline(shortWindow ? Duration.ofMillis(30) : null);
        MTimeline m = new MTimeline(id, shortWindow);
        Map<String, MFile> s = new HashMap<>();
        s.put("/", new MFile(true, null, 0755));
        m.lsns.add(store.info(id).headLsn().value());
        m.states.add(s);
        m.syncedIdx = 0;
        model.put(id, m);
        log("root " + id + (shortWindow ? " (30 ms window)" : ""));
    }

    // ------------------------------------------------------------ tree operations

    private static String parentOf(String p) {
        int i = p.lastIndexOf('/');
        return i == 0 ? "/" : p.substring(0, i);
    }

    private String randomDir(Map<String, MFile> s) {
        List<String> dirs = s.entrySet().stream().filter(e -> e.getValue().dir()).map(Map.Entry::getKey).sorted().toList();
        return dirs.get(rnd.nextInt(dirs.size()));
    }

    private String randomCandidate(Map<String, MFile> s) {
        String d = randomDir(s);
        String name = List.of("a", "b", "c", "d1", "d2", "e").get(rnd.nextInt(6));
        return d.equals("/") ? "/" + name : d + "/" + name;
    }

    private String randomExisting(Map<String, MFile> s, boolean includeRoot) {
        List<String> all = s.keySet().stream().filter(p -> includeRoot || !p.equals("/")).sorted().toList();
        return all.isEmpty() ? null : all.get(rnd.nextInt(all.size()));
    }

    private String randomFile(Map<String, MFile> s) {
        List<String> files = s.entrySet().stream().filter(e -> !e.getValue().dir()).map(Map.Entry::getKey).sorted().toList();
        return files.isEmpty() ? null : files.get(rnd.nextInt(files.size()));
    }

    private void expect(Class<? extends StorageException> expected, Runnable r, String what) {
        try {
            r.run();
            if (expected != null) fail(what + ": expected " + expected.getSimpleName() + " but it succeeded");
        } catch (StorageException e) {
            if (expected == null || !expected.isInstance(e)) throw new AssertionError(what + ": unexpected " + e, e);
        }
    }

    private void write(MTimeline t) {
        Map<String, MFile> s = new HashMap<>(t.head());
        String path = randomFile(s);
        if (path == null) { make(t, false); return; }
        byte[] old = s.get(path).data();
        int off = rnd.nextInt(old.length + 9000);
        int len = 1 + rnd.nextInt(rnd.nextBoolean() ? 200 : 18000);
        if (off + len > 70000) off = Math.max(0, 70000 - len);
        byte[] data = new byte[len];
        rnd.nextBytes(data);
        log("write " + t.id + " " + path + " @" + off + " +" + len);
        FileTree tree = store.fileTree(t.id);
        tree.write(tree.stat(path).inode(), off, ByteBuffer.wrap(data));
        byte[] now = Arrays.copyOf(old, Math.max(old.length, off + len));
        System.arraycopy(data, 0, now, off, len);
        s.put(path, new MFile(false, now, s.get(path).mode()));
        t.record(tree.lsn().value(), s);
    }

    private void make(MTimeline t, boolean dir) {
        Map<String, MFile> s = new HashMap<>(t.head());
        String path = randomCandidate(s);
        int mode = dir ? 0700 : 0600;
        log((dir ? "mkdir " : "create ") + t.id + " " + path);
        FileTree tree = store.fileTree(t.id);
        boolean exists = s.containsKey(path);
        expect(exists ? StorageException.AlreadyExists.class : null,
                () -> { if (dir) tree.mkdir(path, mode); else tree.create(path, mode); }, "make " + path);
        if (!exists) {
            s.put(path, new MFile(dir, dir ? null : new byte[0], mode));
            t.record(tree.lsn().value(), s);
        }
    }

    private void truncate(MTimeline t) {
        Map<String, MFile> s = new HashMap<>(t.head());
        String path = randomFile(s);
        if (path == null) return;
        byte[] old = s.get(path).data();
        int size = rnd.nextInt(old.length + 9000);
        log("truncate " + t.id + " " + path + " to " + size);
        FileTree tree = store.fileTree(t.id);
        tree.truncate(tree.stat(path).inode(), size);
        s.put(path, new MFile(false, Arrays.copyOf(old, size), s.get(path).mode()));
        t.record(tree.lsn().value(), s);
    }

    private void rename(MTimeline t) {
        Map<String, MFile> s = new HashMap<>(t.head());
        String from = randomExisting(s, false);
        if (from == null) return;
        String to = randomCandidate(s);
        log("rename " + t.id + " " + from + " -> " + to);
        FileTree tree = store.fileTree(t.id);
        MFile src = s.get(from), dst = s.get(to);
        Class<? extends StorageException> err = null;
        if (src.dir() && to.startsWith(from + "/")) err = StorageException.Conflict.class;
        else if (to.equals(from)) err = null;
        else if (dst != null && dst.dir() && !src.dir()) err = StorageException.IsADirectory.class;
        else if (dst != null && !dst.dir() && src.dir()) err = StorageException.NotADirectory.class;
        else if (dst != null && dst.dir() && s.keySet().stream().anyMatch(p -> p.startsWith(to + "/"))) err = StorageException.NotEmpty.class;
        expect(err, () -> tree.rename(from, to), "rename " + from + " -> " + to);
        if (err != null || to.equals(from)) return;
        s.remove(to);
        Map<String, MFile> moved = new HashMap<>();
        for (Iterator<Map.Entry<String, MFile>> it = s.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<String, MFile> e = it.next();
            if (e.getKey().equals(from) || e.getKey().startsWith(from + "/")) {
                moved.put(to + e.getKey().substring(from.length()), e.getValue());
                it.remove();
            }
        }
        s.putAll(moved);
        t.record(tree.lsn().value(), s);
    }

    private void remove(MTimeline t) {
        Map<String, MFile> s = new HashMap<>(t.head());
        String path = rnd.nextInt(5) == 0 ? randomCandidate(s) : randomExisting(s, false);
        if (path == null) return;
        boolean rmdir = rnd.nextBoolean();
        log((rmdir ? "rmdir " : "unlink ") + t.id + " " + path);
        FileTree tree = store.fileTree(t.id);
        MFile f = s.get(path);
        Class<? extends StorageException> err;
        if (f == null) err = StorageException.NotFound.class;
        else if (rmdir && !f.dir()) err = StorageException.NotADirectory.class;
        else if (!rmdir && f.dir()) err = StorageException.IsADirectory.class;
        else if (rmdir && s.keySet().stream().anyMatch(p -> p.startsWith(path + "/"))) err = StorageException.NotEmpty.class;
        else err = null;
        expect(err, () -> { if (rmdir) tree.rmdir(path); else tree.unlink(path); }, "remove " + path);
        if (err != null) return;
        s.remove(path);
        t.record(tree.lsn().value(), s);
    }

    private void chmod(MTimeline t) {
        Map<String, MFile> s = new HashMap<>(t.head());
        String path = randomExisting(s, true);
        int mode = rnd.nextInt(01000);
        log("chmod " + t.id + " " + path + " " + Integer.toOctalString(mode));
        FileTree tree = store.fileTree(t.id);
        tree.chmod(path, mode);
        MFile f = s.get(path);
        s.put(path, new MFile(f.dir(), f.data(), mode));
        t.record(tree.lsn().value(), s);
    }

    private void sync(MTimeline t) {
        log("sync " + t.id);
        store.fileTree(t.id).sync();
        t.syncedIdx = t.states.size() - 1;
    }

    // ------------------------------------------------------------ store operations

    private void branch(MTimeline p) {
        int kind = rnd.nextInt(3);
        TimelineId child;
        long lsn;
        Map<String, MFile> expected;
        if (kind == 0) {
            log("branch " + p.id + " at head");
            child = store.branch(p.id, BranchPoint.head());
            lsn = p.lsns.getLast();
            expected = p.head();
        } else if (kind == 1) {
            lsn = p.lsns.get(rnd.nextInt(p.lsns.size()));
            if (rnd.nextInt(4) == 0) lsn = lsn + 1 + rnd.nextInt(3);  // between records is fine too
            long l = lsn;
            long head = p.lsns.getLast();
            log("branch " + p.id + " at " + Lsn.of(lsn));
            if (lsn > head || lsn < p.floor) {
                expect(StorageException.InvalidLsn.class, () -> store.branch(p.id, BranchPoint.at(Lsn.of(l))), "branch beyond window");
                return;
            }
            try {
                child = store.branch(p.id, BranchPoint.at(Lsn.of(lsn)));
            } catch (StorageException.InvalidLsn e) {
                assertThat(p.shortWindow).as("InvalidLsn for a branch inside a 1-day window: " + e).isTrue();
                assertThat(lsn).isLessThan(store.info(p.id).windowStartLsn().value());
                return;
            }
            expected = p.at(lsn);
        } else {
            List<Mark> usable = marks.stream().filter(m -> m.lsnOf().containsKey(p.id)).toList();
            if (usable.isEmpty()) return;
            Mark m = usable.get(rnd.nextInt(usable.size()));
            log("branch " + p.id + " at time " + m.time());
            try {
                child = store.branch(p.id, BranchPoint.at(m.time()));
            } catch (StorageException.InvalidLsn e) {
                assertThat(p.shortWindow || m.lsnOf().get(p.id) < p.floor || (p.detached && m.lsnOf().get(p.id) <= p.floor)).as("InvalidLsn for a time inside the window: " + e).isTrue();
                return;
            }
            lsn = store.info(child).ancestorLsn().value();
            expected = p.at(m.lsnOf().get(p.id));
            log("  mark lsn " + Lsn.of(m.lsnOf().get(p.id)) + " history " + p.lsns.stream().map(Lsn::of).toList());
            assertThat(lsn).isLessThanOrEqualTo(Math.max(m.lsnOf().get(p.id), p.floor));
        }
        TimelineInfo info = store.info(child);
        assertThat(info.ancestor()).isEqualTo(p.id);
        assertThat(info.ancestorLsn().value()).isEqualTo(lsn);
        MTimeline c = new MTimeline(child, p.shortWindow);
        c.lsns.add(lsn);
        c.states.add(expected);
        c.floor = lsn;
        c.syncedIdx = 0;
        model.put(child, c);
        parents.put(child, p.id);
        log("  -> child " + child + " at " + Lsn.of(lsn));
        compare(store.fileTree(child), expected, "new branch " + child);
    }

    private void readAtLsn(MTimeline t) {
        int i = rnd.nextInt(t.lsns.size());
        long lsn = t.lsns.get(i);
        log("read " + t.id + " at " + Lsn.of(lsn));
        if (lsn < t.floor) {
            expect(StorageException.InvalidLsn.class, () -> store.fileTree(t.id, Lsn.of(lsn)), "read below floor");
            return;
        }
        FileTree snap;
        try {
            snap = store.fileTree(t.id, Lsn.of(lsn));
        } catch (StorageException.InvalidLsn e) {
            assertThat(t.shortWindow).as("InvalidLsn inside a 1-day window: " + e).isTrue();
            assertThat(lsn).isLessThan(store.info(t.id).windowStartLsn().value());
            return;
        }
        assertThat(snap.readOnly()).isTrue();
        compare(snap, t.states.get(i), "snapshot of " + t.id + " at " + Lsn.of(lsn));
    }

    private void compact(MTimeline t) {
        log("compact " + t.id);
        store.compact(t.id);
        t.syncedIdx = t.states.size() - 1;  // flushed layers are durable
    }

    private void gc() {
        GcResult r = store.gc();
        log("gc: " + r);
    }

    private void detach(MTimeline t) {
        if (!parents.containsKey(t.id)) return;
        boolean hasChildren = parents.containsValue(t.id);
        log("detach " + t.id + (hasChildren ? " (has children)" : ""));
        expect(hasChildren ? StorageException.Conflict.class : null, () -> store.detach(t.id), "detach");
        if (hasChildren) return;
        parents.remove(t.id);
        t.floor = store.info(t.id).headLsn().value();
        t.detached = true;
        t.syncedIdx = t.states.size() - 1;
        assertThat(store.info(t.id).ancestor()).isNull();
        // nothing of the former ancestors stays reachable
        store.timeline(t.id).forEachVersion(v -> assertThat(v.owner()).isEqualTo(t.id));
        compareHead(t);
    }

    private void deleteLeaf() {
        List<MTimeline> leaves = model.values().stream().filter(m -> !parents.containsValue(m.id)).toList();
        if (model.size() <= 1) return;
        MTimeline victim = pick();
        boolean hasChildren = parents.containsValue(victim.id);
        log("delete " + victim.id + (hasChildren ? " (has children)" : ""));
        expect(hasChildren ? StorageException.Conflict.class : null, () -> store.delete(victim.id), "delete");
        if (hasChildren || leaves.isEmpty()) return;
        model.remove(victim.id);
        parents.remove(victim.id);
        expect(StorageException.Conflict.class, () -> store.branch(victim.id, BranchPoint.head()), "branch of deleted");
        if (model.isEmpty()) newRoot(false);
    }

    private void mark() {
        clockMillis.addAndGet(1);
        Map<TimelineId, Long> lsns = new HashMap<>();
        for (MTimeline t : model.values()) lsns.put(t.id, t.lsns.getLast());
        Mark m = new Mark(Instant.ofEpochMilli(clockMillis.get()), lsns);
        clockMillis.addAndGet(1);
        marks.add(m);
        log("mark " + m.time());
    }

    private void crashAndReopen() {
        log("crash + reopen");
        Map<TimelineId, String> before = new HashMap<>();
        for (MTimeline t : model.values()) before.put(t.id, store.timeline(t.id).head() + " " + store.timeline(t.id).layerNames());
        store.crashForTesting(rnd);
        store = PageStore.open(dir, config);
        assertThat(store.damaged()).isEmpty();
        assertThat(store.timelines()).extracting(TimelineInfo::id).containsExactlyInAnyOrderElementsOf(model.keySet());
        for (MTimeline t : model.values()) {
            long head = store.info(t.id).headLsn().value();
            while (t.lsns.size() > 1 && t.lsns.getLast() > head) {
                t.lsns.removeLast();
                t.states.removeLast();
            }
            // LSNs of lost (never synced) records may be handed out again: marks name what survived
            for (Mark m : marks) m.lsnOf().computeIfPresent(t.id, (k, l) -> Math.min(l, t.lsns.getLast()));
            assertThat(t.states.size() - 1).as("synced changes of " + t.id + " survive a crash").isGreaterThanOrEqualTo(t.syncedIdx);
            t.syncedIdx = t.states.size() - 1;
            assertThat(t.lsns.getLast()).isLessThanOrEqualTo(head);
            log("  recovered " + t.id + " head " + Lsn.of(head) + " model " + Lsn.of(t.lsns.getLast()) + " parent " + parents.get(t.id)
                    + "\n     before: " + before.get(t.id) + "\n     after: " + store.timeline(t.id).layerNames());
            compareHead(t);
        }
    }

    private void compareHead(MTimeline t) {
        compare(store.fileTree(t.id), t.head(), "head of " + t.id);
        compare(store.readOnlyTree(t.id), t.head(), "read-only head of " + t.id);
    }

    private static void compare(FileTree tree, Map<String, MFile> m, String what) {
        for (Map.Entry<String, MFile> e : m.entrySet()) {
            String path = e.getKey();
            MFile f = e.getValue();
            FileAttr a;
            try {
                a = tree.stat(path);
            } catch (StorageException ex) {
                throw new AssertionError(what + ": stat " + path + ": " + ex, ex);
            }
            assertThat(a.directory()).as(what + ": " + path + " is a directory").isEqualTo(f.dir());
            assertThat(a.mode()).as(what + ": mode of " + path).isEqualTo(f.mode());
            if (f.dir()) {
                List<String> names = m.keySet().stream().filter(p -> !p.equals("/") && parentOf(p).equals(path))
                        .map(p -> p.substring(p.lastIndexOf('/') + 1)).sorted().toList();
                assertThat(tree.list(path)).as(what + ": entries of " + path).extracting(DirEntry::name).containsExactlyElementsOf(names);
            } else {
                assertThat(a.size()).as(what + ": size of " + path).isEqualTo(f.data().length);
                ByteBuffer b = ByteBuffer.allocate(f.data().length + 10);
                int n = tree.read(a.inode(), 0, b);
                assertThat(n).as(what + ": bytes read from " + path).isEqualTo(f.data().length);
                if (!Arrays.equals(Arrays.copyOf(b.array(), n), f.data()))
                    throw new AssertionError(what + ": content of " + path + " differs");
            }
        }
    }
}
