package dev.arbor.provider.pulumi;

/**
 * Pulumi names for the Terraform model: {@code arbor_masking_rules} becomes the resource token
 * {@code arbor:index:MaskingRules} and the function {@code arbor:index:getMaskingRules}; attributes go
 * from snake_case to camelCase, the way pulumi-terraform-bridge names them.
 */
public final class Tokens {
    public static final String PACKAGE = "arbor";
    static final String TYPE_PREFIX = "arbor_";

    private Tokens() {}

    public static String camel(String snake) {
        StringBuilder sb = new StringBuilder(snake.length());
        boolean up = false;
        for (char c : snake.toCharArray()) {
            if (c == '_') {
                up = sb.length() > 0;
            } else {
                sb.append(up ? Character.toUpperCase(c) : c);
                up = false;
            }
        }
        return sb.toString();
    }

    public static String pascal(String snake) {
        String c = camel(snake);
        return c.isEmpty() ? c : Character.toUpperCase(c.charAt(0)) + c.substring(1);
    }

    /** The Terraform type name without the provider prefix, e.g. {@code masking_rules}. */
    static String bare(String typeName) {
        return typeName.startsWith(TYPE_PREFIX) ? typeName.substring(TYPE_PREFIX.length()) : typeName;
    }

    public static String resource(String typeName) {
        return PACKAGE + ":index:" + pascal(bare(typeName));
    }

    public static String function(String typeName) {
        return PACKAGE + ":index:get" + pascal(bare(typeName));
    }

    /** A named object type nested in a resource or function, e.g. {@code arbor:index:getBranchesBranch}. */
    static String objectType(String owner, String attribute) {
        String stem = owner.substring(owner.lastIndexOf(':') + 1);
        String name = pascal(attribute);
        // A list attribute is plural; its element type reads better singular (branches -> Branch).
        if (name.endsWith("ies")) {
            name = name.substring(0, name.length() - 3) + "y";
        } else if (name.endsWith("ches") || name.endsWith("shes") || name.endsWith("sses") || name.endsWith("xes")) {
            name = name.substring(0, name.length() - 2);
        } else if (name.endsWith("s") && !name.endsWith("ss")) {
            name = name.substring(0, name.length() - 1);
        }
        return PACKAGE + ":index:" + stem + name;
    }
}
