package dev.arbor.provider.client;

/** The provider's release version, as packaged. */
public final class Version {
    public static final String VALUE = "0.1.0";

    private Version() {}
}
