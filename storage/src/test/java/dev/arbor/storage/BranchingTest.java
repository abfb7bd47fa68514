package dev.arbor.storage;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BranchingTest {
    @TempDir Path dir;

    private final AtomicLong clock = new AtomicLong(1_700_000_000_000L);
    private final StoreConfig config = StoreConfig.defaults().withOpenLayerBytes(64 * 1024)
            .withClock(() -> Instant.ofEpochMilli(clock.get()));

    static long du(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
        }
    }

    static long fileCount(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.count();
        }
    }

    @Test void badInputIsRefusedWithTypedErrorsAndLeavesNothingBehind() throws IOException {
        try (PageStore store = PageStore.open(dir, config)) {
            TimelineId main = store.createTimeline(Duration.ofMinutes(1));
            FileTree t = store.fileTree(main);
            t.create("/f", 0600);
            Lsn early = t.lsn();
            clock.addAndGet(1000);
            FileTreeTest.write(t, "/f", 0, "x".getBytes());
            Lsn head = t.lsn();
            long files = fileCount(dir);
            List<TimelineId> before = store.timelines().stream().map(TimelineInfo::id).toList();

            assertThatThrownBy(() -> store.branch(TimelineId.generate(), BranchPoint.head()))
                    .isInstanceOf(StorageException.NotFound.class).hasMessageContaining("does not exist");
            assertThatThrownBy(() -> store.branch(main, BranchPoint.at(head.next())))
                    .isInstanceOf(StorageException.InvalidLsn.class).hasMessageContaining("after the head");
            assertThatThrownBy(() -> store.branch(main, BranchPoint.at(Instant.ofEpochMilli(clock.get() + 5000))))
                    .isInstanceOf(StorageException.InvalidLsn.class).hasMessageContaining("future");
            assertThatThrownBy(() -> store.branch(main, BranchPoint.at(Instant.ofEpochMilli(clock.get() - 3_600_000))))
                    .isInstanceOf(StorageException.InvalidLsn.class).hasMessageContaining("before the history window");
            assertThatThrownBy(() -> store.fileTree(main, head.next())).isInstanceOf(StorageException.InvalidLsn.class);
            clock.addAndGet(120_000);  // the early LSN falls out of the 1-minute window
            assertThatThrownBy(() -> store.branch(main, BranchPoint.at(early)))
                    .isInstanceOf(StorageException.InvalidLsn.class).hasMessageContaining("before the history window");
            assertThatThrownBy(() -> store.fileTree(main, early)).isInstanceOf(StorageException.InvalidLsn.class);
            assertThatThrownBy(() -> store.lsnAt(main, Instant.ofEpochMilli(clock.get() - 3_600_000)))
                    .isInstanceOf(StorageException.InvalidLsn.class);
            assertThat(store.timelines()).extracting(TimelineInfo::id).isEqualTo(before);
            assertThat(fileCount(dir)).isEqualTo(files);

            TimelineId child = store.branch(main, BranchPoint.head());
            assertThatThrownBy(() -> store.delete(main)).isInstanceOf(StorageException.Conflict.class).hasMessageContaining("children");
            assertThatThrownBy(() -> store.detach(main)).isInstanceOf(StorageException.Conflict.class);
            store.delete(child);
            assertThatThrownBy(() -> store.branch(child, BranchPoint.head())).isInstanceOf(StorageException.Conflict.class)
                    .hasMessageContaining("deleted");
            assertThatThrownBy(() -> store.fileTree(child)).isInstanceOf(StorageException.class);
        }
    }

    @Test void branchIsMetadataOnlyAndTimeTravelWorks() throws IOException {
        try (PageStore store = PageStore.open(dir, config)) {
            TimelineId main = store.createTimeline(null);
            FileTree t = store.fileTree(main);
            FileAttr a = t.create("/data", 0600);
            byte[] big = new byte[4 << 20];
            Arrays.fill(big, (byte) 1);
            t.write(a.inode(), 0, ByteBuffer.wrap(big));
            t.sync();
            clock.addAndGet(10);
            Instant afterV1 = Instant.ofEpochMilli(clock.get());
            clock.addAndGet(10);
            Arrays.fill(big, (byte) 2);
            t.write(a.inode(), 0, ByteBuffer.wrap(big));
            t.sync();
            long bytes = du(dir);
            TimelineId atTime = store.branch(main, BranchPoint.at(afterV1));
            long growth = du(dir) - bytes;
            assertThat(growth).as("a branch writes metadata only").isLessThan(4096);
            assertThat(FileTreeTest.read(store.fileTree(atTime), "/data")).containsOnly(1);
            assertThat(store.info(atTime).ancestorLsn()).isEqualTo(store.lsnAt(main, afterV1));
            assertThat(FileTreeTest.read(store.fileTree(main), "/data")).containsOnly(2);
            Lsn v1 = store.lsnAt(main, afterV1);
            assertThat(FileTreeTest.read(store.fileTree(main, v1), "/data")).containsOnly(1);
            assertThat(store.usage(atTime).physicalBytes()).isLessThan(4096);
            assertThat(store.usage(atTime).logicalSize()).isEqualTo(4 << 20);
            assertThat(store.usage(main).writtenBytes()).isGreaterThanOrEqualTo(8L << 20);
        }
    }

    /** A detached timeline keeps its view but no version of its former ancestors stays reachable (PII scan). */
    @Test void detachMaterializesTheViewAndDropsAllParentData() {
        byte[] secret = "PII:alice@example.com".getBytes(StandardCharsets.UTF_8);
        TimelineId parent, anon;
        try (PageStore store = PageStore.open(dir, config)) {
            parent = store.createTimeline(null);
            FileTree p = store.fileTree(parent);
            p.mkdir("/base", 0700);
            p.create("/base/users", 0600);
            p.create("/base/schema", 0600);
            p.create("/base/log", 0600);
            for (int i = 0; i < 40; i++) FileTreeTest.write(p, "/base/users", i * 8192L, pad(secret, 8192));
            FileTreeTest.write(p, "/base/schema", 0, "CREATE TABLE users(email text)".getBytes());
            FileTreeTest.write(p, "/base/log", 0, pad(secret, 20000));
            store.compact(parent);
            FileTreeTest.write(p, "/base/users", 3 * 8192L, pad(secret, 100));
            anon = store.branch(parent, BranchPoint.head());
            FileTree c = store.fileTree(anon);
            long users = c.stat("/base/users").inode();
            for (int i = 0; i < 40; i++) c.write(users, i * 8192L, ByteBuffer.wrap(pad("anon".getBytes(), 8192)));
            c.truncate(users, 20 * 8192L);
            c.unlink("/base/log");
            store.compact(anon);
            store.detach(anon);
            assertThat(store.info(anon).ancestor()).isNull();
            assertScrubbed(store, anon, secret);
            assertThat(FileTreeTest.read(store.fileTree(anon), "/base/schema")).isEqualTo("CREATE TABLE users(email text)".getBytes());
            assertThat(store.fileTree(anon).stat("/base/users").size()).isEqualTo(20 * 8192L);
            assertThat(new String(FileTreeTest.read(store.fileTree(parent), "/base/log"), StandardCharsets.UTF_8)).contains("PII:");
            store.delete(parent);  // the detached timeline no longer depends on it
            assertThatThrownBy(() -> store.fileTree(anon, Lsn.of(3))).isInstanceOf(StorageException.InvalidLsn.class);
            store.fileTree(anon).sync();
        }
        try (PageStore store = PageStore.open(dir, config)) {
            assertScrubbed(store, anon, secret);
            assertThat(store.fileTree(anon).list("/base")).extracting(DirEntry::name).containsExactly("schema", "users");
        }
    }

    private static void assertScrubbed(PageStore store, TimelineId id, byte[] secret) {
        long[] count = {0};
        store.timeline(id).forEachVersion(v -> {
            count[0]++;
            assertThat(v.owner()).isEqualTo(id);
            if (v.value() != null) assertThat(indexOf(v.value(), secret)).as("parent data in " + v.key()).isLessThan(0);
        });
        assertThat(count[0]).isGreaterThan(10);
    }

    static byte[] pad(byte[] s, int len) {
        byte[] b = new byte[len];
        for (int i = 0; i < len; i += s.length) System.arraycopy(s, 0, b, i, Math.min(s.length, len - i));
        return b;
    }

    static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) if (hay[i + j] != needle[j]) continue outer;
            return i;
        }
        return -1;
    }

    /** PageStore.resolve: the one mapping of head / LSN / time to a store LSN that branch creation uses too. */
    @Test void resolveMapsHeadLsnAndTimeAndRefusesPointsOutsideTheWindow() {
        try (PageStore store = PageStore.open(dir, config.withDefaultHistoryWindow(Duration.ofHours(1)))) {
            TimelineId tl = store.createTimeline();
            FileTree t = store.fileTree(tl);
            t.create("/f", 0600);
            t.write(t.stat("/f").inode(), 0, ByteBuffer.wrap("one".getBytes(StandardCharsets.US_ASCII)));
            Lsn first = store.info(tl).headLsn();
            clock.addAndGet(10_000);
            Instant between = Instant.ofEpochMilli(clock.get());
            clock.addAndGet(10_000);
            t.write(t.stat("/f").inode(), 0, ByteBuffer.wrap("two".getBytes(StandardCharsets.US_ASCII)));
            Lsn head = store.info(tl).headLsn();

            assertThat(store.resolve(tl, BranchPoint.head())).isEqualTo(head);
            assertThat(store.resolve(tl, BranchPoint.at(first))).isEqualTo(first);
            assertThat(store.resolve(tl, BranchPoint.at(between))).isEqualTo(first);
            // a branch at the resolved point sees exactly what was there
            TimelineId b = store.branch(tl, BranchPoint.at(store.resolve(tl, BranchPoint.at(between))));
            FileTree bt = store.fileTree(b);
            ByteBuffer buf = ByteBuffer.allocate(3);
            bt.read(bt.stat("/f").inode(), 0, buf);
            assertThat(new String(buf.array(), StandardCharsets.US_ASCII)).isEqualTo("one");

            assertThatThrownBy(() -> store.resolve(tl, BranchPoint.at(Lsn.of(head.value() + 1000))))
                    .isInstanceOf(StorageException.InvalidLsn.class).hasMessageContaining("after the head");
            assertThatThrownBy(() -> store.resolve(tl, BranchPoint.at(between.plusSeconds(3600))))
                    .isInstanceOf(StorageException.InvalidLsn.class).hasMessageContaining("future");
            assertThatThrownBy(() -> store.resolve(tl, BranchPoint.at(between.minusSeconds(7200))))
                    .isInstanceOf(StorageException.InvalidLsn.class).hasMessageContaining("before the history window");
        }
    }
}
