package dev.arbor.storage.fs;

import dev.arbor.storage.*;
import dev.arbor.storage.layer.Values;
import dev.arbor.storage.timeline.Timeline;

import java.nio.ByteBuffer;
import java.util.*;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.StampedLock;

/**
 * The {@link FileTree} of one timeline. All metadata (inodes, attributes, directory entries) is held in
 * memory, loaded once from the store, so lookups never touch files; every change is one record of
 * (META, ATTR, DIR, BLOCK) versions appended to the timeline. File data lives in 8 KiB blocks; partial
 * block writes read-modify-write the block. Bytes of the last block beyond the size are kept zero, and
 * truncation tombstones the dropped blocks, so a file that grows again reads zeros.
 *
 * <p>Locking: namespace changes take {@code ns} exclusively; data writes take it shared plus the inode's
 * monitor, so writes to different files proceed in parallel up to the timeline's append.
 */
public final class TimelineTree implements FileTree {
    public static final long ROOT = 1;
    static final int BS = Key.BLOCK_SIZE;
    private static final byte[] ZERO_BLOCK = new byte[BS];

    static final class Node {
        final long inode;
        final boolean dir;
        volatile long size;
        volatile int mode;
        volatile long mtime;
        final TreeMap<String, Long> children;  // guarded by ns

        Node(long inode, boolean dir, long size, int mode, long mtime, TreeMap<String, Long> children) {
            this.inode = inode;
            this.dir = dir;
            this.size = size;
            this.mode = mode;
            this.mtime = mtime;
            this.children = children;
        }

        FileAttr attr() { return new FileAttr(inode, dir, size, mode, mtime); }

        byte[] encodeAttr() { return Codec.attr(dir, size, mode, mtime); }
    }

    private final Timeline tl;
    private final boolean readOnly;
    private final long fixedLsn;  // -1: the moving head
    private final ConcurrentHashMap<Long, Node> nodes = new ConcurrentHashMap<>();
    // Namespace lock: shared by page writes, exclusive for create/rename/unlink. A StampedLock, not a
    // ReentrantReadWriteLock, whose per-thread read-hold ThreadLocal took a quarter of the FUSE threads' CPU
    // samples under pgbench rw (JFR); nothing here takes it twice on one thread.
    private final StampedLock nsLock = new StampedLock();
    private final Lock nsRead = nsLock.asReadLock(), nsWrite = nsLock.asWriteLock();
    private long nextInode;

    private TimelineTree(Timeline tl, boolean readOnly, long fixedLsn) {
        this.tl = tl;
        this.readOnly = readOnly;
        this.fixedLsn = fixedLsn;
        load();
    }

    /** The writable tree at the head of {@code tl}. */
    public static TimelineTree atHead(Timeline tl) { return new TimelineTree(tl, false, -1); }

    /** A read-only tree at a fixed LSN (time travel). */
    public static TimelineTree atLsn(Timeline tl, long lsn) {
        tl.checkReadable(lsn);
        return new TimelineTree(tl, true, lsn);
    }

    /** Writes the root of a new timeline: "/" (inode 1) and the inode counter. */
    public static void initRoot(Timeline tl, long nowMillis) {
        TreeMap<String, Long> empty = new TreeMap<>();
        tl.append(new long[]{Key.meta(), Key.attr(ROOT), Key.dir(ROOT)},
                new byte[][]{Codec.meta(ROOT + 1), Codec.attr(true, 0, 0755, nowMillis), Codec.dir(empty)});
    }

    private long readLsn() { return fixedLsn < 0 ? Long.MAX_VALUE : fixedLsn; }

