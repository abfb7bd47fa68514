package dev.arbor.backend.anon;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Tokenizer + recursive-descent parser for PostgreSQL Anonymizer masking expressions, e.g.
 * {@code anon.partial(phone, 2, $$******$$, 2)} or {@code pg_catalog.concat(anon.dummy_uuidv4(), '@example.com')}.
 * Grammar: expr := unary ('::' type)* ; unary := '-' unary | primary ;
 * primary := literal | CAST '(' expr AS type ')' | ARRAY '[' exprs ']' | name ('.' name)* [ '(' args ')' ] | '(' expr ')'.
 */
public final class ExprParser {
    private enum T { IDENT, QIDENT, STRING, NUMBER, LPAREN, RPAREN, LBRACK, RBRACK, COMMA, DOT, CAST, ASSIGN, MINUS, EOF }

    private record Tok(T type, String text, int pos) {}

    private final String src;
    private final List<Tok> toks;
    private int i;

    private ExprParser(String src) throws MaskingException {
        this.src = src;
        this.toks = lex(src);
    }

    /** Parses one complete expression; trailing input is an error. */
    public static Expr parse(String src) throws MaskingException {
        if (src == null || src.isBlank()) throw syntax(src, 0, "empty expression");
        ExprParser p = new ExprParser(src);
        Expr e = p.expr();
        if (p.peek().type != T.EOF) throw syntax(src, p.peek().pos, "unexpected '" + p.peek().text + "' after the expression");
        return e;
    }

    private Expr expr() throws MaskingException {
        Expr e = unary();
        while (peek().type == T.CAST) {
            next();
            e = new Expr.Cast(e, typeName());
        }
        return e;
    }

    private Expr unary() throws MaskingException {
        if (peek().type == T.MINUS) {
            next();
            Expr v = unary();
            if (v instanceof Expr.NumberLit n) return new Expr.NumberLit(n.value().negate(), "-" + n.text());
            return new Expr.Negate(v);
        }
        return primary();
    }

    private Expr primary() throws MaskingException {
        Tok t = next();
        switch (t.type) {
            case STRING: return new Expr.StringLit(t.text);
            case NUMBER:
                try {
                    return new Expr.NumberLit(new BigDecimal(t.text), t.text);
                } catch (NumberFormatException e) {
                    throw syntax(src, t.pos, "bad number '" + t.text + "'");
                }
            case LPAREN: {
                Expr e = expr();
                expect(T.RPAREN, "')'");
                return e;
            }
            case IDENT: {
                String kw = t.text.toLowerCase(Locale.ROOT);
                if (kw.equals("null")) return new Expr.NullLit();
                if (kw.equals("true")) return new Expr.BoolLit(true);
                if (kw.equals("false")) return new Expr.BoolLit(false);
                if (kw.equals("cast") && peek().type == T.LPAREN) {
                    next();
                    Expr v = expr();
                    Tok as = next();
                    if (as.type != T.IDENT || !as.text.equalsIgnoreCase("as")) throw syntax(src, as.pos, "expected AS in CAST");
                    String type = typeName();
                    expect(T.RPAREN, "')'");
                    return new Expr.Cast(v, type);
                }
                if (kw.equals("array") && peek().type == T.LBRACK) {
                    next();
                    List<Expr> els = new ArrayList<>();
                    if (peek().type != T.RBRACK) {
                        do { els.add(expr()); } while (accept(T.COMMA));
                    }
                    expect(T.RBRACK, "']'");
                    return new Expr.ArrayLit(els);
                }
                if (isTypedLiteralType(kw) && peek().type == T.STRING) { // date '2020-01-01', interval '1 day'
                    return new Expr.Cast(new Expr.StringLit(next().text), kw);
                }
                return nameOrCall(t);
            }
            case QIDENT: return nameOrCall(t);
            case EOF: throw syntax(src, t.pos, "unexpected end of expression");
            default: throw syntax(src, t.pos, "unexpected '" + t.text + "'");
        }
    }

    private static boolean isTypedLiteralType(String kw) {
        return switch (kw) { case "date", "timestamp", "timestamptz", "interval", "time", "text", "numeric" -> true; default -> false; };
    }

