package io.metronome.api.console;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The web console's files, as served: {@code index.html} with every file it names (and every module those import)
 * renamed after a hash of its content, {@code app.3f9c0a1b2d.js}, so that a browser may keep each one for a year and
 * a new build is fetched at once (a module's hash covers the hashed names of what it imports, so a change anywhere
 * below renames it too). Only {@code index.html} has a fixed address; it is never cached without asking again.
 *
 * <p>The files are found from {@code index.html}: its {@code src} and {@code href} attributes, then each module's
 * {@code import ... from './x.js'}. Libraries come from their WebJars on the classpath ({@link #LIBRARIES}), under
 * the name the pages use. A reference to a file that is not there fails the load, so a broken build cannot start.
 */
public final class ConsoleAssets {
    /** Where the console's own files are on the classpath. */
    static final String ROOT = "io/metronome/api/console/";
    /**
     * The libraries the pages name, and which file of which WebJar each is: dagre (MIT), whose {@code dist} bundle
     * carries graphlib and lodash with it.
     */
    static final Map<String, WebJar> LIBRARIES = Map.of("lib/dagre.js", new WebJar("org.webjars.npm", "dagre", "dist/dagre.min.js"));

    private static final Pattern HTML_REFERENCE = Pattern.compile("\\b(src|href)=\"([^\"]+)\"");
    private static final Pattern MODULE_IMPORT = Pattern.compile("(\\bfrom\\s*|\\bimport\\s*\\(?\\s*)(['\"])\\./([^'\"]+)\\2");

    /** A file of a WebJar: its Maven coordinates (the version is read from the jar) and its path inside. */
    public record WebJar(String groupId, String artifactId, String file) {
    }

    /** A file as served: its name under {@code /console/}, its media type and its text. */
    public record Asset(String name, String contentType, String body) {
    }

    private final String index;
    private final String indexTag;
    private final Map<String, Asset> assets;

    private ConsoleAssets(String index, Map<String, Asset> assets) {
        this.index = index;
        this.indexTag = "\"" + hash(index) + "\"";
        this.assets = Map.copyOf(assets);
    }

    /** The console from this class's class loader (the function's jar). */
    public static ConsoleAssets load() {
        ClassLoader loader = ConsoleAssets.class.getClassLoader();
        return load(path -> read(loader, path), webJar -> webJarPath(loader, webJar));
    }

    /**
     * @param files   a classpath resource's text by its path, or null when it is missing
     * @param webJars where a WebJar's file is on the classpath
     */
    static ConsoleAssets load(Function<String, String> files, Function<WebJar, String> webJars) {
        Map<String, Asset> out = new LinkedHashMap<>();
        Map<String, String> hashedNames = new LinkedHashMap<>();
        String html = required(files, ROOT + "index.html");
        Function<String, String> resolve = new Function<>() {
            private final Set<String> visiting = new HashSet<>();

            @Override
            public String apply(String name) {
                String done = hashedNames.get(name);
                if (done != null) {
                    return done;
                }
                if (!visiting.add(name)) {
                    throw new IllegalStateException("the console's modules import each other in a cycle through " + name);
                }
                WebJar library = LIBRARIES.get(name);
                String body = library != null ? required(files, webJars.apply(library)) : required(files, ROOT + name);
                if (library == null && name.endsWith(".js")) {
                    String dir = name.contains("/") ? name.substring(0, name.lastIndexOf('/') + 1) : "";
                    body = replace(MODULE_IMPORT, body, m -> m.group(1) + m.group(2) + "./"
                            + apply(dir + m.group(3)).substring(dir.length()) + m.group(2));
                }
                int dot = name.lastIndexOf('.');
                String hashed = name.substring(0, dot) + "." + hash(body).substring(0, 10) + name.substring(dot);
                out.put(hashed, new Asset(hashed, contentType(name), body));
                hashedNames.put(name, hashed);
                visiting.remove(name);
                return hashed;
            }
        };
        String index = replace(HTML_REFERENCE, html, m -> {
            String ref = m.group(2);
            boolean local = !ref.startsWith("/") && !ref.startsWith("#") && !ref.contains(":");
            return local ? m.group(1) + "=\"/console/" + resolve.apply(ref) + "\"" : m.group(0);
        });
        return new ConsoleAssets(index, out);
    }

    /** The page, with every file it names at its hashed address. */
    public String index() {
        return index;
    }

    /** An entity tag of the page, so a browser that asks again gets a 304 when it has not changed. */
    public String indexTag() {
        return indexTag;
    }

    /** A file by its hashed name ({@code app.3f9c0a1b2d.js}), or null. */
    public Asset asset(String name) {
        return assets.get(name);
    }

    /** Every hashed name. */
    public Set<String> names() {
        return assets.keySet();
    }

    static String contentType(String name) {
        String ext = name.substring(name.lastIndexOf('.') + 1);
        return switch (ext) {
            case "js" -> "text/javascript; charset=utf-8";
            case "css" -> "text/css; charset=utf-8";
            case "svg" -> "image/svg+xml; charset=utf-8";
            case "html" -> "text/html; charset=utf-8";
            case "json" -> "application/json; charset=utf-8";
            default -> throw new IllegalStateException("the console serves no ." + ext + " files: " + name);
        };
    }

    private static String required(Function<String, String> files, String path) {
        String text = files.apply(path);
        if (text == null) {
            throw new IllegalStateException("the console needs " + path + ", which is not on the classpath");
        }
        return text;
    }

    private static String replace(Pattern pattern, String text, Function<Matcher, String> by) {
        Matcher m = pattern.matcher(text);
        StringBuilder b = new StringBuilder();
        while (m.find()) {
            m.appendReplacement(b, Matcher.quoteReplacement(by.apply(m)));
        }
        m.appendTail(b);
        return b.toString();
    }

    private static String hash(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String read(ClassLoader loader, String path) {
        try (InputStream in = loader.getResourceAsStream(path)) {
            return in == null ? null : new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + path, e);
        }
    }

    /** A WebJar's files sit under its version, which its Maven metadata in the jar gives. */
    private static String webJarPath(ClassLoader loader, WebJar w) {
        String properties = "META-INF/maven/" + w.groupId() + "/" + w.artifactId() + "/pom.properties";
        try (InputStream in = loader.getResourceAsStream(properties)) {
            if (in == null) {
                throw new IllegalStateException("the console needs the WebJar " + w.groupId() + ":" + w.artifactId());
            }
            Properties p = new Properties();
            p.load(in);
            return "META-INF/resources/webjars/" + w.artifactId() + "/" + p.getProperty("version") + "/" + w.file();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + properties, e);
        }
    }
}