    private void load() {
        long l = readLsn();
        byte[] meta = tl.readRaw(Key.meta(), l);
        nextInode = meta == null ? ROOT + 1 : Codec.meta(meta);
        ArrayDeque<Long> todo = new ArrayDeque<>();
        todo.add(ROOT);
        while (!todo.isEmpty()) {
            long inode = todo.poll();
            byte[] a = tl.readRaw(Key.attr(inode), l);
            if (a == null) throw new StorageException.Corruption("timeline " + tl.id() + ": inode " + inode + " is referenced but has no attributes");
            Codec.Attr attr = Codec.attr(a);
            TreeMap<String, Long> children = null;
            if (attr.directory()) {
                byte[] d = tl.readRaw(Key.dir(inode), l);
                children = d == null ? new TreeMap<>() : Codec.dir(d);
                todo.addAll(children.values());
            }
            nodes.put(inode, new Node(inode, attr.directory(), attr.size(), attr.mode(), attr.mtimeMillis(), children));
        }
    }

    // ---------------------------------------------------------------- FileTree

    @Override public TimelineId timeline() { return tl.id(); }

    @Override public boolean readOnly() { return readOnly; }

    @Override public Lsn lsn() { return fixedLsn < 0 ? tl.head() : Lsn.of(fixedLsn); }

    @Override public FileAttr stat(String path) {
        nsRead.lock();
        try {
            return resolve(path).attr();
        } finally {
            nsRead.unlock();
        }
    }

    /** Attributes by inode (what a FUSE getattr on an open handle needs). */
    public FileAttr stat(long inode) {
        return node(inode).attr();
    }

    @Override public List<DirEntry> list(String dir) {
        nsRead.lock();
        try {
            Node d = resolve(dir);
            if (!d.dir) throw new StorageException.NotADirectory(dir + " is not a directory");
            List<DirEntry> out = new ArrayList<>(d.children.size());
            for (Map.Entry<String, Long> e : d.children.entrySet()) {
                Node c = nodes.get(e.getValue());
                out.add(new DirEntry(e.getKey(), e.getValue(), c != null && c.dir));
            }
            return out;
        } finally {
            nsRead.unlock();
        }
    }

    @Override public FileAttr mkdir(String path, int mode) { return make(path, mode, true); }

    @Override public FileAttr create(String path, int mode) { return make(path, mode, false); }

    private FileAttr make(String path, int mode, boolean dir) {
        checkWritable();
        nsWrite.lock();
        try {
            String[] pn = splitParent(path);
            Node parent = resolve(pn[0]);
            if (!parent.dir) throw new StorageException.NotADirectory(pn[0] + " is not a directory");
            if (parent.children.containsKey(pn[1])) throw new StorageException.AlreadyExists(path + " already exists");
            long inode = nextInode;
            if (inode > Key.MAX_INODE) throw new StorageException("inode numbers exhausted");
            long now = System.currentTimeMillis();
            Node n = new Node(inode, dir, 0, mode & 07777, now, dir ? new TreeMap<>() : null);
            parent.children.put(pn[1], inode);
            try {
                if (dir)
                    tl.append(new long[]{Key.meta(), Key.attr(inode), Key.dir(inode), Key.dir(parent.inode)},
                            new byte[][]{Codec.meta(inode + 1), n.encodeAttr(), Codec.dir(n.children), Codec.dir(parent.children)});
                else
                    tl.append(new long[]{Key.meta(), Key.attr(inode), Key.dir(parent.inode)},
                            new byte[][]{Codec.meta(inode + 1), n.encodeAttr(), Codec.dir(parent.children)});
            } catch (RuntimeException e) {
                parent.children.remove(pn[1]);
                throw e;
            }
            nextInode = inode + 1;
            nodes.put(inode, n);
            return n.attr();
        } finally {
            nsWrite.unlock();
        }
    }