    private Expr nameOrCall(Tok first) throws MaskingException {
        List<String> parts = new ArrayList<>();
        parts.add(ident(first));
        while (peek().type == T.DOT) {
            next();
            Tok n = next();
            if (n.type != T.IDENT && n.type != T.QIDENT) throw syntax(src, n.pos, "expected a name after '.'");
            parts.add(ident(n));
        }
        if (peek().type != T.LPAREN) return new Expr.ColumnRef(List.copyOf(parts));
        if (parts.size() > 2) throw syntax(src, first.pos, "function name " + String.join(".", parts) + " has too many parts");
        next();
        List<Expr.Arg> args = new ArrayList<>();
        if (peek().type != T.RPAREN) {
            do {
                String name = null;
                if ((peek().type == T.IDENT || peek().type == T.QIDENT) && peekAt(1).type == T.ASSIGN) {
                    name = ident(next());
                    next();
                }
                args.add(new Expr.Arg(name, expr()));
            } while (accept(T.COMMA));
        }
        expect(T.RPAREN, "')' or ','");
        String schema = parts.size() == 2 ? parts.get(0) : null;
        return new Expr.Call(schema, parts.getLast(), List.copyOf(args));
    }

    /** A type name such as {@code date}, {@code timestamp with time zone}, {@code varchar(20)}, {@code pg_catalog.int4}. */
    private String typeName() throws MaskingException {
        StringBuilder sb = new StringBuilder();
        Tok t = next();
        if (t.type != T.IDENT && t.type != T.QIDENT) throw syntax(src, t.pos, "expected a type name");
        sb.append(ident(t));
        while (peek().type == T.DOT) { next(); sb.append('.').append(ident(next())); }
        while (peek().type == T.IDENT && List.of("with", "without", "time", "zone", "varying", "precision").contains(peek().text.toLowerCase(Locale.ROOT))) {
            sb.append(' ').append(next().text.toLowerCase(Locale.ROOT));
        }
        if (peek().type == T.LPAREN) { // typmod: skip
            next();
            while (peek().type != T.RPAREN && peek().type != T.EOF) next();
            expect(T.RPAREN, "')'");
        }
        return sb.toString();
    }

    private static String ident(Tok t) {
        return t.type == T.QIDENT ? t.text : t.text.toLowerCase(Locale.ROOT);
    }

    private Tok peek() { return toks.get(i); }
    private Tok peekAt(int k) { return toks.get(Math.min(i + k, toks.size() - 1)); }
    private Tok next() { Tok t = toks.get(i); if (t.type != T.EOF) i++; return t; }
    private boolean accept(T type) { if (peek().type == type) { i++; return true; } return false; }
    private void expect(T type, String what) throws MaskingException {
        Tok t = next();
        if (t.type != type) throw syntax(src, t.pos, "expected " + what + (t.type == T.EOF ? " before the end" : " but found '" + t.text + "'"));
    }

    private static MaskingException syntax(String src, int pos, String msg) {
        return new MaskingException(MaskingException.Kind.SYNTAX,
                "syntax error in masking expression \"" + src + "\" at position " + (pos + 1) + ": " + msg);
    }

