package dev.arbor.storage;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.*;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Flips bytes in and truncates layer and manifest files: the store must report the damage
 * (StorageException.Corruption, on open, on read, or from the scrub) and never serve wrong data.
 */
class CorruptionTest {
    @TempDir Path tmp;

    private final StoreConfig config = StoreConfig.defaults().withOpenLayerBytes(40 * 1024);
    private final Map<String, byte[]> original = new TreeMap<>();
    private TimelineId main, child;

    private Path buildPristine() {
        Path dir = tmp.resolve("pristine");
        Random r = new Random(7);
        try (PageStore store = PageStore.open(dir, config)) {
            main = store.createTimeline(null);
            FileTree t = store.fileTree(main);
            t.mkdir("/base", 0700);
            for (int f = 0; f < 4; f++) {
                FileAttr a = t.create("/base/" + f, 0600);
                for (int i = 0; i < 6; i++) {
                    byte[] d = new byte[8192 + r.nextInt(8192)];
                    r.nextBytes(d);
                    t.write(a.inode(), r.nextInt(30000), ByteBuffer.wrap(d));
                }
            }
            store.compact(main);  // an image layer
            FileTree tt = store.fileTree(main);
            for (int i = 0; i < 8; i++) {  // deltas above it
                byte[] d = new byte[9000];
                r.nextBytes(d);
                tt.write(tt.stat("/base/" + (i % 4)).inode(), r.nextInt(20000), ByteBuffer.wrap(d));
            }
            child = store.branch(main, BranchPoint.head());
            FileTree c = store.fileTree(child);
            byte[] d = new byte[50000];
            r.nextBytes(d);
            c.write(c.stat("/base/1").inode(), 0, ByteBuffer.wrap(d));
            store.compact(child);
            store.fileTree(main).sync();
            for (TimelineId id : List.of(main, child)) {
                FileTree x = store.fileTree(id);
                for (int f = 0; f < 4; f++) original.put(id + "/base/" + f, FileTreeTest.read(x, "/base/" + f));
            }
        }
        return dir;
    }