    @Override public int read(long inode, long offset, ByteBuffer dst) {
        Node n = node(inode);
        if (n.dir) throw new StorageException.IsADirectory("inode " + inode + " is a directory");
        long size = n.size;
        if (offset < 0) throw new IllegalArgumentException("negative offset");
        if (offset >= size || !dst.hasRemaining()) return 0;
        int len = (int) Math.min(dst.remaining(), size - offset);
        long l = readLsn();
        int done = 0;
        while (done < len) {
            long pos = offset + done;
            long b = pos / BS;
            int in = (int) (pos % BS);
            int k = Math.min(BS - in, len - done);
            byte[] v = tl.readRaw(Key.block(inode, b), l);
            if (v == null) dst.put(ZERO_BLOCK, 0, k);
            else dst.put(v, in, k);
            done += k;
        }
        return len;
    }

    @Override public void write(long inode, long offset, ByteBuffer src) {
        checkWritable();
        if (offset < 0) throw new IllegalArgumentException("negative offset");
        Node n = node(inode);
        if (n.dir) throw new StorageException.IsADirectory("inode " + inode + " is a directory");
        int len = src.remaining();
        if (len == 0) return;
        long end = offset + len;
        if ((end - 1) / BS > Key.MAX_BLOCK) throw new StorageException("file too large");
        nsRead.lock();
        try {
            synchronized (n) {
                if (!nodes.containsKey(inode)) throw new StorageException.NotFound("inode " + inode + " was removed");
                long first = offset / BS, last = (end - 1) / BS;
                int nb = (int) (last - first + 1);
                long[] keys = new long[nb + 1];
                byte[][] values = new byte[nb + 1][];
                long size = n.size;
                int srcPos = src.position();
                for (int i = 0; i < nb; i++) {
                    long b = first + i;
                    long bs = b * BS;
                    long from = Math.max(offset, bs), to = Math.min(end, bs + BS);
                    keys[i] = Key.block(inode, b);
                    byte[] block;
                    if (from == bs && to == bs + BS) block = new byte[BS];
                    else {
                        byte[] old = bs < size ? tl.readRaw(keys[i], Long.MAX_VALUE) : null;
                        block = old == null ? new byte[BS] : old.clone();
                    }
                    src.get(srcPos + (int) (from - offset), block, (int) (from - bs), (int) (to - from));
                    // An all-zero block (PostgreSQL extends relations with zero pages) is stored as a hole: it reads
                    // as zeros either way, and a branch then owns a few bytes instead of 8 KiB for it. Other blocks
                    // the timeline may store as patches (Timeline#append).
                    values[i] = Arrays.equals(block, ZERO_BLOCK) ? Values.TOMBSTONE : block;
                }
                long newSize = Math.max(size, end);
                long now = System.currentTimeMillis();
                keys[nb] = Key.attr(inode);
                values[nb] = Codec.attr(false, newSize, n.mode, now);
                tl.append(keys, values);
                src.position(srcPos + len);
                n.size = newSize;
                n.mtime = now;
            }
        } finally {
            nsRead.unlock();
        }
    }

    @Override public void truncate(long inode, long size) {
        checkWritable();
        if (size < 0) throw new IllegalArgumentException("negative size");
        Node n = node(inode);
        if (n.dir) throw new StorageException.IsADirectory("inode " + inode + " is a directory");
        nsRead.lock();
        try {
            synchronized (n) {
                if (!nodes.containsKey(inode)) throw new StorageException.NotFound("inode " + inode + " was removed");
                long old = n.size;
                List<Long> keys = new ArrayList<>();
                List<byte[]> values = new ArrayList<>();
                if (size < old) {
                    long keepBlocks = (size + BS - 1) / BS, oldBlocks = (old + BS - 1) / BS;
                    for (long b = keepBlocks; b < oldBlocks; b++) {  // so the file reads zeros if it grows again
                        keys.add(Key.block(inode, b));
                        values.add(Values.TOMBSTONE);
                    }
                    int tail = (int) (size % BS);
                    if (tail != 0) {
                        byte[] lastBlock = tl.readRaw(Key.block(inode, size / BS), Long.MAX_VALUE);
                        if (lastBlock != null) {
                            byte[] z = lastBlock.clone();
                            Arrays.fill(z, tail, BS, (byte) 0);
                            keys.add(Key.block(inode, size / BS));
                            values.add(z);
                        }
                    }
                }
                long now = System.currentTimeMillis();
                keys.add(Key.attr(inode));
                values.add(Codec.attr(false, size, n.mode, now));
                tl.append(keys.stream().mapToLong(Long::longValue).toArray(), values.toArray(new byte[0][]));
                n.size = size;
                n.mtime = now;
            }
        } finally {
            nsRead.unlock();
        }
    }

