package dev.arbor.backend.compute.volume;

import dev.arbor.storage.DirEntry;
import dev.arbor.storage.FileAttr;
import dev.arbor.storage.FileTree;
import dev.arbor.storage.Lsn;
import dev.arbor.storage.StorageException;
import dev.arbor.storage.TimelineId;

import java.nio.ByteBuffer;
import java.util.*;
import java.util.concurrent.atomic.AtomicLong;

/** Unit-level stand-in for the page store, only to isolate the FUSE adapter. One lock, byte arrays. */
public final class MemoryTree implements FileTree {
    private record Node(long inode, boolean dir, int[] mode, long[] mtime, byte[][] data, int[] len) {}

    private final TimelineId id = TimelineId.generate();
    private final boolean readOnly;
    private final Map<String, Node> nodes = new TreeMap<>();
    private final Map<Long, Node> byInode = new HashMap<>();
    private final AtomicLong nextInode = new AtomicLong(1);
    final AtomicLong syncs = new AtomicLong();

    public MemoryTree(boolean readOnly) {
        this.readOnly = readOnly;
        put("/", true, 0700);
    }

    /** A writable copy's content as a read-only tree. */
    synchronized MemoryTree readOnlyCopy() { return copy(true); }

    /** A full copy (a branch, the slow way). */
    public synchronized MemoryTree copy(boolean ro) {
        MemoryTree t = new MemoryTree(ro);
        t.nodes.clear();
        t.byInode.clear();
        nodes.forEach((p, n) -> {
            Node c = new Node(n.inode, n.dir, n.mode.clone(), n.mtime.clone(), new byte[][]{n.data[0].clone()}, n.len.clone());
            t.nodes.put(p, c);
            t.byInode.put(c.inode, c);
        });
        t.nextInode.set(nextInode.get());
        return t;
    }

    private Node put(String path, boolean dir, int mode) {
        Node n = new Node(nextInode.getAndIncrement(), dir, new int[]{mode}, new long[]{System.currentTimeMillis()}, new byte[][]{new byte[0]}, new int[1]);
        nodes.put(path, n);
        byInode.put(n.inode, n);
        return n;
    }

    private FileAttr attr(Node n) { return new FileAttr(n.inode, n.dir, n.len[0], n.mode[0], n.mtime[0]); }
    private void writable() { if (readOnly) throw new StorageException.ReadOnly("read-only"); }
    private Node get(String path) {
        Node n = nodes.get(path);
        if (n == null) throw new StorageException.NotFound(path);
        return n;
    }
    private static String parent(String p) { int i = p.lastIndexOf('/'); return i <= 0 ? "/" : p.substring(0, i); }
    private void parentDir(String path) {
        Node p = get(parent(path));
        if (!p.dir) throw new StorageException.NotADirectory(parent(path));
    }

    @Override public TimelineId timeline() { return id; }
    @Override public boolean readOnly() { return readOnly; }
    @Override public Lsn lsn() { return Lsn.ZERO; }
    @Override public synchronized FileAttr stat(String path) { return attr(get(path)); }

    @Override public synchronized List<DirEntry> list(String dir) {
        if (!get(dir).dir) throw new StorageException.NotADirectory(dir);
        String prefix = dir.equals("/") ? "/" : dir + "/";
        List<DirEntry> out = new ArrayList<>();
        nodes.forEach((p, n) -> {
            if (p.startsWith(prefix) && p.length() > prefix.length() && p.indexOf('/', prefix.length()) < 0)
                out.add(new DirEntry(p.substring(prefix.length()), n.inode, n.dir));
        });
        return out;
    }

    @Override public synchronized FileAttr mkdir(String path, int mode) {
        writable(); parentDir(path);
        if (nodes.containsKey(path)) throw new StorageException.AlreadyExists(path);
        return attr(put(path, true, mode));
    }

    @Override public synchronized FileAttr create(String path, int mode) {
        writable(); parentDir(path);
        if (nodes.containsKey(path)) throw new StorageException.AlreadyExists(path);
        return attr(put(path, false, mode));
    }

    private Node inode(long inode) {
        Node n = byInode.get(inode);
        if (n == null) throw new StorageException.NotFound("inode " + inode);
        return n;
    }

    @Override public synchronized int read(long inode, long offset, ByteBuffer dst) {
        Node node = inode(inode);
        if (offset >= node.len[0]) return 0;
        int n = (int) Math.min(dst.remaining(), node.len[0] - offset);
        dst.put(node.data[0], (int) offset, n);
        return n;
    }

    @Override public synchronized void write(long inode, long offset, ByteBuffer src) {
        writable();
        Node n = inode(inode);
        int len = src.remaining();
        int end = (int) (offset + len);
        if (end > n.data[0].length) n.data[0] = Arrays.copyOf(n.data[0], Math.max(end, n.data[0].length * 2));
        if (offset > n.len[0]) Arrays.fill(n.data[0], n.len[0], (int) offset, (byte) 0);
        src.get(n.data[0], (int) offset, len);
        n.len[0] = Math.max(n.len[0], end);
    }

    @Override public synchronized void truncate(long inode, long size) {
        writable();
        Node n = inode(inode);
        if (size > n.data[0].length) n.data[0] = Arrays.copyOf(n.data[0], (int) size);
        else if (size > n.len[0]) Arrays.fill(n.data[0], n.len[0], (int) size, (byte) 0);
        n.len[0] = (int) size;
    }

    @Override public synchronized void rename(String from, String to) {
        writable();
        Node n = get(from);
        parentDir(to);
        Node old = nodes.get(to);
        if (old != null && old.dir && !list(to).isEmpty()) throw new StorageException.NotEmpty(to);
        String fromPrefix = from + "/";
        List<String> moved = nodes.keySet().stream().filter(p -> p.startsWith(fromPrefix)).toList();
        nodes.remove(from);
        nodes.put(to, n);
        for (String p : moved) nodes.put(to + p.substring(from.length()), nodes.remove(p));
    }

    @Override public synchronized void unlink(String path) {
        writable();
        Node n = get(path);
        if (n.dir) throw new StorageException.IsADirectory(path);
        nodes.remove(path);
    }

    @Override public synchronized void rmdir(String path) {
        writable();
        Node n = get(path);
        if (!n.dir) throw new StorageException.NotADirectory(path);
        if (!list(path).isEmpty()) throw new StorageException.NotEmpty(path);
        nodes.remove(path);
    }

    @Override public synchronized void chmod(String path, int mode) { writable(); get(path).mode[0] = mode; }
    @Override public synchronized void setMtime(String path, long m) { writable(); get(path).mtime[0] = m; }
    @Override public void sync() { syncs.incrementAndGet(); }
}
