package dev.arbor.backend.compute.volume;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.channels.FileChannel;
import java.nio.ByteBuffer;
import java.util.Comparator;
import org.cryptomator.jfuse.api.FuseOperations.Operation;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The FUSE adapter through the real kernel: a MemoryTree isolates it from the page store. */
class FuseVolumeTest {
    private final OsAccount postgres = OsAccount.lookup("postgres");
    private Path dir;
    private FuseVolume volume;

    private final FuseOpStats stats = new FuseOpStats();

    private Path mount(MemoryTree tree) throws IOException {
        dir = Files.createTempDirectory(Path.of("/tmp"), "arbor-fuse-test-");
        volume = FuseVolume.mount(tree, dir.resolve("mnt"), postgres, dir, stats, null);
        return dir.resolve("mnt");
    }

    @AfterEach
    void tearDown() throws IOException {
        if (volume != null) volume.close();
        if (dir != null) try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @Test
    void filesBehaveLikeAPosixDirectoryOwnedByPostgres() throws Exception {
        MemoryTree tree = new MemoryTree(false);
        Path m = mount(tree);

        Files.createDirectories(m.resolve("base/5"));
        Path rel = m.resolve("base/5/1259");
        byte[] page = new byte[8192 * 3 + 100];
        for (int i = 0; i < page.length; i++) page[i] = (byte) (i * 31);
        Files.write(rel, page);
        assertThat(Files.readAllBytes(rel)).isEqualTo(page);
        assertThat(Files.size(rel)).isEqualTo(page.length);

        // positional write + fsync goes to the tree's durability barrier
        long before = tree.syncs.get();
        try (FileChannel ch = FileChannel.open(rel, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap("hello".getBytes()), 8192);
            ch.force(true);
        }
        assertThat(tree.syncs.get()).isGreaterThan(before);
        byte[] back = Files.readAllBytes(rel);
        assertThat(new String(back, 8192, 5)).isEqualTo("hello");

        // ownership is presented as the postgres user; permission bits round-trip
        assertThat(Files.getAttribute(rel, "unix:uid")).isEqualTo(postgres.uid());
        assertThat(Files.getAttribute(rel, "unix:gid")).isEqualTo(postgres.gid());
        Files.setPosixFilePermissions(m.resolve("base"), PosixFilePermissions.fromString("rwx------"));
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(m.resolve("base")))).isEqualTo("rwx------");

        // rename over an existing file, truncate, unlink, rmdir
        Files.writeString(m.resolve("postmaster.opts.tmp"), "new");
        Files.writeString(m.resolve("postmaster.opts"), "old");
        Files.move(m.resolve("postmaster.opts.tmp"), m.resolve("postmaster.opts"), java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        assertThat(Files.readString(m.resolve("postmaster.opts"))).isEqualTo("new");
        try (FileChannel ch = FileChannel.open(rel, StandardOpenOption.WRITE)) { ch.truncate(8192); }
        assertThat(Files.size(rel)).isEqualTo(8192);
        try (Stream<Path> l = Files.list(m.resolve("base/5"))) { assertThat(l.map(p -> p.getFileName().toString())).containsExactly("1259"); }
        assertThatThrownBy(() -> Files.delete(m.resolve("base/5"))).isInstanceOf(FileSystemException.class);
        Files.delete(rel);
        Files.delete(m.resolve("base/5"));
        assertThat(Files.exists(rel)).isFalse();
        assertThatThrownBy(() -> Files.readAllBytes(rel)).isInstanceOf(NoSuchFileException.class);
        // what the store saw, not just the kernel cache
        assertThat(tree.list("/base")).isEmpty();
        assertThat(tree.stat("/postmaster.opts").size()).isEqualTo(3);
    }

    /**
     * WAL as endpoints write it (wal_sync_method = open_datasync): each O_DSYNC write reaches the tree and its durability
     * barrier inside the write itself, with no FSYNC round trip after it, and WAL files skip the kernel's page cache.
     */
    @Test
    void anODsyncWalWriteIsDurableWhenItReturnsAndWalIsNotCached() throws Exception {
        MemoryTree tree = new MemoryTree(false);
        Path m = mount(tree);
        Files.createDirectories(m.resolve("pg_wal"));
        Path seg = m.resolve("pg_wal/000000010000000000000001");
        Files.write(seg, new byte[16384]);
        long inode = tree.stat("/pg_wal/000000010000000000000001").inode();
        long syncs = tree.syncs.get(), fsyncs = stats.of(Operation.FSYNC).snapshot().count();
        byte[] page = new byte[8192];
        java.util.Arrays.fill(page, (byte) 7);
        try (FileChannel ch = FileChannel.open(seg, StandardOpenOption.WRITE, StandardOpenOption.DSYNC)) {
            ch.write(ByteBuffer.wrap(page), 8192);
            // durable on return, and by the write itself: the kernel sent no FSYNC
            assertThat(tree.syncs.get()).isGreaterThan(syncs);
            assertThat(stats.of(Operation.FSYNC).snapshot().count()).isEqualTo(fsyncs);
            ByteBuffer got = ByteBuffer.allocate(8192);
            tree.read(inode, 8192, got);
            assertThat(got.array()).isEqualTo(page);
        }
        // not cached: a change made behind the kernel's back is what the next read through the mount returns
        tree.write(inode, 0, ByteBuffer.wrap("changed".getBytes()));
        assertThat(new String(Files.readAllBytes(seg), 0, 7)).isEqualTo("changed");
        // a file outside pg_wal keeps the page cache: the same change behind the kernel's back stays unseen
        Files.write(m.resolve("pg_control"), "original".getBytes());
        assertThat(Files.readString(m.resolve("pg_control"))).isEqualTo("original");
        tree.write(tree.stat("/pg_control").inode(), 0, ByteBuffer.wrap("ORIGINAL".getBytes()));
        assertThat(Files.readString(m.resolve("pg_control"))).isEqualTo("original");
    }

    @Test
    void readOnlyTreeRefusesWritesWithErofs() throws Exception {
        MemoryTree src = new MemoryTree(false);
        src.mkdir("/base", 0700);
        var a = src.create("/base/1", 0600);
        src.write(a.inode(), 0, ByteBuffer.wrap("data".getBytes()));
        Path m = mount(src.readOnlyCopy());

        assertThat(Files.readString(m.resolve("base/1"))).isEqualTo("data");
        assertThatThrownBy(() -> Files.writeString(m.resolve("base/1"), "x"))
                .isInstanceOf(FileSystemException.class).hasMessageContaining("Read-only");
        assertThatThrownBy(() -> Files.createFile(m.resolve("base/2")))
                .isInstanceOf(FileSystemException.class).hasMessageContaining("Read-only");
        assertThat(Files.readString(m.resolve("base/1"))).isEqualTo("data");
    }
}