    @Override public void rename(String from, String to) {
        checkWritable();
        nsWrite.lock();
        try {
            String[] fp = splitParent(from), tp = splitParent(to);
            Node fparent = resolve(fp[0]);
            if (!fparent.dir) throw new StorageException.NotADirectory(fp[0] + " is not a directory");
            Long src = fparent.children.get(fp[1]);
            if (src == null) throw new StorageException.NotFound(from + " does not exist");
            Node tparent = resolve(tp[0]);
            if (!tparent.dir) throw new StorageException.NotADirectory(tp[0] + " is not a directory");
            Node moving = nodes.get(src);
            if (moving.dir && isAncestorOrSelf(moving, tparent))
                throw new StorageException.Conflict("cannot move " + from + " into itself (" + to + ")");
            Long dst = tparent.children.get(tp[1]);
            if (dst != null && dst.equals(src)) return;
            Node target = dst == null ? null : nodes.get(dst);
            if (target != null) {
                if (target.dir && !moving.dir) throw new StorageException.IsADirectory(to + " is a directory");
                if (!target.dir && moving.dir) throw new StorageException.NotADirectory(to + " is not a directory");
                if (target.dir && !target.children.isEmpty()) throw new StorageException.NotEmpty(to + " is not empty");
            }
            fparent.children.remove(fp[1]);
            tparent.children.put(tp[1], src);
            List<Long> keys = new ArrayList<>();
            List<byte[]> values = new ArrayList<>();
            keys.add(Key.dir(fparent.inode));
            values.add(Codec.dir(fparent.children));
            if (tparent != fparent) {
                keys.add(Key.dir(tparent.inode));
                values.add(Codec.dir(tparent.children));
            }
            if (target != null) {
                keys.add(Key.attr(target.inode));
                values.add(Values.TOMBSTONE);
                if (target.dir) {
                    keys.add(Key.dir(target.inode));
                    values.add(Values.TOMBSTONE);
                }
            }
            try {
                tl.append(keys.stream().mapToLong(Long::longValue).toArray(), values.toArray(new byte[0][]));
            } catch (RuntimeException e) {
                if (dst == null) tparent.children.remove(tp[1]);
                else tparent.children.put(tp[1], dst);
                fparent.children.put(fp[1], src);
                throw e;
            }
            if (target != null) nodes.remove(target.inode);
        } finally {
            nsWrite.unlock();
        }
    }

    private boolean isAncestorOrSelf(Node dir, Node n) {
        // walks down from dir: is n inside dir's subtree? (PG trees are small)
        if (dir == n) return true;
        for (Long c : dir.children.values()) {
            Node cn = nodes.get(c);
            if (cn != null && cn.dir && isAncestorOrSelf(cn, n)) return true;
        }
        return false;
    }

    @Override public void unlink(String path) { remove(path, false); }

    @Override public void rmdir(String path) { remove(path, true); }

