package io.metronome.api.console;

import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ConsoleAssetsTest {
    private static final String ROOT = ConsoleAssets.ROOT;

    private static Map<String, String> files() {
        Map<String, String> f = new HashMap<>();
        f.put(ROOT + "index.html", "<link href=\"site.css\"><script src=\"lib/dagre.js\"></script>"
                + "<script type=\"module\" src=\"app.js\"></script><a href=\"#/\">home</a><a href=\"https://example.com/\">x</a>");
        f.put(ROOT + "site.css", "body {}");
        f.put(ROOT + "app.js", "import {a} from './a.js';\nimport('./b.js');");
        f.put(ROOT + "a.js", "import {b} from \"./b.js\"; export const a = 1;");
        f.put(ROOT + "b.js", "export const b = 2;");
        f.put("webjar/dagre/dist/dagre.min.js", "window.dagre = {};");
        return f;
    }

    private static ConsoleAssets load(Map<String, String> files) {
        return ConsoleAssets.load(files::get, w -> "webjar/" + w.artifactId() + "/" + w.file());
    }

    @Test
    void everyFileThePageNamesIsServedUnderItsContentHashAndOnlyLocalReferencesAreRewritten() {
        ConsoleAssets assets = load(files());
        assertThat(assets.names()).hasSize(5).allMatch(n -> n.matches("(lib/)?[a-z]+\\.[0-9a-f]{10}\\.(js|css)"));
        String index = assets.index();
        assertThat(index).contains("href=\"#/\"", "href=\"https://example.com/\"").doesNotContain("\"app.js\"", "\"site.css\"");
        for (String name : assets.names()) {
            String served = name.startsWith("a.") || name.startsWith("b.") ? null : "\"/console/" + name + "\"";
            if (served != null) {
                assertThat(index).contains(served);
            }
        }
        String app = assets.names().stream().filter(n -> n.startsWith("app.")).findFirst().orElseThrow();
        String a = assets.names().stream().filter(n -> n.startsWith("a.")).findFirst().orElseThrow();
        String b = assets.names().stream().filter(n -> n.startsWith("b.")).findFirst().orElseThrow();
        assertThat(assets.asset(app).body()).contains("from './" + a + "'", "import('./" + b + "')");
        assertThat(assets.asset(a).body()).contains("from \"./" + b + "\"");
        assertThat(assets.asset(app).contentType()).isEqualTo("text/javascript; charset=utf-8");
        assertThat(assets.names().stream().filter(n -> n.startsWith("site.")).map(n -> assets.asset(n).contentType()))
                .containsExactly("text/css; charset=utf-8");
        assertThat(assets.names().stream().filter(n -> n.startsWith("lib/")).map(n -> assets.asset(n).body()))
                .containsExactly("window.dagre = {};");
    }

    @Test
    void aChangeInADeepModuleRenamesEveryModuleThatImportsItAndThePageChangesItsTag() {
        ConsoleAssets before = load(files());
        Map<String, String> changed = files();
        changed.put(ROOT + "b.js", "export const b = 3;");
        ConsoleAssets after = load(changed);
        String appBefore = before.names().stream().filter(n -> n.startsWith("app.")).findFirst().orElseThrow();
        String appAfter = after.names().stream().filter(n -> n.startsWith("app.")).findFirst().orElseThrow();
        assertThat(appAfter).isNotEqualTo(appBefore);
        assertThat(after.indexTag()).isNotEqualTo(before.indexTag());
        assertThat(after.names().stream().filter(n -> n.startsWith("site."))).isEqualTo(before.names().stream()
                .filter(n -> n.startsWith("site.")).toList());
    }

    @Test
    void aMissingFileOrAnImportCycleFailsTheLoad() {
        Map<String, String> missing = files();
        missing.remove(ROOT + "b.js");
        assertThatThrownBy(() -> load(missing)).hasMessageContaining(ROOT + "b.js");
        Map<String, String> cycle = files();
        cycle.put(ROOT + "b.js", "import {a} from './a.js';");
        assertThatThrownBy(() -> load(cycle)).hasMessageContaining("cycle");
    }

    @Test
    void theBundledConsoleLoadsWithItsLibraryFromTheWebJar() {
        ConsoleAssets assets = ConsoleAssets.load();
        assertThat(assets.names()).anyMatch(n -> n.startsWith("lib/dagre.")).anyMatch(n -> n.startsWith("app."));
        String dagre = assets.names().stream().filter(n -> n.startsWith("lib/dagre.")).findFirst().orElseThrow();
        assertThat(assets.asset(dagre).body()).contains("dagre").hasSizeGreaterThan(100_000);
    }
}
