package dev.arbor.provider.value;

/** Terraform's "known after apply": any msgpack extension value decodes to this singleton. */
public enum Unknown {
    VALUE;

    public static boolean is(Object v) {
        return v == VALUE;
    }

    @Override
    public String toString() {
        return "(known after apply)";
    }
}
