package dev.arbor.storage.timeline;

import dev.arbor.storage.StoreConfig;

/** What a timeline needs from its store: the store-wide LSN counter, the config and the background thread. */
public interface StoreContext {
    /** Takes the next store-wide LSN. */
    long nextLsn();

    /** The highest LSN handed out so far. */
    long currentLsn();

    StoreConfig config();

    /** Flushes frozen layers of {@code t}: on the background thread if there is one, else right away. */
    void flushSoon(Timeline t);

    long nowMillis();

    /** The manifest of {@code t} was durably replaced (remote storage uploads it after the layers it names). */
    default void manifestWritten(Timeline t, dev.arbor.storage.layer.Manifest m) {}
}