    private static List<Tok> lex(String s) throws MaskingException {
        List<Tok> out = new ArrayList<>();
        int n = s.length();
        int p = 0;
        while (p < n) {
            char c = s.charAt(p);
            if (Character.isWhitespace(c)) { p++; continue; }
            int start = p;
            if (c == '-' && p + 1 < n && s.charAt(p + 1) == '-') { // SQL comment to end of line
                while (p < n && s.charAt(p) != '\n') p++;
                continue;
            }
            if (c == '\'' || ((c == 'E' || c == 'e') && p + 1 < n && s.charAt(p + 1) == '\'')) {
                boolean escapes = c != '\'';
                if (escapes) p++;
                p++;
                StringBuilder sb = new StringBuilder();
                while (true) {
                    if (p >= n) throw syntax(s, start, "unterminated string literal");
                    char d = s.charAt(p);
                    if (d == '\'') {
                        if (p + 1 < n && s.charAt(p + 1) == '\'') { sb.append('\''); p += 2; continue; }
                        p++;
                        break;
                    }
                    if (escapes && d == '\\' && p + 1 < n) {
                        char e = s.charAt(p + 1);
                        sb.append(switch (e) { case 'n' -> '\n'; case 't' -> '\t'; case 'r' -> '\r'; case 'b' -> '\b'; case 'f' -> '\f'; default -> e; });
                        p += 2;
                        continue;
                    }
                    sb.append(d);
                    p++;
                }
                out.add(new Tok(T.STRING, sb.toString(), start));
                continue;
            }
            if (c == '$') { // $$...$$ or $tag$...$tag$
                int q = p + 1;
                while (q < n && (Character.isLetterOrDigit(s.charAt(q)) || s.charAt(q) == '_') && s.charAt(q) != '$') q++;
                if (q >= n || s.charAt(q) != '$') throw syntax(s, start, "bad dollar-quote opening");
                String tag = s.substring(p, q + 1);
                int close = s.indexOf(tag, q + 1);
                if (close < 0) throw syntax(s, start, "unterminated dollar-quoted string (missing " + tag + ")");
                out.add(new Tok(T.STRING, s.substring(q + 1, close), start));
                p = close + tag.length();
                continue;
            }
            if (c == '"') {
                p++;
                StringBuilder sb = new StringBuilder();
                while (true) {
                    if (p >= n) throw syntax(s, start, "unterminated quoted identifier");
                    char d = s.charAt(p);
                    if (d == '"') {
                        if (p + 1 < n && s.charAt(p + 1) == '"') { sb.append('"'); p += 2; continue; }
                        p++;
                        break;
                    }
                    sb.append(d);
                    p++;
                }
                if (sb.isEmpty()) throw syntax(s, start, "zero-length quoted identifier");
                out.add(new Tok(T.QIDENT, sb.toString(), start));
                continue;
            }
            if (Character.isDigit(c) || (c == '.' && p + 1 < n && Character.isDigit(s.charAt(p + 1)))) {
                while (p < n && Character.isDigit(s.charAt(p))) p++;
                if (p < n && s.charAt(p) == '.' && !(p + 1 < n && s.charAt(p + 1) == '.')) {
                    p++;
                    while (p < n && Character.isDigit(s.charAt(p))) p++;
                }
                if (p < n && (s.charAt(p) == 'e' || s.charAt(p) == 'E')) {
                    int q = p + 1;
                    if (q < n && (s.charAt(q) == '+' || s.charAt(q) == '-')) q++;
                    if (q < n && Character.isDigit(s.charAt(q))) {
                        p = q;
                        while (p < n && Character.isDigit(s.charAt(p))) p++;
                    }
                }
                if (p < n && (Character.isLetter(s.charAt(p)) || s.charAt(p) == '_')) throw syntax(s, p, "trailing junk after number");
                out.add(new Tok(T.NUMBER, s.substring(start, p), start));
                continue;
            }
            if (Character.isLetter(c) || c == '_') {
                while (p < n && (Character.isLetterOrDigit(s.charAt(p)) || s.charAt(p) == '_' || s.charAt(p) == '$')) p++;
                out.add(new Tok(T.IDENT, s.substring(start, p), start));
                continue;
            }
            switch (c) {
                case '(' -> out.add(new Tok(T.LPAREN, "(", p++));
                case ')' -> out.add(new Tok(T.RPAREN, ")", p++));
                case '[' -> out.add(new Tok(T.LBRACK, "[", p++));
                case ']' -> out.add(new Tok(T.RBRACK, "]", p++));
                case ',' -> out.add(new Tok(T.COMMA, ",", p++));
                case '.' -> out.add(new Tok(T.DOT, ".", p++));
                case '-' -> out.add(new Tok(T.MINUS, "-", p++));
                case ':' -> {
                    if (p + 1 < n && s.charAt(p + 1) == ':') { out.add(new Tok(T.CAST, "::", p)); p += 2; }
                    else if (p + 1 < n && s.charAt(p + 1) == '=') { out.add(new Tok(T.ASSIGN, ":=", p)); p += 2; }
                    else throw syntax(s, p, "unexpected ':'");
                }
                case '=' -> {
                    if (p + 1 < n && s.charAt(p + 1) == '>') { out.add(new Tok(T.ASSIGN, "=>", p)); p += 2; }
                    else throw syntax(s, p, "operators are not supported in masking expressions");
                }
                default -> throw syntax(s, p, "unexpected character '" + c + "'"
                        + (c == '+' || c == '*' || c == '/' || c == '|' ? " (operators are not supported; use pg_catalog.concat() for text)" : ""));
            }
        }
        out.add(new Tok(T.EOF, "end of input", n));
        return out;
    }
}