    private void remove(String path, boolean dir) {
        checkWritable();
        nsWrite.lock();
        try {
            String[] pn = splitParent(path);
            Node parent = resolve(pn[0]);
            if (!parent.dir) throw new StorageException.NotADirectory(pn[0] + " is not a directory");
            Long inode = parent.children.get(pn[1]);
            if (inode == null) throw new StorageException.NotFound(path + " does not exist");
            Node n = nodes.get(inode);
            if (dir && !n.dir) throw new StorageException.NotADirectory(path + " is not a directory");
            if (!dir && n.dir) throw new StorageException.IsADirectory(path + " is a directory");
            if (dir && !n.children.isEmpty()) throw new StorageException.NotEmpty(path + " is not empty");
            parent.children.remove(pn[1]);
            try {
                if (dir)
                    tl.append(new long[]{Key.dir(parent.inode), Key.attr(inode), Key.dir(inode)},
                            new byte[][]{Codec.dir(parent.children), Values.TOMBSTONE, Values.TOMBSTONE});
                else
                    tl.append(new long[]{Key.dir(parent.inode), Key.attr(inode)},
                            new byte[][]{Codec.dir(parent.children), Values.TOMBSTONE});
            } catch (RuntimeException e) {
                parent.children.put(pn[1], inode);
                throw e;
            }
            nodes.remove(inode);
        } finally {
            nsWrite.unlock();
        }
    }

    @Override public void chmod(String path, int mode) {
        setAttr(path, n -> n.mode = mode & 07777);
    }

    @Override public void setMtime(String path, long mtimeMillis) {
        setAttr(path, n -> n.mtime = mtimeMillis);
    }

    private void setAttr(String path, java.util.function.Consumer<Node> change) {
        checkWritable();
        nsRead.lock();
        try {
            Node n = resolve(path);
            synchronized (n) {
                int mode = n.mode;
                long mtime = n.mtime;
                change.accept(n);
                try {
                    tl.append(new long[]{Key.attr(n.inode)}, new byte[][]{n.encodeAttr()});
                } catch (RuntimeException e) {
                    n.mode = mode;
                    n.mtime = mtime;
                    throw e;
                }
            }
        } finally {
            nsRead.unlock();
        }
    }

    @Override public void sync() {
        if (!readOnly) tl.sync();
    }

    // ---------------------------------------------------------------- helpers

    /** Sum of the sizes of all regular files. */
    public long logicalSize() {
        long s = 0;
        for (Node n : nodes.values()) if (!n.dir) s += n.size;
        return s;
    }

    public int inodeCount() { return nodes.size(); }

    private void checkWritable() {
        if (readOnly) throw new StorageException.ReadOnly("tree of timeline " + tl.id() + " at " + lsn() + " is read-only");
    }

    private Node node(long inode) {
        Node n = nodes.get(inode);
        if (n == null) throw new StorageException.NotFound("no inode " + inode + " in timeline " + tl.id());
        return n;
    }

    private Node resolve(String path) {
        if (path == null || !path.startsWith("/")) throw new StorageException.NotFound("not an absolute path: " + path);
        Node n = nodes.get(ROOT);
        int i = 1, len = path.length();
        while (i < len) {
            int j = path.indexOf('/', i);
            if (j < 0) j = len;
            if (j > i) {
                if (!n.dir) throw new StorageException.NotADirectory(path.substring(0, i - 1) + " is not a directory");
                Long c = n.children.get(path.substring(i, j));
                if (c == null) throw new StorageException.NotFound(path + " does not exist");
                n = nodes.get(c);
            }
            i = j + 1;
        }
        return n;
    }

    /** {parent path, name}; rejects "/" and empty names. */
    private static String[] splitParent(String path) {
        if (path == null || !path.startsWith("/")) throw new StorageException.NotFound("not an absolute path: " + path);
        String p = path;
        while (p.length() > 1 && p.endsWith("/")) p = p.substring(0, p.length() - 1);
        if (p.equals("/")) throw new StorageException.AlreadyExists("/ always exists");
        int slash = p.lastIndexOf('/');
        String name = p.substring(slash + 1);
        if (name.equals(".") || name.equals("..")) throw new StorageException.NotFound("invalid name in " + path);
        if (name.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > 255)
            throw new StorageException.NotFound("name too long in " + path);
        return new String[]{slash == 0 ? "/" : p.substring(0, slash), name};
    }
}