    private static List<Path> damageTargets(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).filter(p -> {
                String n = p.getFileName().toString();
                return n.equals("manifest") || n.startsWith("delta-") || n.startsWith("image-");
            }).sorted().toList();
        }
    }

    @Test void flippedBytesAndTruncationsAreReportedAndNeverServed() throws IOException {
        Path pristine = buildPristine();
        List<Path> targets = damageTargets(pristine);
        assertThat(targets.stream().map(p -> p.getFileName().toString()))
                .anyMatch(n -> n.startsWith("image-")).anyMatch(n -> n.startsWith("delta-")).contains("manifest");
        Random r = new Random(11);
        int cases = 0, reportedOnOpen = 0, reportedOnRead = 0, reportedByScrub = 0;
        for (Path target : targets) {
            long size = Files.size(target);
            List<long[]> damages = new ArrayList<>();
            for (int k = 0; k < 6; k++) damages.add(new long[]{0, (long) (r.nextDouble() * size)});  // flip
            damages.add(new long[]{0, 0});                     // first byte (magic / length)
            damages.add(new long[]{0, size - 1});              // last byte (footer / crc)
            damages.add(new long[]{1, size / 2});              // truncate to half
            damages.add(new long[]{1, size - 1});              // torn last byte
            for (long[] dmg : damages) {
                Path copy = tmp.resolve("case-" + cases++);
                copyTree(pristine, copy);
                Path victim = copy.resolve(pristine.relativize(target));
                if (dmg[0] == 0) flip(victim, dmg[1], r);
                else try (RandomAccessFile f = new RandomAccessFile(victim.toFile(), "rw")) { f.setLength(dmg[1]); }
                String what = (dmg[0] == 0 ? "flip at " : "truncate to ") + dmg[1] + " of " + pristine.relativize(target);
                int outcome = checkNoWrongData(copy, what);
                if (outcome == 1) reportedOnOpen++;
                else if (outcome == 2) reportedOnRead++;
                else reportedByScrub++;
            }
        }
        System.out.printf("CorruptionTest: %d damaged copies; reported on open %d, on read %d, by scrub %d%n",
                cases, reportedOnOpen, reportedOnRead, reportedByScrub);
    }

    /** 1 = damage reported on open, 2 = on a read, 3 = by the scrub. Fails if wrong data is served or nothing is reported. */
    private int checkNoWrongData(Path dir, String what) {
        try (PageStore store = PageStore.open(dir, config)) {
            boolean reportedOnOpen = !store.damaged().isEmpty();
            boolean reportedOnRead = false;
            for (TimelineId id : List.of(main, child)) {
                FileTree t;
                try {
                    t = store.fileTree(id);
                } catch (StorageException.Corruption e) {
                    reportedOnRead = true;
                    continue;
                }
                for (int f = 0; f < 4; f++) {
                    String key = id + "/base/" + f;
                    try {
                        byte[] got = FileTreeTest.read(t, "/base/" + f);
                        assertThat(got).as(what + ": " + key + " served wrong data").isEqualTo(original.get(key));
                    } catch (StorageException.Corruption e) {
                        reportedOnRead = true;
                    }
                }
            }
            if (reportedOnOpen) {
                assertThat(store.damaged().values()).allMatch(m -> !m.isBlank());
                TimelineId bad = store.damaged().keySet().iterator().next();
                assertThatThrownBy(() -> store.fileTree(bad)).isInstanceOf(StorageException.Corruption.class);
                return 1;
            }
            if (reportedOnRead) return 2;
            for (TimelineId id : List.of(main, child)) {
                try {
                    store.verify(id);
                } catch (StorageException.Corruption e) {
                    return 3;
                }
            }
            throw new AssertionError(what + ": damage went unreported");
        }
    }

    private static void flip(Path file, long pos, Random r) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.seek(pos);
            int b = f.read();
            f.seek(pos);
            f.write(b ^ (1 << r.nextInt(8)));
        }
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : s.toList()) {
                Path t = to.resolve(from.relativize(p));
                if (Files.isDirectory(p)) Files.createDirectories(t);
                else Files.copy(p, t);
            }
        }
    }

    @Test void tornLogTailIsCutOffAndNeverServed() throws IOException {
        Path dir = tmp.resolve("log");
        TimelineId id;
        try (PageStore store = PageStore.open(dir, StoreConfig.defaults())) {
            id = store.createTimeline(null);
            FileTree t = store.fileTree(id);
            FileAttr a = t.create("/f", 0600);
            t.write(a.inode(), 0, ByteBuffer.wrap("first".getBytes()));
            t.sync();
            t.write(a.inode(), 0, ByteBuffer.wrap("second".getBytes()));
            t.sync();
        }
        Path log;
        try (Stream<Path> s = Files.list(dir.resolve("timelines").resolve(id.value()))) {
            log = s.filter(p -> p.getFileName().toString().startsWith("log-")).findFirst().orElseThrow();
        }
        byte[] bytes = Files.readAllBytes(log);  // the log is zero-filled ahead: find the last record's payload
        int at = -1;
        for (int i = 0; i + 6 <= bytes.length; i++) if (new String(bytes, i, 6, java.nio.charset.StandardCharsets.US_ASCII).equals("second")) at = i;
        assertThat(at).isPositive();
        flip(log, at + 2, new Random(1));
        try (PageStore store = PageStore.open(dir, StoreConfig.defaults())) {
            assertThat(new String(FileTreeTest.read(store.fileTree(id), "/f"))).isEqualTo("first");
        }
    }

    /** A timeline with {@code n} synced one-record changes to "/f" in its open log; the store is closed. */
    private TimelineId syncedRecords(Path dir, int n) {
        try (PageStore store = PageStore.open(dir, StoreConfig.defaults())) {
            TimelineId id = store.createTimeline(null);
            FileTree t = store.fileTree(id);
            FileAttr a = t.create("/f", 0600);
            for (int i = 0; i < n; i++) {
                t.write(a.inode(), 0, ByteBuffer.wrap(("rec-" + i).getBytes()));
                t.sync();
            }
            return id;
        }
    }

    private static Path onlyLog(Path dir, TimelineId id) throws IOException {
        try (Stream<Path> s = Files.list(dir.resolve("timelines").resolve(id.value()))) {
            List<Path> logs = s.filter(p -> p.getFileName().toString().startsWith("log-")).toList();
            assertThat(logs).hasSize(1);
            return logs.get(0);
        }
    }

    /** Offsets of each record in a log file, and the LSN of the last one (the record layout of Log). */
    private static long[] recordOffsetsAndLastLsn(Path log) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(log));
        List<Long> offs = new ArrayList<>();
        long lastLsn = -1;
        int pos = 0;
        while (pos + 8 <= b.limit()) {
            int len = b.getInt(pos);
            if (len < 20 || pos + 8 + len > b.limit()) break;
            offs.add((long) pos);
            lastLsn = b.getLong(pos + 8);
            pos += 8 + len;
        }
        long[] r = new long[offs.size() + 1];
        for (int i = 0; i < offs.size(); i++) r[i] = offs.get(i);
        r[offs.size()] = lastLsn;
        return r;
    }

    @Test void damageInTheMiddleOfALogIsReportedNotTruncated() throws IOException {
        Path dir = tmp.resolve("midlog");
        TimelineId id = syncedRecords(dir, 6);
        Path log = onlyLog(dir, id);
        long[] offs = recordOffsetsAndLastLsn(log);
        assertThat(offs.length - 1).as("records in the log").isGreaterThanOrEqualTo(6);
        long victim = offs[offs.length - 4] + 30;  // inside a record with synced records after it
        flip(log, victim, new Random(3));
        long size = Files.size(log);
        try (PageStore store = PageStore.open(dir, StoreConfig.defaults())) {
            assertThat(store.damaged()).containsKey(id);
            assertThat(store.damaged().get(id)).contains("damaged at offset");
            assertThatThrownBy(() -> store.fileTree(id)).isInstanceOf(StorageException.Corruption.class);
        }
        assertThat(Files.size(log)).as("a damaged log is kept for inspection, not cut").isEqualTo(size);
    }

    @Test void damagedLengthFieldInTheMiddleIsReported() throws IOException {
        Path dir = tmp.resolve("midlen");
        TimelineId id = syncedRecords(dir, 5);
        Path log = onlyLog(dir, id);
        long[] offs = recordOffsetsAndLastLsn(log);
        try (RandomAccessFile f = new RandomAccessFile(log.toFile(), "rw")) {  // length of the second record: huge
            f.seek(offs[1]);
            f.writeInt(0x7fff0000);
        }
        try (PageStore store = PageStore.open(dir, StoreConfig.defaults())) {
            assertThat(store.damaged()).containsKey(id);
        }
    }

    @Test void tornTailAfterManyRecordsIsStillCutOff() throws IOException {
        Path dir = tmp.resolve("torn");
        TimelineId id = syncedRecords(dir, 5);
        Path log = onlyLog(dir, id);
        long[] offs = recordOffsetsAndLastLsn(log);
        long lastStart = offs[offs.length - 2];
        try (RandomAccessFile f = new RandomAccessFile(log.toFile(), "rw")) {  // half of the last record, then zero fill
            long cut = lastStart + (f.length() - lastStart) / 2;
            f.setLength(cut);
            f.setLength(cut + 64 * 1024);
        }
        try (PageStore store = PageStore.open(dir, StoreConfig.defaults())) {
            assertThat(store.damaged()).isEmpty();
            assertThat(new String(FileTreeTest.read(store.fileTree(id), "/f"))).isEqualTo("rec-3");
            FileTree t = store.fileTree(id);  // appends continue after the cut
            t.write(t.stat("/f").inode(), 0, ByteBuffer.wrap("rec-9".getBytes()));
            t.sync();
        }
        try (PageStore store = PageStore.open(dir, StoreConfig.defaults())) {
            assertThat(new String(FileTreeTest.read(store.fileTree(id), "/f"))).isEqualTo("rec-9");
        }
    }

    @Test void aFrozenLogThatEndsEarlyIsReported() throws IOException {
        Path dir = tmp.resolve("frozen");
        TimelineId id = syncedRecords(dir, 4);
        Path log = onlyLog(dir, id);
        long[] offs = recordOffsetsAndLastLsn(log);
        long lastLsn = offs[offs.length - 1];
        // A following log makes this one frozen: it was fsynced whole before the next started at lastLsn + 1.
        Path next = log.resolveSibling(String.format("log-%016x", lastLsn + 1));
        Files.createFile(next);
        Path control = tmp.resolve("frozen-control");
        copyTree(dir, control);  // opening flushes the frozen log away: check the healthy case on a copy
        try (PageStore store = PageStore.open(control, StoreConfig.defaults())) {
            assertThat(store.damaged()).as("a complete frozen log is fine").isEmpty();
            assertThat(new String(FileTreeTest.read(store.fileTree(id), "/f"))).isEqualTo("rec-3");
        }
        flip(log, offs[offs.length - 2] + 30, new Random(5));  // its last record: looks like a torn tail
        try (PageStore store = PageStore.open(dir, StoreConfig.defaults())) {
            assertThat(store.damaged()).containsKey(id);
            assertThat(store.damaged().get(id)).contains("were synced");
        }
    }

    @Test void aHoleInUnsyncedRecordsIsATornTailEvenWithValidRecordsAfterIt() throws IOException {
        Path dir = tmp.resolve("hole");
        TimelineId id = syncedRecords(dir, 3);
        try (PageStore store = PageStore.open(dir, StoreConfig.defaults())) {  // then records that were never synced
            FileTree t = store.fileTree(id);
            for (int i = 3; i < 6; i++) t.write(t.stat("/f").inode(), 0, ByteBuffer.wrap(("rec-" + i).getBytes()));
        }
        Path log = onlyLog(dir, id);
        long[] offs = recordOffsetsAndLastLsn(log);
        int count = offs.length - 1;
        long holeAt = offs[count - 3];  // the first unsynced record: page writeback stored the later ones, not this
        try (RandomAccessFile f = new RandomAccessFile(log.toFile(), "rw")) {
            f.seek(holeAt);
            f.write(new byte[(int) (offs[count - 2] - holeAt)]);
        }
        try (PageStore store = PageStore.open(dir, StoreConfig.defaults())) {
            assertThat(store.damaged()).isEmpty();
            assertThat(new String(FileTreeTest.read(store.fileTree(id), "/f"))).isEqualTo("rec-2");
        }
        assertThat(Files.size(log)).isEqualTo(holeAt);
    }
}
